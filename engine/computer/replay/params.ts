import { SkillframeError } from '../../../core/index.ts';
import type { PlanFile } from '../../../core/schemas/skill.ts';

/** Parses `name=value` pairs from the command line; the value may contain `=`. */
export function parseParamPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new SkillframeError('bad_input', `input.param: expected name=value, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/** Resolves every declared parameter: the caller's value, else the recorded default. */
export function resolveParameters(plan: PlanFile, given: Record<string, string>): Record<string, string> {
  const declared = new Map(plan.parameters.map((parameter) => [parameter.name, parameter]));
  for (const name of Object.keys(given)) {
    if (!declared.has(name)) {
      const known = [...declared.keys()];
      throw new SkillframeError('bad_input', `input.param: the skill has no parameter ${JSON.stringify(name)}${known.length ? ` (it has ${known.join(', ')})` : ' (it has none)'}`);
    }
  }
  return Object.fromEntries(plan.parameters.map((parameter) => [parameter.name, given[parameter.name] ?? parameter.default]));
}

export function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{([^}]*)\}\}/g, (whole, name: string) => values[name] ?? whole);
}
