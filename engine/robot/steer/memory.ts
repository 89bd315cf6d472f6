import type { Point } from '../../../core/commands/robot.ts';

/**
 * Retrieve-then-steer memory: successful (observation, progress, action chunk) segments from
 * earlier episodes of the same layout. Retrieval: k nearest by (position, progress), a
 * consistency filter that drops candidates far from the medoid chunk, and a weighted mean as
 * the prior. Confidence (agreement × closeness) picks how late in the flow the prior enters.
 */
export interface MemorySettings {
  neighbours: number;
  /** Weight of progress (0..1) against position (world units) in the key distance. */
  progressWeight: number;
  /** Key distance (world units) at which closeness halves the confidence. */
  closeness: number;
  /** Candidates farther than this × the median distance to the medoid are dropped. */
  outlierFactor: number;
  /** Below this confidence, do not inject: fall back to the base sampler. */
  minimumConfidence: number;
  /** Injection flow time for confidence 0 and 1 (linear between). */
  earliest: number;
  latest: number;
  capacity: number;
  /** Judge closeness by the same inverse-distance weights as the prior (one exact match counts), not the plain mean. */
  weightedCloseness?: boolean;
}

export const defaultMemorySettings: MemorySettings = {
  neighbours: 8,
  progressWeight: 0.3,
  closeness: 0.05,
  outlierFactor: 2,
  minimumConfidence: 0.35,
  earliest: 0.3,
  latest: 0.7,
  capacity: 6000,
};

export interface Retrieval {
  prior: Float32Array;
  confidence: number;
  /** Flow time (0 noise … 1 clean) at which to inject the prior. */
  time: number;
  kept: number;
  candidates: number;
}

/** One stored success: its key (position or joint state, then progress), chunk and source episode. */
export interface MemoryEntry {
  key: number[];
  chunk: Float32Array;
  episode: number;
}

export class ChunkMemory {
  private keys: number[][] = [];
  private chunks: Float32Array[] = [];
  private episodes: number[] = [];
  private nextEpisode = 0;
  constructor(readonly settings: MemorySettings = defaultMemorySettings) {}

  get size(): number {
    return this.chunks.length;
  }

  /** Every entry, for saving (./success-memory.ts). */
  entries(): MemoryEntry[] {
    return this.keys.map((key, index) => ({ key, chunk: this.chunks[index], episode: this.episodes[index] }));
  }

  /** Starts a new source episode; entries added after it share its id. */
  beginEpisode(id?: number): number {
    this.nextEpisode = Math.max(this.nextEpisode, (id ?? this.nextEpisode) + 1);
    return id ?? this.nextEpisode - 1;
  }

  /** Adds a stored entry as it was (its key already carries the weighted progress). */
  restore(entry: MemoryEntry): void {
    this.keys.push(entry.key);
    this.chunks.push(entry.chunk);
    this.episodes.push(entry.episode);
    this.nextEpisode = Math.max(this.nextEpisode, entry.episode + 1);
    this.trim();
  }

  /** `position` is any key vector: the planar point, or a normalised joint state. */
  add(position: readonly number[], progress: number, chunk: Float32Array, episode = this.nextEpisode - 1): void {
    if (position.some((value) => !Number.isFinite(value)) || !Number.isFinite(progress)) return;
    this.keys.push([...position, progress * this.settings.progressWeight]);
    this.chunks.push(chunk.slice());
    this.episodes.push(Math.max(0, episode));
    this.trim();
  }

  private trim() {
    while (this.chunks.length > this.settings.capacity) {
      // Oldest first: the policy's behaviour in this layout is best described by recent successes.
      this.keys.shift();
      this.chunks.shift();
      this.episodes.shift();
    }
  }

