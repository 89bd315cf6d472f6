import type { Point } from '../../../core/commands/robot.ts';
import type { ChunkNetwork } from '../policy/onnx-policy.ts';
import type { Scheme } from '../policy/scheme.ts';
import type { Random } from '../sim/reach.ts';
import type { CompiledReward } from './reward.ts';

/**
 * One sampling loop for every method: N particles denoised in one batched network call per step,
 * optionally guided by a compiled reward (ITPS, VLS), pushed apart (repulsion), resampled
 * (Feynman–Kac), or started from a retrieved prior at an intermediate time (retrieve-then-steer).
 */
export interface Guidance {
  /** Scale of the reward gradient added to the network output. */
  scale: number;
  /** 'early': full scale in the early part of the flow (t < `stop`), then fading linearly to `late` × scale at t = 1; 'constant': the same at every step. */
  schedule: 'early' | 'constant';
  stop: number;
  late: number;
  /** RMS of the applied per-particle gradient direction (normalized action units): only the direction of dR/da is kept, so terms of very different size stay usable. */
  norm: number;
  /**
   * Reward-adaptive strength (VLS): each particle's guidance is scaled by tanh(−R / `adaptive`),
   * R ≤ 0 being the reward of its clean estimate (every spec term is a penalty, near 0 when met) —
   * full strength while the spec is far from satisfied, fading as it is met, so a particle that
   * already does what the spec asks is left to the policy. Absent: the same strength for all.
   */
  adaptive?: number;
  /**
   * With the adaptive strength, the barrier terms (keep_away, keep_above) are sized apart from
   * the goal terms: their gradient gets RMS `norm` × tanh(−R_barrier / `scale`), so a chunk that
   * would cut through an obstacle is pushed out of it as hard as needed, while chunks far from
   * any obstacle (R_barrier ≈ 0) get no more push than before. Merged into one direction, the
   * goal terms' larger gradient drowned the barrier's.
   */
  barrier?: { norm: number; scale: number };
}

/**
 * MCMC refinement of the final particles (VLS): each step re-noises every clean chunk to the flow
 * time of `step` (fresh noise), denoises it with one batched network call, and accepts the
 * proposal with the Metropolis probability min(1, exp(temperature · (R' − R))). Re-noising a
 * little and denoising with the policy is (approximately) a move that keeps the policy's own
 * distribution, so the accept rule tilts it toward p(a) · exp(temperature · R(a)).
 */
export interface Refinement {
  steps: number;
  /** Scheme step the chunks are re-noised to (steps − 1: the least noise). */
  step: number;
  temperature: number;
}

export interface SteerSettings {
  particles: number;
  guidance?: Guidance;
  /** Strength of the kernel repulsion between particles (0: none). */
  repulsion?: number;
  /** Feynman–Kac resampling when the effective sample size falls below N/2; `temperature` scales reward differences into log-weights. */
  resample?: { temperature: number };
  /** MCMC refinement steps on the final particles (needs a reward). */
  refine?: Refinement;
  /** How the executed chunk is chosen from the final particles. */
  pick: 'first' | 'reward' | 'prior';
}

export interface ChunkRequest {
  observation: Float32Array;
  position: Point;
  random: Random;
  reward?: CompiledReward;
  stage?: number;
  /** Clean chunk to start from at `step` (retrieve-then-steer). */
  prior?: { chunk: Float32Array; step: number };
  signal?: AbortSignal;
}

export interface ChunkSample {
  /** The chosen chunk, normalized actions (chunk × 2). */
  chunk: Float32Array;
  /** Final clean chunk of every particle. */
  particles: Float32Array[];
  /** Network evaluations spent (batch rows × steps). */
  nfe: number;
  resamples: number;
  /** Refinement proposals accepted (all particles, all steps). */
  accepted: number;
}

