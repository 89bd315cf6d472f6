import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeZodError, SkillframeError } from '../../../core/errors.ts';

/**
 * A `--script FILE`: a JSON array of steps that stands in for the person. The recorder never
 * reads it to produce events; the steps only drive the app with synthetic input, and the
 * recorder hears that input through the same hooks and listeners as a person's.
 */
export const ScriptStep = z.union([
  z.object({ action: z.literal('click'), selector: z.string().min(1).max(2000) }).strict(),
  z.object({ action: z.literal('click'), x: z.number().finite(), y: z.number().finite(), button: z.enum(['left', 'right', 'middle']).optional(), double: z.boolean().optional() }).strict(),
  z.object({ action: z.literal('type'), text: z.string().max(100_000) }).strict(),
  z.object({ action: z.literal('press'), key: z.string().min(1).max(100) }).strict(),
  z.object({ action: z.literal('wait'), ms: z.number().int().min(0).max(3_600_000) }).strict(),
]);
export type ScriptStep = z.infer<typeof ScriptStep>;

export const Script = z.array(ScriptStep).max(10_000);

export function readScript(path: string): ScriptStep[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SkillframeError('not_found', `input.script: cannot read ${JSON.stringify(path)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SkillframeError('bad_input', `input.script: ${JSON.stringify(path)} is not valid JSON (${(error as Error).message})`);
  }
  const parsed = Script.safeParse(raw);
  if (!parsed.success) throw new SkillframeError('bad_input', `input.script ${JSON.stringify(path)}: ${describeZodError(parsed.error, raw, 'steps')}`);
  return parsed.data;
}