  /** Stores every step of a successful episode: the actions actually executed from there on (normalized, zero after the end). */
  addEpisode(path: readonly Point[], actions: readonly Point[], maxSteps: number, chunkLength: number, actionScale: number): void {
    this.beginEpisode();
    for (let step = 0; step < actions.length; step += 1) {
      const chunk = new Float32Array(chunkLength * 2);
      for (let offset = 0; offset < chunkLength && step + offset < actions.length; offset += 1) {
        chunk[offset * 2] = actions[step + offset][0] / actionScale;
        chunk[offset * 2 + 1] = actions[step + offset][1] / actionScale;
      }
      this.add(path[step], step / maxSteps, chunk);
    }
  }

  retrieve(position: readonly number[], progress: number, options: { onePerEpisode?: boolean } = {}): Retrieval | undefined {
    const { neighbours, progressWeight } = this.settings;
    if (this.chunks.length < Math.min(3, neighbours)) return undefined;
    const query = [...position, progress * progressWeight];
    // Trajectory level: one candidate per source episode (once there are enough episodes), so one long run cannot outvote the rest.
    const onePerEpisode = options.onePerEpisode === true && new Set(this.episodes).size >= Math.min(3, neighbours);
    const nearest: { index: number; distance: number }[] = [];
    for (let index = 0; index < this.keys.length; index += 1) {
      const key = this.keys[index];
      if (key.length !== query.length) continue;
      let squared = 0;
      for (let axis = 0; axis < query.length; axis += 1) squared += (key[axis] - query[axis]) ** 2;
      const distance = Math.sqrt(squared);
      if (nearest.length < neighbours || distance < nearest[nearest.length - 1].distance) {
        if (onePerEpisode) {
          const same = nearest.findIndex((entry) => this.episodes[entry.index] === this.episodes[index]);
          if (same >= 0) {
            if (nearest[same].distance <= distance) continue;
            nearest.splice(same, 1);
          }
        }
        nearest.push({ index, distance });
        nearest.sort((a, b) => a.distance - b.distance);
        if (nearest.length > neighbours) nearest.pop();
      }
    }
    if (nearest.length < Math.min(3, neighbours)) return undefined;
    const candidates = nearest.map((entry) => this.chunks[entry.index]);
    const pairwise = candidates.map((a) => candidates.map((b) => chunkDistance(a, b)));
    let medoid = 0;
    let bestSum = Infinity;
    for (let index = 0; index < candidates.length; index += 1) {
      const sum = pairwise[index].reduce((total, value) => total + value, 0);
      if (sum < bestSum) {
        bestSum = sum;
        medoid = index;
      }
    }
    const toMedoid = pairwise[medoid];
    const sorted = [...toMedoid].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    // A floor so that identical candidates (median 0) do not reject tiny differences.
    const limit = Math.max(0.5, this.settings.outlierFactor * median);
    const width = candidates[0].length;
    const prior = new Float32Array(width);
    let weightSum = 0;
    let kept = 0;
    let keptDistance = 0;
    let weightedDistance = 0;
    for (let index = 0; index < candidates.length; index += 1) {
      if (toMedoid[index] > limit) continue;
      const weight = 1 / (nearest[index].distance + 0.01);
      for (let value = 0; value < width; value += 1) prior[value] += weight * candidates[index][value];
      weightSum += weight;
      kept += 1;
      keptDistance += nearest[index].distance;
      weightedDistance += weight * nearest[index].distance;
    }
    for (let value = 0; value < width; value += 1) prior[value] /= weightSum;
    const agreement = kept / candidates.length;
    const typical = this.settings.weightedCloseness ? weightedDistance / weightSum : keptDistance / kept;
    const closeness = 1 / (1 + typical / this.settings.closeness);
    const confidence = agreement * closeness;
    const time = this.settings.earliest + (this.settings.latest - this.settings.earliest) * Math.min(1, confidence);
    return { prior, confidence, time, kept, candidates: candidates.length };
  }
}

function chunkDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index += 1) sum += (a[index] - b[index]) ** 2;
  return Math.sqrt(sum);
}