export async function sampleChunk(network: ChunkNetwork, scheme: Scheme, settings: SteerSettings, request: ChunkRequest): Promise<ChunkSample> {
  const count = settings.particles;
  const width = network.info.chunk * network.info.actionDims;
  const observationWidth = network.info.observation;
  const observations = new Float32Array(count * observationWidth);
  for (let particle = 0; particle < count; particle += 1) observations.set(request.observation, particle * observationWidth);
  let state = new Float32Array(count * width);
  request.random.fillNormal(state);
  let firstStep = 0;
  if (request.prior) {
    firstStep = Math.max(0, Math.min(scheme.steps - 1, request.prior.step));
    const noise = state.slice();
    const priors = new Float32Array(count * width);
    for (let particle = 0; particle < count; particle += 1) priors.set(request.prior.chunk, particle * width);
    // The scheme's maps are elementwise, so one call covers the whole batch.
    scheme.noiseTo(priors, noise, firstStep, state);
  }
  const times = new Float32Array(count);
  const clean = new Float32Array(count * width);
  const gradient = new Float32Array(count * width);
  const repulsion = new Float32Array(count * width);
  let next = new Float32Array(count * width);
  const rewards = new Float64Array(count);
  const previousRewards = new Float64Array(count).fill(Number.NaN);
  const logWeights = new Float64Array(count);
  let nfe = 0;
  let resamples = 0;
  const guided = settings.guidance !== undefined && request.reward !== undefined;
  const scored = request.reward !== undefined && (guided || settings.resample !== undefined);
  const barrierGuidance = guided && settings.guidance?.adaptive ? settings.guidance.barrier : undefined;
  const barrierGradient = barrierGuidance ? new Float32Array(count * width) : undefined;
  const barrierRewards = new Float64Array(count);
  const barrierPart = { gradient: barrierGradient ?? gradient, offset: 0, reward: 0 };
  for (let step = firstStep; step < scheme.steps; step += 1) {
    if (request.signal?.aborted) throw request.signal.reason;
    times.fill(scheme.time(step));
    const output = await network.evaluate(observations, state, times, count);
    nfe += count;
    if (scored && request.reward) {
      scheme.clean(state, output, step, clean);
      gradient.fill(0);
      barrierGradient?.fill(0);
      for (let particle = 0; particle < count; particle += 1) {
        barrierPart.offset = particle * width;
        rewards[particle] = request.reward.evaluate(clean, particle * width, request.position, request.stage ?? 0, gradient, particle * width, barrierGradient ? barrierPart : undefined);
        barrierRewards[particle] = barrierPart.reward;
      }
    }
    if (settings.resample && scored) {
      // Potentials G_k = exp(λ (R_k − R_{k−1})) telescope to exp(λ R_final): the particle system targets p(a) · exp(λ R(a)).
      for (let particle = 0; particle < count; particle += 1) {
        const gain = Number.isNaN(previousRewards[particle]) ? rewards[particle] : rewards[particle] - previousRewards[particle];
        logWeights[particle] += settings.resample.temperature * gain;
        previousRewards[particle] = rewards[particle];
      }
      if (step + 1 < scheme.steps && effectiveSampleSize(logWeights) < count / 2) {
        const picks = systematicResample(logWeights, request.random.next());
        const copy = state.slice();
        const copiedOutput = output.slice();
        const copiedGradient = gradient.slice();
        const copiedRewards = rewards.slice();
        const copiedBarrier = barrierGradient?.slice();
        const copiedBarrierRewards = barrierRewards.slice();
        for (let particle = 0; particle < count; particle += 1) {
          const source = picks[particle];
          if (source === particle) continue;
          state.set(copy.subarray(source * width, (source + 1) * width), particle * width);
          output.set(copiedOutput.subarray(source * width, (source + 1) * width), particle * width);
          gradient.set(copiedGradient.subarray(source * width, (source + 1) * width), particle * width);
          if (barrierGradient && copiedBarrier) barrierGradient.set(copiedBarrier.subarray(source * width, (source + 1) * width), particle * width);
          barrierRewards[particle] = copiedBarrierRewards[source];
          rewards[particle] = copiedRewards[source];
          previousRewards[particle] = copiedRewards[source];
        }
        logWeights.fill(0);
        resamples += 1;
      }
    }
    if (guided && settings.guidance) {
      const scale = guidanceScale(settings.guidance, scheme.time(step));
      if (scale > 0) {
        const { norm, adaptive } = settings.guidance;
        for (let particle = 0; particle < count; particle += 1) {
          normalizeRms(gradient, particle * width, width, adaptive ? norm * adaptiveStrength(rewards[particle], adaptive) : norm);
          if (barrierGradient && barrierGuidance) {
            const offset = particle * width;
            normalizeRms(barrierGradient, offset, width, barrierGuidance.norm * adaptiveStrength(barrierRewards[particle], barrierGuidance.scale));
            for (let index = offset; index < offset + width; index += 1) gradient[index] += barrierGradient[index];
          }
        }
        scheme.guide(output, gradient, step, scale);
      }
    }
    // Repulsion only in the early part of the flow, where particles pick their modes; later it
    // would only blur the chosen mode (and it costs as much as the guidance).
    if (settings.repulsion && count > 1 && scheme.time(step) < 0.5) {
      kernelRepulsion(state, count, width, repulsion);
      scheme.guide(output, repulsion, step, settings.repulsion * (1 - scheme.time(step)));
    }
    scheme.advance(state, output, step, next);
    [state, next] = [next, state];
  }
  let accepted = 0;
  let finalRewards: Float64Array | undefined;
  if (request.reward && (settings.refine || settings.pick === 'reward')) {
    finalRewards = new Float64Array(count);
    for (let particle = 0; particle < count; particle += 1) finalRewards[particle] = request.reward.evaluate(state, particle * width, request.position, request.stage ?? 0);
  }
  if (settings.refine && settings.refine.steps > 0 && request.reward && finalRewards) {
    const refine = settings.refine;
    const level = Math.max(0, Math.min(scheme.steps - 1, refine.step));
    const noise = new Float32Array(count * width);
    const noisy = new Float32Array(count * width);
    const proposal = new Float32Array(count * width);
    times.fill(scheme.time(level));
    for (let iteration = 0; iteration < refine.steps; iteration += 1) {
      if (request.signal?.aborted) throw request.signal.reason;
      request.random.fillNormal(noise);
      scheme.noiseTo(state, noise, level, noisy);
      const output = await network.evaluate(observations, noisy, times, count);
      nfe += count;
      scheme.clean(noisy, output, level, proposal);
      for (let particle = 0; particle < count; particle += 1) {
        const value = request.reward.evaluate(proposal, particle * width, request.position, request.stage ?? 0);
        if (Math.log(Math.max(1e-300, request.random.next())) < refine.temperature * (value - finalRewards[particle])) {
          state.set(proposal.subarray(particle * width, (particle + 1) * width), particle * width);
          finalRewards[particle] = value;
          accepted += 1;
        }
      }
    }
  }
  const particles = Array.from({ length: count }, (_, particle) => state.slice(particle * width, (particle + 1) * width));
  let chosen = 0;
  if (settings.pick === 'reward' && finalRewards) {
    let best = -Infinity;
    for (let particle = 0; particle < count; particle += 1) {
      if (finalRewards[particle] > best) {
        best = finalRewards[particle];
        chosen = particle;
      }
    }
  } else if (settings.pick === 'prior' && request.prior) {
    let best = Infinity;
    for (let particle = 0; particle < count; particle += 1) {
      let distance = 0;
      for (let index = 0; index < width; index += 1) distance += (state[particle * width + index] - request.prior.chunk[index]) ** 2;
      if (distance < best) {
        best = distance;
        chosen = particle;
      }
    }
  }
  return { chunk: particles[chosen], particles, nfe, resamples, accepted };
}

