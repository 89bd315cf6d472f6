import type { Locator, Page } from 'playwright-core';
import type { z } from 'zod';
import type { BenchReplayConditionOverhead, BenchReplayTaskSpeed } from '../../core/commands/bench-replay.ts';
import { SkillframeError } from '../../core/errors.ts';
import { percentile } from './judge.ts';
import type { Split, WebTask } from './tasks.ts';
import { round } from './figures.ts';
import type { ReplayReport } from '../../engine/computer/replay/types.ts';

/**
 * Replay speed against the peer a user would pick, in the same run: a Playwright script with
 * role/label locators for web tasks, a raw xdotool script (recorded coordinates, fixed pauses)
 * for X11 tasks. Ratios are taken per (task, condition) pair where both finished the task
 * correctly by the judge, then summarised per platform and split — unseen first.
 */

/** One timed run of a task, by the engine or its peer. */
export interface TimedRun {
  task: string;
  split: Split;
  condition: string;
  /** Finished correctly, judged by the app's own state. */
  succeeded: boolean;
  /** Wall time of the whole task. */
  totalMs: number;
  /** Wall time of each step (settle and verification included for the engine). */
  stepMs: number[];
  /** The engine's steps: where each step's wall time went (the report's `phases`). */
  phases?: StepPhases[];
}

export type StepPhases = NonNullable<ReplayReport['steps'][number]['phases']>;

/** One engine run of a task as the speed figures take it: wall time per finished step and where it went. */
export function timedEngineRun(task: { name: string; split: Split }, condition: string, succeeded: boolean, report: ReplayReport): TimedRun {
  const done = report.steps.filter((step) => step.status === 'done');
  return { task: task.name, split: task.split, condition, succeeded, totalMs: report.totalMs, stepMs: done.map((step) => step.ms), phases: done.flatMap((step) => (step.phases ? [step.phases] : [])) };
}

export interface SpeedFigures {
  platform: 'web' | 'x11';
  split: Split;
  peer: 'playwright-script' | 'xdotool-script';
  /** Pairs where both the engine and the peer finished the task correctly. */
  pairs: number;
  engineTaskMsP50: number | null;
  peerTaskMsP50: number | null;
  engineStepMsP50: number | null;
  peerStepMsP50: number | null;
  /** Median over pairs of engine wall time ÷ peer wall time. */
  ratioP50: number | null;
  /** Sum of engine wall times ÷ sum of peer wall times over the same pairs. */
  ratioTotal: number | null;
  /** X11: ten steps at the engine's median step wall time (the "10-step desktop task" target). */
  tenStepTaskMs?: number | null;
  /** Median per phase over the engine's steps in the pairs: where a step's wall time goes. */
  enginePhaseMsP50?: Record<keyof StepPhases, number | null>;
  /** The same per task: which task drives the split's ratio, and in which phase its steps spend the time. */
  byTask?: TaskSpeed[];
  /** The engine's overhead per drift condition on this split's tasks, every run (not only the pairs). */
  byCondition?: ConditionOverhead[];
}

export type TaskSpeed = z.infer<typeof BenchReplayTaskSpeed>;
export type ConditionOverhead = z.infer<typeof BenchReplayConditionOverhead>;

const phaseNames = ['captureMs', 'groundMs', 'armMs', 'guardMs', 'actMs', 'settleMs', 'checkMs'] as const;

/** The phases that are the engine's own time (the input and waiting for the app are not): the report's `engineMs`. */
const overheadPhases = ['captureMs', 'groundMs', 'armMs', 'guardMs', 'checkMs'] as const;

/**
 * Engine overhead per step, per drift condition, over every engine run of the split (a failed
 * task's finished steps count, as in the condition's own `overheadMsP50`), in the order the
 * conditions were run.
 */
