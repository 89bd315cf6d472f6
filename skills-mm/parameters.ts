import { SkillframeError } from '../core/index.ts';
import type { PlanFile, PlanStep } from '../core/schemas/skill.ts';

/**
 * Binds parameter values to a plan before replay: a choice step gets the target of the option the
 * caller picked, and a branch tied to a choice is marked to skip when that choice has another value.
 * Branches tied to nothing but their target run only when grounding finds it (replay decides).
 */
export function bindPlan(plan: PlanFile, values: Record<string, string>): { plan: PlanFile; skip: Map<number, string> } {
  for (const parameter of plan.parameters) {
    const value = values[parameter.name];
    if (parameter.kind === 'choice' && parameter.options && value !== undefined && !parameter.options.includes(value)) {
      throw new SkillframeError('bad_input', `input.param: ${parameter.name} must be one of ${parameter.options.map((option) => JSON.stringify(option)).join(', ')}; got ${JSON.stringify(value)}`);
    }
  }
  const skip = new Map<number, string>();
  const steps = plan.steps.map((step): PlanStep => {
    const branch = step.optional;
    if (branch?.parameter && branch.values && !branch.values.includes(values[branch.parameter] ?? '')) skip.set(step.id, `optional branch not taken (${branch.when})`);
    if (!step.choice) return step;
    const value = values[step.choice.parameter];
    const option = step.choice.options.find((candidate) => candidate.value === value) ?? step.choice.options[0];
    return { ...step, target: option.target } as PlanStep;
  });
  return { plan: { ...plan, steps }, skip };
}
