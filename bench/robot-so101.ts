// The SO-101 tabletop benchmark (`skillframe robot bench --task so101`): one image-conditioned
// joint-space policy (ONNX + sidecar) picks the cube into the bin on the kinematic tabletop, every
// steering method on the same scenes and seeds. The training scene is reported beside the shifted
// set (cube and bin moved, obstacles, distractors, colour and lighting changes), fixed before tuning.
import { fileURLToPath } from 'node:url';
import type { BenchReport, KeypointRewardSpec, Method, RewardSpec } from '../core/commands/robot.ts';
import { SkillframeError } from '../core/index.ts';
import { createScriptedProvider } from '../perception/models/scripted.ts';
import { type Grounding, specFromSceneCamera } from '../engine/robot/vision/ground-spec.ts';
import { defaultDetectorFile, loadKeypointDetector, loadKeypointEncoder } from '../engine/robot/vision/keypoints.ts';
import { TabletopScene } from '../core/schemas/tabletop.ts';
import { jointPolicy } from '../engine/robot/arm/joint-policy.ts';
import { loadSidecarPolicy } from '../engine/robot/policy/sidecar.ts';
import { homePose } from '../engine/robot/sim/pick-expert.ts';
import { renderScene } from '../engine/robot/sim/render.ts';
import { cameraTensor, defaultScene } from '../engine/robot/sim/scenes.ts';
import { followTarget, TabletopWorld } from '../engine/robot/sim/tabletop.ts';
import { type MethodSettings, needsReward, usesMemory } from '../engine/robot/steer/episode.ts';
import { ChunkMemory, type MemorySettings } from '../engine/robot/steer/memory.ts';
import { jointMemorySettings } from '../engine/robot/steer/success-memory.ts';
import { methodStats, newcombe, wilson } from './robot-steer.ts';

export const so101Methods: Method[] = ['base', 'best_of_n', 'itps', 'vls', 'vls_no_adaptive', 'vls_no_mcmc', 'rts', 'rts_vls'];

const scene = (patch: Record<string, unknown> & { name: string }) => TabletopScene.parse({ ...defaultScene, ...patch, cube: { ...defaultScene.cube, ...(patch.cube as object) }, bin: { ...defaultScene.bin, ...(patch.bin as object) } });
/** Shifted scenes, fixed before any tuning: none of them is the training scene. */
export const shiftedScenes: TabletopScene[] = [
  scene({ name: 'cube_far_right', cube: { position: [0.14, -0.29] } }),
  scene({ name: 'cube_near_left', cube: { position: [-0.02, -0.17] } }),
  scene({ name: 'bin_right', cube: { position: [-0.06, -0.26] }, bin: { position: [0.12, -0.2] } }),
  // The obstacle stands between cube and bin, clear of the arm's start pose (at (0, −0.2) it stood under the gripper at home, so every episode began in collision).
  scene({ name: 'obstacle_between', obstacles: [{ position: [-0.02, -0.26], radius: 0.018, height: 0.1 }] }),
  scene({ name: 'distractors_dim', distractors: [{ position: [0.1, -0.16], size: 0.03, colour: [0.8, 0.2, 0.2] }, { position: [-0.02, -0.3], size: 0.025, colour: [0.2, 0.7, 0.2] }], lighting: { brightness: 0.6, tint: [1, 0.9, 0.8] } }),
  scene({ name: 'cube_far_blue_light', cube: { position: [0.1, -0.32] }, lighting: { brightness: 1.4, tint: [0.8, 0.9, 1] }, table: { colour: [0.5, 0.5, 0.55] } }),
];

/**
 * The tune set: steering constants (guidance strength, adaptive scale, refinement) are picked on
 * these scenes and the training scene only, never on the shifted set above. Each moves one thing
 * the shifted set also moves (cube, bin, an obstacle on the carry path), to other places.
 */
export const tuneScenes: TabletopScene[] = [
  scene({ name: 'tune_cube_right', cube: { position: [0.12, -0.21] } }),
  scene({ name: 'tune_cube_far_left', cube: { position: [-0.01, -0.31] } }),
  scene({ name: 'tune_bin_near', bin: { position: [-0.04, -0.32] } }),
  scene({ name: 'tune_obstacle', obstacles: [{ position: [-0.03, -0.2], radius: 0.018, height: 0.12 }] }),
  // Added in the round that measured obstacle heights from the image: a lower, wider post right on the carry line (tune_obstacle stands beside it).
  scene({ name: 'tune_obstacle_carry', obstacles: [{ position: [-0.05, -0.235], radius: 0.02, height: 0.11 }] }),
  // Added after the first full run of that round (see the results file `tune`): a post beside the cube, on the side
  // away from the bin. Unsolved: base 9/10, ITPS 5/10, VLS 0/10 (the gripper descends ~5 cm short of the cube).
  // obstacle_between fails the same way (the post near the cube), so this scene is where a fix should be found.
  scene({ name: 'tune_obstacle_by_cube', obstacles: [{ position: [0.1, -0.3], radius: 0.018, height: 0.09 }] }),
];

