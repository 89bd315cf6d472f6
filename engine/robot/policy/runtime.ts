import type { Method, Point, RewardSpec } from '../../../core/commands/robot.ts';
import { SkillframeError } from '../../../core/errors.ts';
import { Random, task } from '../sim/reach.ts';
import { ChunkMemory } from '../steer/memory.ts';
import { compileReward, type CompiledReward, StageTracker } from '../steer/reward.ts';
import { defaultMethodSettings, type MethodSettings, needsReward, steerSettings, usesMemory } from '../steer/episode.ts';
import { sampleChunk } from '../steer/sampler.ts';
import { type ChunkNetwork, defaultPolicyFile, loadPolicy, type PolicyInfo } from './onnx-policy.ts';
import { createScheme } from './scheme.ts';

/**
 * The stable runtime API for control loops (the arm room's policy loop uses this): load a frozen
 * policy once, ask for the next action chunk from an observation, dispose. The sampler is any
 * steering method; guided ones need a reward spec.
 */
export interface PolicyRuntimeOptions {
  /** ONNX policy file; default: the committed reach policy. */
  file?: string;
  sampler?: Method;
  /** Reward spec for guided samplers (best_of_n, itps, vls, rts_vls). */
  spec?: RewardSpec;
  particles?: number;
  seed?: number;
  settings?: Partial<MethodSettings>;
}

export interface PolicyRuntime {
  readonly info: PolicyInfo;
  /** How many actions of each chunk the loop should execute before asking again. */
  readonly execute: number;
  /**
   * Next chunk for an observation (the policy's observation vector: end-effector x, y in world
   * units for the reach policy). Returns `chunk` actions, each a [dx, dy] displacement in world units.
   */
  nextChunk(observation: ArrayLike<number>, signal?: AbortSignal): Promise<Float32Array[]>;
  /** Tells the runtime where the end effector actually went (stage tracking of the reward spec). */
  observe(position: Point): void;
  /** Ends an episode; a successful one feeds the retrieve-then-steer memory. */
  endEpisode(path: readonly Point[], actions: readonly Point[], success: boolean): void;
  dispose(): Promise<void>;
}

export async function createPolicyRuntime(options: PolicyRuntimeOptions = {}): Promise<PolicyRuntime> {
  const sampler = options.sampler ?? 'base';
  const needsSpec = needsReward(sampler);
  if (needsSpec && !options.spec) throw new SkillframeError('bad_input', `sampler ${sampler} needs a reward spec (options.spec)`);
  const network: ChunkNetwork = await loadPolicy(options.file ?? defaultPolicyFile);
  const scheme = createScheme(network.info.kind, network.info.steps);
  const settings = { ...defaultMethodSettings, ...options.settings, ...(options.particles ? { particles: options.particles } : {}) };
  const steer = steerSettings(sampler, settings);
  const reward: CompiledReward | undefined = options.spec ? compileReward(options.spec, network.info.actionScale, network.info.chunk) : undefined;
  let tracker = options.spec ? new StageTracker(options.spec) : undefined;
  const memory = usesMemory(sampler) ? new ChunkMemory() : undefined;
  const random = new Random(options.seed ?? 1);
  let steps = 0;
  let disposed = false;
  return {
    info: network.info,
    execute: task.execute,
    async nextChunk(observationValues, signal) {
      if (disposed) throw new SkillframeError('internal', 'policy runtime used after dispose');
      if (observationValues.length !== network.info.observation) {
        throw new SkillframeError('bad_input', `observation: expected ${network.info.observation} values, got ${observationValues.length}`);
      }
      const observation = Float32Array.from(observationValues);
      for (const [index, value] of observation.entries()) {
        if (!Number.isFinite(value)) throw new SkillframeError('bad_input', `observation[${index}]: not a finite number (${value})`);
      }
      const position: Point = [observation[0], observation[1]];
      let prior: { chunk: Float32Array; step: number } | undefined;
      let settingsNow = steer;
      if (memory) {
        const retrieval = memory.retrieve(position, steps / task.maxSteps);
        if (retrieval && retrieval.confidence >= memory.settings.minimumConfidence) prior = { chunk: retrieval.prior, step: Math.round(retrieval.time * scheme.steps) };
        else if (sampler === 'rts') settingsNow = { particles: 1, pick: 'first' };
      }
      const sample = await sampleChunk(network, scheme, settingsNow, {
        observation,
        position,
        random,
        ...(reward ? { reward, stage: tracker?.index ?? 0 } : {}),
        ...(prior ? { prior } : {}),
        ...(signal ? { signal } : {}),
      });
      const actions: Float32Array[] = [];
      for (let index = 0; index < network.info.chunk; index += 1) {
        actions.push(Float32Array.of(sample.chunk[2 * index] * network.info.actionScale, sample.chunk[2 * index + 1] * network.info.actionScale));
      }
      return actions;
    },
    observe(position) {
      steps += 1;
      tracker?.update(position);
    },
    endEpisode(path, actions, success) {
      if (success && memory) memory.addEpisode(path, actions, task.maxSteps, network.info.chunk, network.info.actionScale);
      steps = 0;
      if (options.spec) tracker = new StageTracker(options.spec);
    },
    async dispose() {
      disposed = true;
      await network.dispose();
    },
  };
}
