import { SkillframeError } from '../../../core/index.ts';
import { redactionPlaceholders, type PlanFile } from '../../../core/schemas/skill.ts';

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
  const missing = missingSecrets(plan, given);
  if (missing.length) {
    throw new SkillframeError(
      'bad_input',
      `input.param: the skill needs the secret parameter${missing.length > 1 ? 's' : ''} ${missing.map((name) => JSON.stringify(name)).join(', ')} (redacted when recorded, so no value is stored); pass ${missing.map((name) => `--param ${name}=…`).join(' ')}`,
      { missing_parameters: missing },
    );
  }
  return Object.fromEntries(plan.parameters.map((parameter) => [parameter.name, given[parameter.name] ?? parameter.default]));
}

/** Secret parameters (redacted or masked when recorded) the caller has not given: replay cannot start without them. */
export function missingSecrets(plan: PlanFile, given: Record<string, string>): string[] {
  return plan.parameters.filter((parameter) => parameter.secret && given[parameter.name] === undefined).map((parameter) => parameter.name);
}

/**
 * The last guard before text reaches the keyboard: a redaction placeholder is a hole in the
 * recording, never text to type (an old package, or a step whose text was redacted in place).
 */
export function assertNoPlaceholder(text: string, stepId: number): void {
  const found = redactionPlaceholders.find((placeholder) => text.includes(placeholder));
  if (found) throw new SkillframeError('unsafe', `step ${stepId} would type the redaction placeholder ${JSON.stringify(found)}; the recorded value was a secret — give it as a parameter`, { placeholder: found, step: stepId });
}

export function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{([^}]*)\}\}/g, (whole, name: string) => values[name] ?? whole);
}
