import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomically } from '../native/files.ts';

/**
 * The library's health marks: the last verification of each skill (by `library verify` here or a
 * nightly fleet job), kept beside the skills in health.json so every reader of a shared library
 * sees the same marks. Written whole through a temporary file so a reader never sees half of it.
 */

export const HealthMark = z.object({
  health: z.enum(['healthy', 'drifted', 'broken']),
  checkedAt: z.string(),
  /** Where the verification ran: this machine, or the fleet job that did it. */
  source: z.string().max(200),
  brokenStep: z.number().int().optional(),
  reason: z.string().max(2000).optional(),
});
export type HealthMark = z.infer<typeof HealthMark>;

const HealthFile = z.object({ version: z.literal(1), skills: z.record(z.string(), HealthMark) });

export function healthFile(libraryRoot: string): string {
  return join(libraryRoot, 'health.json');
}

export function readHealth(libraryRoot: string): Record<string, HealthMark> {
  const file = healthFile(libraryRoot);
  if (!existsSync(file)) return {};
  const parsed = HealthFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  return parsed.success ? parsed.data.skills : {};
}

/** Folds new marks into the file, newest per skill wins. */
export function recordHealth(libraryRoot: string, marks: Record<string, HealthMark>): Record<string, HealthMark> {
  const skills = { ...readHealth(libraryRoot) };
  for (const [name, mark] of Object.entries(marks)) {
    if (!skills[name] || skills[name].checkedAt <= mark.checkedAt) skills[name] = HealthMark.parse(mark);
  }
  const file = healthFile(libraryRoot);
  writeFileAtomically(file, `${JSON.stringify({ version: 1, skills }, null, 2)}\n`, { mode: 0o600 });
  return skills;
}

/** A mark from one `library verify` result. */
export function markOf(result: { health: HealthMark['health']; broken?: { index: number; reason: string } }, source: string, at = new Date()): HealthMark {
  return { health: result.health, checkedAt: at.toISOString(), source, ...(result.broken ? { brokenStep: result.broken.index, reason: result.broken.reason.slice(0, 2000) } : {}) };
}
