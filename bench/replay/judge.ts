import { isDeepStrictEqual } from 'node:util';
import type { Point, Rect } from '../../core/geometry.ts';

/**
 * Judging by ground truth: what the app recorded (clicks by stable identity, field values, the
 * outcome) or what it shows/saved — never what replay says it did.
 */
export interface TaskJudgement {
  steps: number;
  stepsSucceeded: number;
  taskSucceeded: boolean;
  /** Actions on something other than the intended target. */
  wrongActions: number;
  /** The same intended target hit again right after (a retry); not wrong, but reported. */
  repeatedActions: number;
  /** Why the task failed, in a few words (first wrong action, missing step, outcome). */
  notes: string[];
}

export interface WebTruth {
  clicks: { truth: string; x: number; y: number }[];
  inputs: { truth: string; value: string }[];
  outcome: unknown;
}

export type JudgedStep = { kind: 'click'; truth: string } | { kind: 'type'; field: string; text: string } | { kind: 'key' };

/** Web: align the page's click log with the intended targets, in order. */
export function judgeWeb(steps: JudgedStep[], expected: unknown, truth: WebTruth): TaskJudgement {
  const notes: string[] = [];
  const intendedClicks = steps.filter((step): step is Extract<JudgedStep, { kind: 'click' }> => step.kind === 'click').map((step) => step.truth);
  let next = 0;
  let wrongActions = 0;
  let repeatedActions = 0;
  const matched = new Set<number>();
  for (const click of truth.clicks) {
    if (next < intendedClicks.length && click.truth === intendedClicks[next]) {
      matched.add(next);
      next += 1;
    } else if (next > 0 && click.truth === intendedClicks[next - 1]) {
      repeatedActions += 1;
    } else {
      wrongActions += 1;
      if (notes.length < 3) notes.push(`clicked ${click.truth} at (${Math.round(click.x)},${Math.round(click.y)}) instead of ${intendedClicks[next] ?? 'nothing'}`);
    }
  }
  const typedFields = new Set(steps.flatMap((step) => (step.kind === 'type' ? [step.field] : [])));
  for (const input of truth.inputs) {
    if (!typedFields.has(input.truth)) {
      wrongActions += 1;
      if (notes.length < 3) notes.push(`typed ${JSON.stringify(input.value.slice(0, 30))} into ${input.truth}`);
    }
  }
  const taskSucceeded = isDeepStrictEqual(truth.outcome, expected);
  if (!taskSucceeded) notes.push(`outcome ${JSON.stringify(truth.outcome)?.slice(0, 160)}`);
  let clickIndex = 0;
  let stepsSucceeded = 0;
  for (const step of steps) {
    if (step.kind === 'click') {
      if (matched.has(clickIndex)) stepsSucceeded += 1;
      clickIndex += 1;
    } else if (step.kind === 'type') {
      if (truth.inputs.some((input) => input.truth === step.field && input.value.includes(step.text))) stepsSucceeded += 1;
    } else if (taskSucceeded) {
      stepsSucceeded += 1;
    }
  }
  return { steps: steps.length, stepsSucceeded, taskSucceeded, wrongActions, repeatedActions, notes };
}

export function inside(point: Point, box: Rect): boolean {
  return point.x >= box.x && point.y >= box.y && point.x < box.x + box.width && point.y < box.y + box.height;
}

/**
 * X11: every real click the display saw (from OS hooks, not from replay's report) against the
 * intended target's box in this condition, in order.
 */
export function judgeX11(
  steps: ({ kind: 'click'; label: string; box: Rect | undefined } | { kind: 'type' } | { kind: 'key' })[],
  clicks: { x: number; y: number }[],
  taskSucceeded: boolean,
  observed: string,
): TaskJudgement {
  const notes: string[] = [];
  const intended = steps.filter((step): step is Extract<(typeof steps)[number], { kind: 'click' }> => step.kind === 'click');
  let next = 0;
  let wrongActions = 0;
  let repeatedActions = 0;
  for (const click of clicks) {
    const target = intended[next];
    if (target?.box && inside(click, target.box)) {
      next += 1;
    } else if (next > 0 && intended[next - 1].box && inside(click, intended[next - 1].box!)) {
      repeatedActions += 1;
    } else {
      wrongActions += 1;
      if (notes.length < 3) notes.push(`click at (${click.x},${click.y}) outside ${target ? `"${target.label}" ${JSON.stringify(target.box)}` : 'any intended target'}`);
    }
  }
  if (!taskSucceeded) notes.push(`app shows/saved ${JSON.stringify(observed.slice(0, 80))}`);
  let stepsSucceeded = 0;
  let clickIndex = 0;
  for (const step of steps) {
    if (step.kind === 'click') {
      if (clickIndex < next) stepsSucceeded += 1;
      clickIndex += 1;
    } else if (taskSucceeded) {
      // Typing and keys cannot land on a wrong box; the saved result is their ground truth.
      stepsSucceeded += 1;
    }
  }
  return { steps: steps.length, stepsSucceeded, taskSucceeded, wrongActions, repeatedActions, notes };
}

export function percentile(values: number[], fraction: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return Math.round(sorted[index] * 10) / 10;
}
