import type { KnownBoundary } from '../core/commands/explore.ts';
import type { PlanStep } from '../core/schemas/skill.ts';

/**
 * The skill boundary exploration learnt (the action-primitive database's controls that crashed,
 * froze, left the app or kept failing), matched to plan steps. Replay refuses or confirms such a
 * step; consult tells the agent before it gets there. One matcher for both.
 */

export const boundaryWords: Record<KnownBoundary['reason'], string> = {
  crash: 'crashed the app',
  hang: 'froze the app',
  offsite: 'left the app',
  repeated_failure: 'failed every time it was tried',
};

/**
 * The boundary that matches a step about to be taken: same control (role and name; a bare name
 * when the step has no role) and a kind of action that reaches it. Undefined when none does.
 */
export function boundaryFor(boundaries: readonly KnownBoundary[], step: { action: string; role?: string; name?: string }): KnownBoundary | undefined {
  if (!step.name) return undefined;
  const kinds: Record<string, string[]> = { click: ['click'], double_click: ['double_click', 'click'], right_click: ['right_click'], hover: ['hover'], select: ['select'], drag: ['drag'], type: ['type'], press: ['shortcut'] };
  return boundaries.find((boundary) => boundary.name === step.name && (!step.role || !boundary.role || boundary.role === step.role) && (kinds[step.action] ?? []).includes(boundary.kind));
}

/** The boundary a plan step runs into: its control named by its locator, its accessible (X11) or its OCR label. */
export function stepBoundary(boundaries: readonly KnownBoundary[], step: PlanStep): KnownBoundary | undefined {
  if (!('target' in step) || !step.target) return undefined;
  const target = step.target;
  const role = target.locator?.role ?? (target.accessible?.name ? target.accessible.role : undefined);
  return boundaryFor(boundaries, { action: step.action, ...(role ? { role } : {}), ...(target.locator?.name ?? target.accessible?.name ?? target.ocr?.text ? { name: target.locator?.name ?? target.accessible?.name ?? target.ocr?.text } : {}) });
}

/** Every step of a plan that runs into a known boundary, in words an agent can act on. */
export function stepsOutsideBoundary(steps: readonly PlanStep[], boundaries: readonly KnownBoundary[]): { step: number; description: string; reason: KnownBoundary['reason']; detail: string }[] {
  if (!boundaries.length) return [];
  return steps.flatMap((step) => {
    const known = stepBoundary(boundaries, step);
    return known ? [{ step: step.id, description: step.description, reason: known.reason, detail: `exploration found that this control ${boundaryWords[known.reason]} (${known.detail.slice(0, 200)})` }] : [];
  });
}