export function conditionOverheads(engine: TimedRun[], split: Split): ConditionOverhead[] {
  const runs = engine.filter((run) => run.split === split);
  return [...new Set(runs.map((run) => run.condition))].map((condition) => {
    const mine = runs.filter((run) => run.condition === condition);
    const steps = mine.flatMap((run) => run.phases ?? []);
    const phases = phaseMedians(mine);
    return {
      condition,
      steps: steps.length,
      overheadMsP50: percentile(steps.map((step) => overheadPhases.reduce((total, name) => total + step[name], 0)), 0.5),
      ...(phases ? { enginePhaseMsP50: phases } : {}),
    };
  });
}

function phaseMedians(runs: TimedRun[]): Record<keyof StepPhases, number | null> | undefined {
  const phases = runs.flatMap((run) => run.phases ?? []);
  return phases.length ? (Object.fromEntries(phaseNames.map((name) => [name, percentile(phases.map((phase) => phase[name]), 0.5)])) as Record<keyof StepPhases, number | null>) : undefined;
}

export function speedFigures(platform: 'web' | 'x11', split: Split, engine: TimedRun[], peer: TimedRun[]): SpeedFigures {
  const key = (run: TimedRun) => `${run.task}\u0000${run.condition}`;
  const peers = new Map(peer.filter((run) => run.split === split && run.succeeded).map((run) => [key(run), run]));
  const pairs = engine.filter((run) => run.split === split && run.succeeded && peers.has(key(run))).map((run) => ({ engine: run, peer: peers.get(key(run))! }));
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  const engineTotal = sum(pairs.map((pair) => pair.engine.totalMs));
  const peerTotal = sum(pairs.map((pair) => pair.peer.totalMs));
  const engineStep = percentile(pairs.flatMap((pair) => pair.engine.stepMs), 0.5);
  const phases = phaseMedians(pairs.map((pair) => pair.engine));
  const byTask: TaskSpeed[] = [...new Set(pairs.map((pair) => pair.engine.task))].map((task) => {
    const mine = pairs.filter((pair) => pair.engine.task === task);
    const taskPhases = phaseMedians(mine.map((pair) => pair.engine));
    return {
      task,
      pairs: mine.length,
      engineTaskMsP50: percentile(mine.map((pair) => pair.engine.totalMs), 0.5),
      peerTaskMsP50: percentile(mine.map((pair) => pair.peer.totalMs), 0.5),
      ratioP50: ratioMedian(mine.map((pair) => pair.engine.totalMs / Math.max(1, pair.peer.totalMs))),
      ...(taskPhases ? { enginePhaseMsP50: taskPhases } : {}),
    };
  });
  const byCondition = conditionOverheads(engine, split);
  return {
    platform,
    split,
    peer: platform === 'web' ? 'playwright-script' : 'xdotool-script',
    pairs: pairs.length,
    engineTaskMsP50: percentile(pairs.map((pair) => pair.engine.totalMs), 0.5),
    peerTaskMsP50: percentile(pairs.map((pair) => pair.peer.totalMs), 0.5),
    engineStepMsP50: engineStep,
    peerStepMsP50: percentile(pairs.flatMap((pair) => pair.peer.stepMs), 0.5),
    ratioP50: ratioMedian(pairs.map((pair) => pair.engine.totalMs / Math.max(1, pair.peer.totalMs))),
    ratioTotal: peerTotal > 0 ? Math.round((100 * engineTotal) / peerTotal) / 100 : null,
    ...(platform === 'x11' ? { tenStepTaskMs: engineStep === null ? null : round(10 * engineStep) } : {}),
    ...(phases ? { enginePhaseMsP50: phases } : {}),
    ...(byTask.length ? { byTask } : {}),
    ...(byCondition.length ? { byCondition } : {}),
  };
}

function ratioMedian(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return Math.round(value * 100) / 100;
}

/** How a script author would name one click target: by its label, its role and name, or its text. */
export interface ScriptLocator {
  by: 'label' | 'role' | 'text';
  value: string;
  role?: string;
  /** A look-alike in a table or list (one "Archive" button per row): the row, by its first cell's text. */
  row?: string;
}

/**
 * Writes the peer script's locators once, on the unchanged page, the way a person writing a
 * Playwright script would: a form control by its label, a control by its role and accessible
 * name, anything else by its text. (The truth attribute only points at the element here; the
 * script never uses it.)
 */
