import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { describeZodError, SkillframeError } from '../../core/index.ts';

/**
 * Files the robot room reads. A JSON file (policy and detector sidecars, success memories) is parsed
 * with its schema: unreadable JSON or a field that breaks the schema is `bad_input` naming the
 * file (`what`) and the field.
 */
export function readJsonFile<T extends z.ZodType>(schema: T, path: string, what: string, root: string): z.infer<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SkillframeError('bad_input', `${what} ${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new SkillframeError('bad_input', `${what} ${path}: ${describeZodError(parsed.error, raw, root)}`);
  return parsed.data;
}

/** A model file's bytes; a missing or unreadable file is `not_found` naming it (`what`: "policy file", "keypoint detector"). */
export function readModelFile(file: string, what: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new SkillframeError('not_found', `${what} ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