/**
 * The spec every steered method uses, as the VLM writes it from the camera image and the
 * instruction: keypoints by name, no coordinates. The bench has no VLM to call, so a scripted
 * provider gives this reply (the same for every scene); all that differs between scenes is
 * where the detector finds the keypoints in the live image.
 */
export const so101Instruction = 'put the cube in the bin without touching any obstacle';
export const so101SpecReply: KeypointRewardSpec = {
  version: 1,
  hold: 6,
  stages: [
    {
      name: 'reach the cube',
      terms: [
        { kind: 'reach', target: { keypoint: 'cube' }, weight: 1 },
        { kind: 'keep_away', center: { keypoint: 'obstacle' }, radius: 0.03, margin: 0.04, weight: 2 },
      ],
      // The reach ends at the grasp (the jaws closed at the cube), not when the gripper first
      // passes over the cube on its way down: judged on the table plane, "near" held while the
      // gripper hovered 8 cm up at the start, and the carry stage then pulled it to the bin empty.
      until: { kind: 'grasped', point: { keypoint: 'cube' }, within: 0.03 },
    },
    {
      // Carrying, the gripper passes over an obstacle or around it: keep_above (the obstacle's
      // top measured from the image) instead of a flat keep_away, whose 7 cm disc pushed the
      // gripper past a bin standing next to the obstacle (tune_obstacle_carry).
      name: 'carry to the bin',
      terms: [
        { kind: 'reach', target: { keypoint: 'bin' }, weight: 1 },
        { kind: 'keep_above', center: { keypoint: 'obstacle' }, radius: 0.02, margin: 0.02, clearance: 0.04, weight: 2 },
      ],
    },
  ],
};

/** Distance (m) from each grounded keypoint to the nearest true object of its kind. */
function keypointErrors(scene: TabletopScene, grounding: Grounding): Record<string, number> {
  const truth: Record<string, [number, number][]> = { cube: [scene.cube.position], bin: [scene.bin.position], obstacle: scene.obstacles.map((obstacle) => obstacle.position) };
  const errors: Record<string, number> = {};
  for (const [name, found] of Object.entries(grounding)) {
    const points = truth[name] ?? [];
    if (!found.length || !points.length) continue;
    errors[name] = Math.round(Math.min(...points.map((point) => Math.hypot(point[0] - found[0].point[0], point[1] - found[0].point[1]))) * 1e4) / 1e4;
  }
  return errors;
}

/** Each method over the shifted scenes (all but the training scene), or nothing when the run has none. */
export function pooledOverShifted(report: BenchReport, methods: readonly string[]): NonNullable<BenchReport['pooled']> | undefined {
  const shifted = Object.entries(report.layouts).filter(([name]) => name !== defaultScene.name);
  if (!shifted.length) return undefined;
  const pooled: NonNullable<BenchReport['pooled']> = {};
  for (const method of methods) {
    let successes = 0;
    let episodes = 0;
    let collisions = 0;
    for (const [, byMethod] of shifted) {
      const stats = byMethod[method];
      if (!stats) continue;
      successes += Math.round(stats.success * stats.episodes);
      collisions += Math.round(stats.collision_rate * stats.episodes);
      episodes += stats.episodes;
    }
    if (episodes) pooled[method] = { successes, episodes, success: successes / episodes, ci95: wilson(successes, episodes), collision_rate: collisions / episodes };
  }
  return pooled;
}

/** The comparisons the targets name (VLS over base and over ITPS, retrieve-then-steer over base), plus each VLS ablation against VLS. */
const comparisons: [string, string][] = [
  ['vls', 'itps'],
  ['vls', 'base'],
  ['itps', 'base'],
  ['rts', 'base'],
  ['rts_vls', 'vls'],
  ['vls', 'vls_no_adaptive'],
  ['vls', 'vls_no_mcmc'],
  ['vls', 'best_of_n'],
];

export function methodDifferences(pooled: NonNullable<BenchReport['pooled']>): NonNullable<BenchReport['differences']> {
  const round = (value: number) => Math.round(value * 1e4) / 1e4;
  return comparisons
    .filter(([a, b]) => pooled[a] && pooled[b])
    .map(([a, b]) => {
      const [x, y] = [pooled[a], pooled[b]];
      const [low, high] = newcombe(x.successes, x.episodes, y.successes, y.episodes);
      return { a, b, difference: round(x.success - y.success), ci95: [round(low), round(high)] as [number, number] };
    });
}