export async function writeScriptLocators(page: Page, task: WebTask): Promise<Map<string, ScriptLocator>> {
  const locators = new Map<string, ScriptLocator>();
  for (const action of task.actions) {
    if (action.kind !== 'click' || locators.has(action.truth)) continue;
    const found = await page.evaluate((truth) => {
      const element = document.querySelector(`[data-truth="${CSS.escape(truth)}"]`) as HTMLElement | null;
      if (!element) return null;
      const tag = element.tagName.toLowerCase();
      const text = (element.textContent ?? '').trim().replace(/\s+/g, ' ');
      const labelled = element.id ? document.querySelector(`label[for="${CSS.escape(element.id)}"]`)?.textContent?.trim() : undefined;
      if (tag === 'label' && text) return { by: 'label' as const, value: text };
      if (labelled) return { by: 'label' as const, value: labelled };
      const implicit: Record<string, string> = { button: 'button', a: 'link', select: 'combobox', textarea: 'textbox' };
      const role = element.getAttribute('role') ?? implicit[tag];
      const name = element.getAttribute('aria-label') ?? text;
      // Look-alikes (the same tag and text elsewhere on the page): a script author scopes by the row.
      const alike = [...document.getElementsByTagName(tag)].filter((other) => (other.textContent ?? '').trim().replace(/\s+/g, ' ') === text).length > 1;
      const rowElement = alike ? element.closest('tr, [role=row], li') : null;
      const firstCell = rowElement?.querySelector('td, th, [role=cell], [role=gridcell]') ?? rowElement;
      const row = firstCell?.textContent?.trim().replace(/\s+/g, ' ') || undefined;
      if (role && name) return { by: 'role' as const, role, value: name, ...(row ? { row } : {}) };
      return { by: 'text' as const, value: text, ...(row ? { row } : {}) };
    }, action.truth);
    if (!found) throw new SkillframeError('internal', `fixture has no element [data-truth=${JSON.stringify(action.truth)}]`);
    locators.set(action.truth, found);
  }
  return locators;
}

function resolve(page: Page, locator: ScriptLocator): Locator {
  const root = locator.row ? page.getByRole('row', { name: locator.row }).or(page.getByRole('listitem').filter({ hasText: locator.row })) : page;
  if (locator.by === 'label') return root.getByLabel(locator.value, { exact: true });
  if (locator.by === 'role') return root.getByRole(locator.role as Parameters<Page['getByRole']>[0], { name: locator.value, exact: true });
  return root.getByText(locator.value, { exact: true });
}

/**
 * The Playwright peer: the task as a person would script it — clicks by locator, text filled into
 * the field clicked before it (one `fill`, no separate click), keys pressed. Playwright's own
 * auto-waiting is its only wait; a locator that no longer resolves fails the run (a renamed label).
 */
export async function runPlaywrightScript(page: Page, task: WebTask, locators: Map<string, ScriptLocator>, timeoutMs = 5_000): Promise<{ totalMs: number; stepMs: number[] }> {
  const started = performance.now();
  const stepMs: number[] = [];
  for (const [index, action] of task.actions.entries()) {
    const stepStarted = performance.now();
    if (action.kind === 'click') {
      const next = task.actions[index + 1];
      // A click that only focuses the field the next step fills is part of that fill.
      if (next?.kind === 'type' && locators.get(action.truth)?.by === 'label') continue;
      await resolve(page, locators.get(action.truth)!).click({ timeout: timeoutMs });
    } else if (action.kind === 'type') {
      const previous = task.actions[index - 1];
      const field = previous?.kind === 'click' ? locators.get(previous.truth) : undefined;
      if (field?.by === 'label') await resolve(page, field).fill(action.text, { timeout: timeoutMs });
      else await page.keyboard.type(action.text);
    } else {
      await page.keyboard.press(action.key);
    }
    stepMs.push(performance.now() - stepStarted);
  }
  return { totalMs: performance.now() - started, stepMs };
}