/** The reward-adaptive factor in [0, 1): tanh of the reward's shortfall (−R, ≥ 0) over `scale`. */
export function adaptiveStrength(reward: number, scale: number): number {
  return Math.tanh(Math.max(0, -reward) / scale);
}

export function guidanceScale(guidance: Guidance, time: number): number {
  if (guidance.schedule === 'constant' || time <= guidance.stop) return guidance.scale;
  const fade = (time - guidance.stop) / Math.max(1e-9, 1 - guidance.stop);
  return guidance.scale * (1 - fade * (1 - guidance.late));
}

function normalizeRms(values: Float32Array, offset: number, length: number, target: number): void {
  let sum = 0;
  for (let index = offset; index < offset + length; index += 1) sum += values[index] * values[index];
  const rms = Math.sqrt(sum / length);
  // A vanishing gradient means the reward is flat here: leave it (near) zero rather than amplify noise.
  if (rms < 1e-6) return;
  const factor = target / rms;
  for (let index = offset; index < offset + length; index += 1) values[index] *= factor;
}

export function effectiveSampleSize(logWeights: ArrayLike<number>): number {
  let max = -Infinity;
  for (let index = 0; index < logWeights.length; index += 1) max = Math.max(max, logWeights[index]);
  let sum = 0;
  let squares = 0;
  for (let index = 0; index < logWeights.length; index += 1) {
    const weight = Math.exp(logWeights[index] - max);
    sum += weight;
    squares += weight * weight;
  }
  return squares > 0 ? (sum * sum) / squares : 0;
}

