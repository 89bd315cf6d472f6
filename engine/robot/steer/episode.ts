import type { Layout, Method, Point, RewardSpec } from '../../../core/commands/robot.ts';
import type { ChunkNetwork } from '../policy/onnx-policy.ts';
import { createScheme, type Scheme } from '../policy/scheme.ts';
import { episodeOver, episodeSucceeded, type EpisodeState, type Random, startEpisode, stepEpisode, task } from '../sim/reach.ts';
import { ChunkMemory } from './memory.ts';
import { compileReward, type CompiledReward, StageTracker } from './reward.ts';
import { type ChunkSample, sampleChunk, type SteerSettings } from './sampler.ts';
import { specFromScene } from './spec.ts';

/** Hyper-parameters of the steering methods; tuned on the validation layout only. */
export interface MethodSettings {
  particles: number;
  guidanceScale: number;
  guidanceStop: number;
  guidanceLate: number;
  guidanceNorm: number;
  itpsScale: number;
  repulsion: number;
  temperature: number;
  /** VLS reward-adaptive guidance: reward shortfall at which the strength reaches tanh(1) ≈ 0.76 of full (0: off, the same strength for every particle). */
  adaptiveGuidance: number;
  /** VLS MCMC refinement steps on the final particles (0: off) and the scheme step they re-noise to. */
  refineSteps: number;
  refineStep: number;
  /** With the adaptive strength: the barrier terms' guidance RMS as a multiple of guidanceNorm (0: merged with the goal terms), and the barrier shortfall at which it reaches tanh(1) of that. */
  barrierGuidance: number;
  barrierScale: number;
}

export const defaultMethodSettings: MethodSettings = {
  particles: 8,
  guidanceScale: 2,
  guidanceStop: 0.5,
  guidanceLate: 0.3,
  guidanceNorm: 1,
  itpsScale: 1,
  repulsion: 0.5,
  temperature: 20,
  // The planar point task saturates (every steered method ≥ 95 %): its VLS is left as measured,
  // without the adaptive strength and refinement the arm's VLS uses (armMethodSettings).
  adaptiveGuidance: 0,
  refineSteps: 0,
  refineStep: 9,
  barrierGuidance: 0,
  barrierScale: 0.05,
};

export function steerSettings(method: Method, settings: MethodSettings): SteerSettings {
  const adaptive = settings.adaptiveGuidance > 0 && method !== 'vls_no_adaptive';
  const refine = settings.refineSteps > 0 && method !== 'vls_no_mcmc';
  const vls: SteerSettings = {
    particles: settings.particles,
    guidance: {
      scale: settings.guidanceScale,
      schedule: 'early',
      stop: settings.guidanceStop,
      late: settings.guidanceLate,
      norm: settings.guidanceNorm,
      ...(adaptive ? { adaptive: settings.adaptiveGuidance } : {}),
      ...(adaptive && settings.barrierGuidance > 0 ? { barrier: { norm: settings.guidanceNorm * settings.barrierGuidance, scale: settings.barrierScale } } : {}),
    },
    repulsion: settings.repulsion,
    resample: { temperature: settings.temperature },
    ...(refine ? { refine: { steps: settings.refineSteps, step: settings.refineStep, temperature: settings.temperature } } : {}),
    pick: 'reward',
  };
  switch (method) {
    case 'base':
      return { particles: 1, pick: 'first' };
    case 'best_of_n':
      return { particles: settings.particles, pick: 'reward' };
    case 'itps':
      return { particles: settings.particles, guidance: { scale: settings.itpsScale, schedule: 'constant', stop: 1, late: 1, norm: settings.guidanceNorm }, pick: 'reward' };
    case 'vls':
    case 'vls_no_barrier':
    case 'vls_no_adaptive':
    case 'vls_no_mcmc':
      return vls;
    case 'rts':
      return { particles: settings.particles, pick: 'prior' };
    case 'rts_vls':
      return vls;
  }
}

/** Methods that judge chunks by a reward spec (and so cannot run without one). */
export function needsReward(method: Method): boolean {
  return method !== 'base' && method !== 'rts';
}

export function usesMemory(method: Method): boolean {
  return method === 'rts' || method === 'rts_vls';
}

export interface ChunkEvent {
  step: number;
  position: Point;
  sample: ChunkSample;
  stage: string | undefined;
  injected: boolean;
  state: EpisodeState;
}