export interface So101BenchOptions {
  policyFile: string;
  /** Keypoint detector (ONNX + sidecar); default: the bundled one. */
  detectorFile?: string;
  scenes?: TabletopScene[];
  methods?: readonly Method[];
  episodes?: number;
  seed?: number;
  seeds?: number;
  particles?: number;
  /** Control ticks per episode (30 Hz). */
  ticks?: number;
  /** Keep each scene's success memory across seeds (default true): runs 1..N of a seed see what the earlier seeds' runs stored. */
  sharedMemory?: boolean;
  /** Overrides of the joint-space memory settings (tuning runs on the tune scenes). */
  memorySettings?: Partial<MemorySettings>;
  /** The scripted VLM's reply (default so101SpecReply). */
  specReply?: KeypointRewardSpec;
  /** Overrides of the arm's steering settings (tuning runs on the tune scenes). */
  settings?: Partial<MethodSettings>;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export async function runSo101Bench(options: So101BenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const scenes = options.scenes ?? [defaultScene, ...shiftedScenes];
  const methods = options.methods ?? so101Methods;
  const episodes = options.episodes ?? 10;
  const seeds = Array.from({ length: options.seeds ?? 1 }, (_, index) => (options.seed ?? 1) + index);
  const ticks = options.ticks ?? 150;
  const network = await loadSidecarPolicy(options.policyFile);
  const detector = await loadKeypointDetector(options.detectorFile ?? defaultDetectorFile);
  // Retrieve-then-steer keys: joint state + the keypoint encoder's embedding of the live image.
  const embedding = await loadKeypointEncoder(options.detectorFile ?? defaultDetectorFile);
  const provider = createScriptedProvider(() => JSON.stringify(options.specReply ?? so101SpecReply));
  const perception: NonNullable<BenchReport['perception']> = {};
  const { sidecar } = network;
  const report: BenchReport = {
    layouts: {},
    hz: 0,
    hz_by_method: {},
    policy: { file: options.policyFile, kind: sidecar.kind, chunk: sidecar.chunk, execute: sidecar.execute, steps: sidecar.steps },
    seeds,
    episodes,
    particles: options.particles ?? 8,
    wall_s: 0,
  };
  const controlTicks = new Map<string, number>();
  const controlMs = new Map<string, number>();
  const total = scenes.length * methods.length * seeds.length * episodes;
  let done = 0;
  try {
    for (const tableScene of scenes) {
      report.layouts[tableScene.name] = {};
      let spec: RewardSpec | undefined;
      try {
        const grounded = await specFromSceneCamera(tableScene, detector, provider, so101Instruction);
        spec = grounded.spec;
        perception[tableScene.name] = { keypoints: grounded.grounding, error_m: keypointErrors(tableScene, grounded.grounding), detector_ms: Math.round(grounded.detectorMs * 100) / 100 };
      } catch (error) {
        if (!(error instanceof SkillframeError) || error.code !== 'not_found') throw error;
        // The detector did not find a keypoint the spec needs: the steered methods cannot run here (counted as misses).
        perception[tableScene.name] = { keypoints: {}, error_m: {}, detector_ms: 0, failed: error.message };
      }
      for (const method of methods) {
        let successes = 0;
        let collisions = 0;
        const latencies: number[] = [];
        const bySeed: number[] = [];
        let injected = 0;
        let chunks = 0;
        if (!spec && needsReward(method)) {
          report.layouts[tableScene.name][method] = methodStats({ count: episodes * seeds.length, successes: 0, bySeed: seeds.map(() => 0), collisions: 0, latencies: [] });
          done += episodes * seeds.length;
          continue;
        }
        // One success memory per scene and method, kept across its seeds' runs the way a memory on disk is kept across runs (fresh per seed with sharedMemory false).
        const sceneMemory = usesMemory(method) && options.sharedMemory !== false ? new ChunkMemory({ ...jointMemorySettings, ...options.memorySettings }) : undefined;
        for (const seed of seeds) {
          const memory = usesMemory(method) ? (sceneMemory ?? new ChunkMemory({ ...jointMemorySettings, ...options.memorySettings })) : undefined;
          let seedSuccesses = 0;
          for (let episode = 0; episode < episodes; episode += 1) {
            if (options.signal?.aborted) throw options.signal.reason;
            const world = new TabletopWorld(tableScene, homePose);
            const state: Record<string, number> = { ...homePose };
            const policy = await jointPolicy({
              file: options.policyFile,
              network,
              sampler: method,
              ...(needsReward(method) ? { spec } : {}),
              ...(memory ? { memory, embedding } : {}),
              particles: options.particles ?? 8,
              ...(options.settings ? { settings: options.settings } : {}),
              seed: seed * 1000 + episode,
              image: () => cameraTensor(renderScene(tableScene, world.state)),
              expectedSteps: ticks,
            });
            const begun = performance.now();
            let queue: Record<string, number>[] = [];
            for (let tick = 0; tick < ticks; tick += 1) {
              policy.observe?.(state);
              if (!queue.length) {
                const before = performance.now();
                queue = (await policy.nextChunk({ positions: { ...state }, time: tick / 30 })).slice(0, policy.execute);
                latencies.push(performance.now() - before);
              }
              followTarget(state, queue.shift()!);
              world.step(state);
              if (world.state.inBin && !world.state.grasped) break;
            }
            controlMs.set(method, (controlMs.get(method) ?? 0) + performance.now() - begun);
            controlTicks.set(method, (controlTicks.get(method) ?? 0) + policy.executed.length * policy.execute);
            const success = world.state.inBin && !world.state.collided;
            if (success) seedSuccesses += 1;
            if (world.state.collided) collisions += 1;
            injected += policy.injections;
            chunks += policy.executed.length;
            if (success && memory) {
              const id = memory.beginEpisode();
              for (const entry of policy.executed) memory.add(entry.key, entry.progress, entry.chunk, id);
            }
            await policy.dispose?.();
            done += 1;
            options.onProgress?.(done / total, `${tableScene.name} ${method} episode ${episode + 1}/${episodes}: ${success ? 'success' : 'miss'}`);
          }
          successes += seedSuccesses;
          bySeed.push(seedSuccesses / episodes);
        }
        const stats = methodStats({ count: episodes * seeds.length, successes, bySeed, collisions, latencies });
        if (usesMemory(method)) stats.inject_rate = injected / Math.max(1, chunks);
        report.layouts[tableScene.name][method] = stats;
      }
    }
  } finally {
    await network.dispose();
    await detector.dispose();
    await embedding.dispose();
  }
  report.perception = perception;
  for (const method of methods) report.hz_by_method[method] = (controlTicks.get(method) ?? 0) / Math.max(1e-9, (controlMs.get(method) ?? 0) / 1000);
  report.hz = Math.min(...Object.values(report.hz_by_method));
  report.wall_s = (performance.now() - started) / 1000;
  report.task = 'so101';
  const meanLatency = (method: string) => {
    const values = Object.values(report.layouts).map((byMethod) => byMethod[method]?.latency_ms_p50 ?? 0);
    return values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  };
  const pooled = pooledOverShifted(report, methods);
  if (pooled) {
    report.pooled = pooled;
    report.differences = methodDifferences(pooled);
  }
  if (methods.includes('base')) report.latency_vs_base = Object.fromEntries(methods.map((method) => [method, Math.round((meanLatency(method) / Math.max(1e-9, meanLatency('base'))) * 100) / 100]));
  report.notes = [
    'Steered methods use a keypoint spec grounded in each scene\'s first camera frame by the keypoint detector trained in the repo (engine/robot/vision); the spec itself is a scripted VLM reply, the same for every scene. Success is judged by the sim\'s world state (cube in the bin, no collision), never by the spec.',
    'Episodes run on the kinematic tabletop (step limits and joint limits as the safety path applies them, no bus) so that hundreds fit in minutes.',
    'Steering constants (guidance strengths, VLS adaptive scale and barrier sizing, MCMC refinement, the memory\'s injection schedule) were picked on tuneScenes and the training scene only, never on the shifted scenes. vls_no_adaptive and vls_no_mcmc are VLS with one part switched off, everything else equal (without the adaptive strength the barrier terms are not sized apart either).',
    'The carry stage\'s keep_above term keeps the gripper above each obstacle\'s top, measured from the first camera frame (blob outline → height and foot, engine/robot/vision/keypoints.ts uprightObject), never from the scene.',
    options.sharedMemory === false ? 'Retrieve-then-steer memories are fresh for every seed.' : 'Retrieve-then-steer keeps one success memory per scene and method across its seeds, as a memory on disk is kept across runs: seed N\'s episodes recall the successes of seeds 1..N−1 and of its own earlier episodes (it starts empty; nothing from other methods or scenes).',
  ];
  return report;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [policyFile, episodes = '10', only] = process.argv.slice(2);
  const report = await runSo101Bench({
    policyFile,
    episodes: Number(episodes),
    ...(only ? { methods: only.split(',') as Method[] } : {}),
    onProgress: (fraction, message) => process.stderr.write(`${(fraction * 100).toFixed(0)}% ${message}\n`),
  });
  console.log(JSON.stringify(report));
}
