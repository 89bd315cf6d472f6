// Steering benchmark: every method on the same frozen ONNX policy, over the built-in (or given)
// layouts. Used by `skillframe robot bench`; run directly: node --import tsx bench/robot-steer.ts [episodes] [seeds].
import { fileURLToPath } from 'node:url';
import { type BenchReport, type Layout, type Method, methods as allMethods, type MethodStats } from '../core/commands/robot.ts';
import { defaultPolicyFile, loadPolicy } from '../engine/robot/policy/onnx-policy.ts';
import { builtinLayouts, pathJerk, Random, task, validationLayout } from '../engine/robot/sim/reach.ts';
import { defaultMethodSettings, type MethodSettings, runEpisode, usesMemory } from '../engine/robot/steer/episode.ts';
import { ChunkMemory } from '../engine/robot/steer/memory.ts';

export interface BenchOptions {
  seed?: number;
  seeds?: number;
  episodes?: number;
  layouts?: Layout[];
  methods?: readonly Method[];
  particles?: number;
  policyFile?: string;
  settings?: Partial<MethodSettings>;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/** Wilson score interval: honest near 0 and 1, where the normal approximation is not. */
export function wilson(successes: number, total: number, z = 1.96): [number, number] {
  if (total === 0) return [0, 1];
  const p = successes / total;
  const denominator = 1 + (z * z) / total;
  const centre = (p + (z * z) / (2 * total)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / total + (z * z) / (4 * total * total))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Newcombe's hybrid score interval (his method 10) for the difference of two independent
 * proportions a − b, built from each one's Wilson interval: honest near 0 and 1 and with unequal
 * counts, where the Wald interval is not.
 */
export function newcombe(successesA: number, totalA: number, successesB: number, totalB: number): [number, number] {
  const pA = successesA / Math.max(1, totalA);
  const pB = successesB / Math.max(1, totalB);
  const [lowA, highA] = wilson(successesA, totalA);
  const [lowB, highB] = wilson(successesB, totalB);
  const difference = pA - pB;
  return [difference - Math.sqrt((pA - lowA) ** 2 + (highB - pB) ** 2), difference + Math.sqrt((highA - pA) ** 2 + (pB - lowB) ** 2)];
}

export function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

/** FNV-1a over the parts, so an episode's random stream depends on names, not on list order. */
function hashSeed(...parts: (number | string)[]): number {
  let hash = 2166136261;
  for (const part of parts) {
    const text = `${part}|`;
    for (let index = 0; index < text.length; index += 1) {
      hash ^= text.charCodeAt(index);
      hash = Math.imul(hash, 16777619);
    }
  }
  return hash >>> 0;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

/** One method's figures over all its episodes (shared by the planar and the SO-101 benchmarks). */
export function methodStats(run: { count: number; successes: number; bySeed: number[]; collisions: number; latencies: number[]; nfe?: number[]; jerks?: number[] }): MethodStats {
  return {
    episodes: run.count,
    success: run.successes / run.count,
    ci95: wilson(run.successes, run.count),
    success_by_seed: run.bySeed,
    collision_rate: run.collisions / run.count,
    latency_ms_p50: percentile(run.latencies, 0.5),
    latency_ms_p95: percentile(run.latencies, 0.95),
    nfe: mean(run.nfe ?? []),
    jerk: mean(run.jerks ?? []),
  };
}

export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const started = performance.now();
  const firstSeed = options.seed ?? 1;
  const seeds = Array.from({ length: options.seeds ?? 3 }, (_, index) => firstSeed + index);
  const episodes = options.episodes ?? 200;
  const layouts = options.layouts ?? builtinLayouts;
  const methods = options.methods ?? allMethods;
  const settings: MethodSettings = { ...defaultMethodSettings, ...options.settings, ...(options.particles ? { particles: options.particles } : {}) };
  const network = await loadPolicy(options.policyFile ?? defaultPolicyFile);
  const report: BenchReport = {
    layouts: {},
    hz: 0,
    hz_by_method: {},
    policy: { file: network.info.file, kind: network.info.kind, chunk: network.info.chunk, execute: task.execute, steps: network.info.steps },
    seeds,
    episodes,
    particles: settings.particles,
    wall_s: 0,
  };
  const controlSteps = new Map<string, number>();
  const controlMs = new Map<string, number>();
  const total = layouts.length * methods.length * seeds.length * episodes;
  let done = 0;
  try {
    for (const layout of layouts) {
      report.layouts[layout.name] = {};
      for (const method of methods) {
        let successes = 0;
        let collisions = 0;
        const latencies: number[] = [];
        const nfe: number[] = [];
        const jerks: number[] = [];
        const bySeed: number[] = [];
        const blocks = Math.min(10, episodes);
        const curve = new Array<number>(blocks).fill(0);
        const curveCounts = new Array<number>(blocks).fill(0);
        let injected = 0;
        let skipped = 0;
        for (const seed of seeds) {
          const memory = usesMemory(method) ? new ChunkMemory() : undefined;
          let seedSuccesses = 0;
          for (let episode = 0; episode < episodes; episode += 1) {
            if (options.signal?.aborted) throw options.signal.reason;
            const random = new Random(hashSeed(seed, layout.name, method, episode));
            const outcome = await runEpisode({ network, layout, method, random, settings, ...(memory ? { memory } : {}), ...(options.signal ? { signal: options.signal } : {}) });
            if (outcome.success) seedSuccesses += 1;
            if (outcome.collided) collisions += 1;
            latencies.push(...outcome.latencies);
            nfe.push(...outcome.nfe);
            jerks.push(pathJerk(outcome.path));
            injected += outcome.injected;
            skipped += outcome.skipped;
            const block = Math.floor((episode * blocks) / episodes);
            curve[block] += outcome.success ? 1 : 0;
            curveCounts[block] += 1;
            controlSteps.set(method, (controlSteps.get(method) ?? 0) + outcome.steps);
            controlMs.set(method, (controlMs.get(method) ?? 0) + outcome.wallMs);
            done += 1;
            if (done % 50 === 0) options.onProgress?.(done / total, `${layout.name} ${method} seed ${seed} episode ${episode + 1}/${episodes}`);
          }
          successes += seedSuccesses;
          bySeed.push(seedSuccesses / episodes);
        }
        const stats = methodStats({ count: episodes * seeds.length, successes, bySeed, collisions, latencies, nfe, jerks });
        if (usesMemory(method)) {
          stats.learning_curve = curve.map((value, index) => value / Math.max(1, curveCounts[index]));
          stats.inject_rate = injected / Math.max(1, injected + skipped);
          stats.skip_rate = skipped / Math.max(1, injected + skipped);
        }
        report.layouts[layout.name][method] = stats;
      }
    }
  } finally {
    await network.dispose();
  }
  for (const method of methods) report.hz_by_method[method] = (controlSteps.get(method) ?? 0) / Math.max(1e-9, (controlMs.get(method) ?? 0) / 1000);
  report.hz = Math.min(...Object.values(report.hz_by_method));
  report.wall_s = (performance.now() - started) / 1000;
  return report;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [episodes = '200', seeds = '3', only] = process.argv.slice(2);
  const report = await runBench({
    episodes: Number(episodes),
    seeds: Number(seeds),
    ...(only ? { methods: only.split(',') as Method[] } : {}),
    ...(process.env.POLICY ? { policyFile: process.env.POLICY } : {}),
    ...(process.env.LAYOUTS ? { layouts: [...builtinLayouts, validationLayout].filter((layout) => process.env.LAYOUTS?.split(',').includes(layout.name)) } : {}),
    onProgress: (fraction, message) => process.stderr.write(`${(fraction * 100).toFixed(0)}% ${message}\n`),
  });
  console.log(JSON.stringify(report));
}