/** Systematic resampling: one uniform draw, N evenly spaced pointers into the weight CDF. */
export function systematicResample(logWeights: ArrayLike<number>, uniform: number): number[] {
  const count = logWeights.length;
  let max = -Infinity;
  for (let index = 0; index < count; index += 1) max = Math.max(max, logWeights[index]);
  const weights = Array.from({ length: count }, (_, index) => Math.exp(logWeights[index] - max));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const picks: number[] = [];
  let cumulative = weights[0] / total;
  let source = 0;
  for (let particle = 0; particle < count; particle += 1) {
    const pointer = (particle + uniform) / count;
    while (pointer > cumulative && source < count - 1) {
      source += 1;
      cumulative += weights[source] / total;
    }
    picks.push(source);
  }
  return picks;
}

let scratchDistances = new Float64Array(0);
let scratchSorted = new Float64Array(0);

/** SVGD-style repulsion with an RBF kernel and the median bandwidth: pushes particles apart. */
export function kernelRepulsion(state: Float32Array, count: number, width: number, into: Float32Array): void {
  into.fill(0);
  if (scratchDistances.length < count * count) {
    scratchDistances = new Float64Array(count * count);
    scratchSorted = new Float64Array((count * (count - 1)) / 2);
  }
  const distances = scratchDistances;
  let pairs = 0;
  for (let a = 0; a < count; a += 1) {
    const offsetA = a * width;
    for (let b = a + 1; b < count; b += 1) {
      const offsetB = b * width;
      let sum = 0;
      for (let index = 0; index < width; index += 1) {
        const difference = state[offsetA + index] - state[offsetB + index];
        sum += difference * difference;
      }
      distances[a * count + b] = sum;
      distances[b * count + a] = sum;
      scratchSorted[pairs] = sum;
      pairs += 1;
    }
  }
  const sorted = scratchSorted.subarray(0, pairs).sort();
  const median = pairs > 0 ? sorted[pairs >> 1] : 1;
  const bandwidth = Math.max(1e-6, median / Math.log(count + 1));
  for (let a = 0; a < count; a += 1) {
    const offsetA = a * width;
    for (let b = 0; b < count; b += 1) {
      if (a === b) continue;
      const factor = (2 * Math.exp(-distances[a * count + b] / bandwidth)) / bandwidth / count;
      const offsetB = b * width;
      for (let index = 0; index < width; index += 1) into[offsetA + index] += factor * (state[offsetA + index] - state[offsetB + index]);
    }
  }
}
