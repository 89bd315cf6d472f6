import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { SkillframeError } from '../../../core/index.ts';
import { readJsonFile } from '../json-file.ts';
import { ChunkMemory, defaultMemorySettings, type MemorySettings } from './memory.ts';
import { writeFileAtomically } from '../../../native/files.ts';

/**
 * The retrieve-then-steer memory kept on disk, one file per task (`DIR/<task>.json`), so
 * successes of one run (or recorded episodes) steer the next. Keys are the normalised joint
 * state (plus weighted progress); chunks are normalised action chunks of the policy that the
 * file records, so a memory written for one policy is refused by another of a different shape.
 */
const MemoryFile = z
  .object({
    version: z.literal(1),
    task: z.string(),
    keyWidth: z.number().int().positive(),
    chunkWidth: z.number().int().positive(),
    entries: z.array(z.object({ key: z.array(z.number()), chunk: z.array(z.number()), episode: z.number().int().nonnegative() }).strict()),
  })
  .strict();

export function memoryFile(directory: string, task: string): string {
  if (!/^[\w.-]{1,120}$/.test(task)) throw new SkillframeError('bad_input', `memory task ${JSON.stringify(task)} must be letters, digits, dot, dash or underscore (1..120)`);
  return join(directory, `${task}.json`);
}

/**
 * Keys here are normalised joint states (about ±2 per joint), not the planar task's metres: a
 * neighbour 0.3 away is as close as 5 cm was there, and fewer neighbours fit a smaller memory.
 */
export const jointMemorySettings: MemorySettings = {
  ...defaultMemorySettings,
  neighbours: 4,
  closeness: 0.3,
  weightedCloseness: true,
  // A confident recall is injected late (t up to 0.9, little noise left), so the policy replays
  // the remembered success rather than re-deciding it: picked on the so101 tune scenes (RTS
  // 0.7 → 0.9: tune_cube_right 9/15 → 14/15, tune_obstacle 9/15 → 10/15, training 15/15 both).
  latest: 0.9,
};

/**
 * Weight of the image embedding (keypoint encoder features, −1..1 image coordinates and presence)
 * against the normalised joint state: a 5 cm shift of the cube moves its image x by ~0.15, ×3 ≈
 * 0.45 — beyond `closeness`, so a success in one scene is not recalled in a visibly different one.
 */
export const imageEmbeddingWeight = 3;

/** The memory key: normalised joint state, then the weighted image embedding (when there is one). */
export function memoryKey(state: ArrayLike<number>, embedding?: ArrayLike<number>): number[] {
  return [...Array.from(state), ...(embedding ? Array.from(embedding, (value) => value * imageEmbeddingWeight) : [])];
}

export function loadMemory(directory: string, task: string, shape: { keyWidth: number; chunkWidth: number }): ChunkMemory {
  const memory = new ChunkMemory(jointMemorySettings);
  const path = memoryFile(directory, task);
  if (!existsSync(path)) return memory;
  const file = readJsonFile(MemoryFile, path, 'memory file', 'memory');
  if (file.keyWidth !== shape.keyWidth || file.chunkWidth !== shape.chunkWidth) {
    throw new SkillframeError('bad_input', `memory file ${path} holds keys of ${file.keyWidth} and chunks of ${file.chunkWidth} values; this policy needs ${shape.keyWidth} and ${shape.chunkWidth}`);
  }
  for (const entry of file.entries) {
    if (entry.key.length !== shape.keyWidth + 1 || entry.chunk.length !== shape.chunkWidth) throw new SkillframeError('bad_input', `memory file ${path}: an entry has the wrong width`);
    memory.restore({ key: entry.key, chunk: Float32Array.from(entry.chunk), episode: entry.episode });
  }
  return memory;
}

export function saveMemory(directory: string, task: string, memory: ChunkMemory, shape: { keyWidth: number; chunkWidth: number }): string {
  const path = memoryFile(directory, task);
  mkdirSync(directory, { recursive: true });
  const round = (value: number) => Math.round(value * 1e5) / 1e5;
  const file = { version: 1, task, ...shape, entries: memory.entries().map((entry) => ({ key: entry.key.map(round), chunk: [...entry.chunk].map(round), episode: entry.episode })) };
  writeFileAtomically(path, `${JSON.stringify(file)}\n`);
  return path;
}