export interface EpisodeOptions {
  network: ChunkNetwork;
  layout: Layout;
  method: Method;
  random: Random;
  settings?: MethodSettings;
  /** Default: written from the scene (without barriers for vls_no_barrier). */
  spec?: RewardSpec;
  /** Retrieve-then-steer memory of this layout; successful episodes are added to it. */
  memory?: ChunkMemory;
  signal?: AbortSignal;
  onChunk?: (event: ChunkEvent) => void | Promise<void>;
}

export interface EpisodeOutcome {
  success: boolean;
  collided: boolean;
  steps: number;
  path: Point[];
  latencies: number[];
  nfe: number[];
  injected: number;
  skipped: number;
  /** Wall time of the whole episode (policy + simulation), ms. */
  wallMs: number;
}

const schemes = new Map<string, Scheme>();
function schemeFor(network: ChunkNetwork): Scheme {
  const key = `${network.info.kind}:${network.info.steps}`;
  let scheme = schemes.get(key);
  if (!scheme) {
    scheme = createScheme(network.info.kind, network.info.steps);
    schemes.set(key, scheme);
  }
  return scheme;
}

const compiled = new WeakMap<RewardSpec, CompiledReward>();

export async function runEpisode(options: EpisodeOptions): Promise<EpisodeOutcome> {
  const started = performance.now();
  const { network, layout, method, random } = options;
  const settings = options.settings ?? defaultMethodSettings;
  const scheme = schemeFor(network);
  const steer = steerSettings(method, settings);
  const spec = options.spec ?? (needsReward(method) ? specFromScene(layout, { barriers: method !== 'vls_no_barrier' }) : undefined);
  let reward: CompiledReward | undefined;
  if (spec) {
    reward = compiled.get(spec);
    if (!reward) {
      reward = compileReward(spec, network.info.actionScale, network.info.chunk);
      compiled.set(spec, reward);
    }
  }
  const tracker = spec ? new StageTracker(spec) : undefined;
  const memory = usesMemory(method) ? options.memory ?? new ChunkMemory() : undefined;
  const state = startEpisode(layout);
  const actions: Point[] = [];
  const latencies: number[] = [];
  const nfe: number[] = [];
  let injected = 0;
  let skipped = 0;
  const observation = new Float32Array(network.info.observation);
  while (!episodeOver(state)) {
    if (options.signal?.aborted) throw options.signal.reason;
    const position: Point = [state.position[0], state.position[1]];
    observation[0] = position[0];
    observation[1] = position[1];
    const chunkStarted = performance.now();
    let settingsNow = steer;
    let prior: { chunk: Float32Array; step: number } | undefined;
    if (memory) {
      const retrieval = memory.retrieve(position, state.steps / task.maxSteps);
      if (retrieval && retrieval.confidence >= memory.settings.minimumConfidence) {
        prior = { chunk: retrieval.prior, step: Math.round(retrieval.time * scheme.steps) };
        injected += 1;
      } else {
        skipped += 1;
        // Low confidence: the plain sampler of the method (base for rts, VLS for rts_vls).
        if (method === 'rts') settingsNow = { particles: 1, pick: 'first' };
      }
    }
    const sample = await sampleChunk(network, scheme, settingsNow, {
      observation,
      position,
      random,
      ...(reward ? { reward, stage: tracker?.index ?? 0 } : {}),
      ...(prior ? { prior } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    latencies.push(performance.now() - chunkStarted);
    nfe.push(sample.nfe);
    const stageName = tracker?.stage.name;
    for (let index = 0; index < task.execute && !episodeOver(state); index += 1) {
      const dx = sample.chunk[2 * index] * network.info.actionScale;
      const dy = sample.chunk[2 * index + 1] * network.info.actionScale;
      const before = state.path.length;
      stepEpisode(state, dx, dy);
      const [from, to] = [state.path[before - 1], state.path[before]];
      actions.push([to[0] - from[0], to[1] - from[1]]);
      tracker?.update(state.position);
    }
    await options.onChunk?.({ step: state.steps, position, sample, stage: stageName, injected: prior !== undefined, state });
  }
  const success = episodeSucceeded(state);
  if (success && memory) memory.addEpisode(state.path, actions, task.maxSteps, network.info.chunk, network.info.actionScale);
  return { success, collided: state.collided, steps: state.steps, path: state.path, latencies, nfe, injected, skipped, wallMs: performance.now() - started };
}
