import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RewardSpec } from '../../core/commands/robot.ts';
import type { ChunkNetwork } from '../../engine/robot/policy/onnx-policy.ts';
import { createScheme } from '../../engine/robot/policy/scheme.ts';
import { ChunkMemory } from '../../engine/robot/steer/memory.ts';
import { compileReward } from '../../engine/robot/steer/reward.ts';
import { adaptiveStrength, effectiveSampleSize, kernelRepulsion, sampleChunk, systematicResample } from '../../engine/robot/steer/sampler.ts';
import { steerSettings } from '../../engine/robot/steer/episode.ts';
import { armMethodSettings } from '../../engine/robot/arm/joint-policy.ts';
import { Random } from '../../engine/robot/sim/reach.ts';

const chunk = 16;
const width = chunk * 2;

/**
 * A fake bimodal policy with a closed form: every chunk is all-"up" (+1, +1) or all-"down"
 * (+1, −1). For flow it returns the exact velocity toward the nearer mode of the clean estimate;
 * for DDPM the matching noise. Enough to test the samplers without ONNX.
 */
function fakeNetwork(kind: 'flow' | 'ddpm'): ChunkNetwork {
  const network: ChunkNetwork = {
    info: { file: 'fake', kind, chunk, observation: 2, steps: 10, actionScale: 0.05, actionDims: 2 },
    evaluations: 0,
    async evaluate(_observations, actions, times, batch) {
      const output = new Float32Array(batch * width);
      for (let row = 0; row < batch; row += 1) {
        const t = times[row];
        let lateral = 0;
        for (let index = 0; index < chunk; index += 1) lateral += actions[row * width + 2 * index + 1];
        const sign = lateral >= 0 ? 1 : -1;
        for (let index = 0; index < chunk; index += 1) {
          const target = [1, sign];
          for (let axis = 0; axis < 2; axis += 1) {
            const x = actions[row * width + 2 * index + axis];
            if (kind === 'flow') output[row * width + 2 * index + axis] = (target[axis] - x) / Math.max(1e-3, 1 - t);
            else {
              const alpha = Math.min(0.9999, Math.max(1e-4, Math.sin((Math.PI * t) / 2) ** 2));
              output[row * width + 2 * index + axis] = (x - Math.sqrt(alpha) * target[axis]) / Math.sqrt(1 - alpha);
            }
          }
        }
      }
      network.evaluations += batch;
      return output;
    },
    async dispose() {},
  };
  return network;
}

const preferUp: RewardSpec = { version: 1, hold: 2, stages: [{ name: 'up', terms: [{ kind: 'reach', target: [0.8, 0.8], weight: 1 }] }] };

for (const kind of ['flow', 'ddpm'] as const) {
  test(`sampler (${kind}): base sampling lands on one of the two modes`, async () => {
    const network = fakeNetwork(kind);
    const scheme = createScheme(kind, 10);
    const random = new Random(3);
    const signs = new Set<number>();
    for (let trial = 0; trial < 12; trial += 1) {
      const sample = await sampleChunk(network, scheme, { particles: 1, pick: 'first' }, { observation: new Float32Array(2), position: [0, 0], random });
      assert.ok(Math.abs(sample.chunk[0] - 1) < 0.05, `x action ${sample.chunk[0]}`);
      assert.ok(Math.abs(Math.abs(sample.chunk[1]) - 1) < 0.05, `y action ${sample.chunk[1]}`);
      signs.add(Math.sign(sample.chunk[1]));
      assert.equal(sample.nfe, 10);
    }
    assert.equal(signs.size, 2, 'both modes appear');
  });

  test(`sampler (${kind}): VLS guidance with resampling steers every chunk to the rewarded mode`, async () => {
    const network = fakeNetwork(kind);
    const scheme = createScheme(kind, 10);
    const random = new Random(4);
    const reward = compileReward(preferUp, 0.05, chunk);
    let up = 0;
    for (let trial = 0; trial < 10; trial += 1) {
      const sample = await sampleChunk(
        network,
        scheme,
        { particles: 8, guidance: { scale: 2, schedule: 'early', stop: 0.5, late: 0.3, norm: 1 }, repulsion: 0.5, resample: { temperature: 20 }, pick: 'reward' },
        { observation: new Float32Array(2), position: [0, 0], random, reward, stage: 0 },
      );
      if (sample.chunk[1] > 0) up += 1;
      assert.equal(sample.nfe, 80);
    }
    assert.equal(up, 10);
  });
}

/** A policy that never moves its input (zero velocity): whatever changes the chunk is the guidance. */
function stillNetwork(): ChunkNetwork {
  return {
    info: { file: 'still', kind: 'flow', chunk, observation: 2, steps: 10, actionScale: 0.05, actionDims: 2 },
    evaluations: 0,
    async evaluate(_observations, _actions, _times, batch) {
      return new Float32Array(batch * width);
    },
    async dispose() {},
  };
}

test('adaptive guidance: the strength falls as the reward is met, and reaches zero when it is', () => {
  const strengths = [-1, -0.2, -0.05, -0.01, 0].map((reward) => adaptiveStrength(reward, 0.05));
  for (let index = 1; index < strengths.length; index += 1) assert.ok(strengths[index] < strengths[index - 1], JSON.stringify(strengths));
  assert.ok(strengths[0] > 0.99 && strengths.at(-1) === 0, JSON.stringify(strengths));
});

test('adaptive guidance in the sampler: a chunk already near the target is nudged far less than one far from it', async () => {
  const network = stillNetwork();
  const scheme = createScheme('flow', 10);
  const target: RewardSpec = { version: 1, hold: 2, stages: [{ name: 'reach', terms: [{ kind: 'reach', target: [0, 0], weight: 1 }] }] };
  const reward = compileReward(target, 0.05, chunk);
  const moved = async (start: [number, number], adaptive: number | undefined) => {
    const guidance = { scale: 1, schedule: 'constant' as const, stop: 1, late: 1, norm: 0.5, ...(adaptive ? { adaptive } : {}) };
    const guided = await sampleChunk(network, scheme, { particles: 1, guidance, pick: 'first' }, { observation: new Float32Array(2), position: start, random: new Random(5), reward, stage: 0 });
    const plain = await sampleChunk(network, scheme, { particles: 1, pick: 'first' }, { observation: new Float32Array(2), position: start, random: new Random(5) });
    return Math.hypot(...guided.chunk.map((value, index) => value - plain.chunk[index]));
  };
  // The still policy's chunk is noise around 0: from (0.01, 0) the path stays near the target, from (1, 0) far from it.
  const fixedNear = await moved([0.01, 0], undefined);
  const fixedFar = await moved([1, 0], undefined);
  const adaptiveNear = await moved([0.01, 0], 0.5);
  const adaptiveFar = await moved([1, 0], 0.5);
  assert.ok(adaptiveFar > 0.9 * fixedFar, `far from the target the adaptive step is (nearly) full: ${adaptiveFar} vs ${fixedFar}`);
  assert.ok(adaptiveNear < 0.5 * fixedNear, `near the target the adaptive step is much smaller than the fixed one: ${adaptiveNear} vs ${fixedNear}`);
});

test('barrier guidance in the sampler: sized apart from a far goal, it takes the chunk out of a keep_away that merged guidance leaves it in', async () => {
  const network = stillNetwork();
  const scheme = createScheme('flow', 10);
  // The goal is far (its gradient is large); the barrier sits on the start of the path. (With a
  // 5 cm radius merged guidance now gets out too: the barrier no longer pays a tail beyond its edge.)
  const spec: RewardSpec = { version: 1, hold: 2, stages: [{ name: 'go', terms: [{ kind: 'reach', target: [5, 0], weight: 1 }, { kind: 'keep_away', center: [0, 0.01], radius: 0.1, margin: 0.02, weight: 2 }] }] };
  const reward = compileReward(spec, 0.05, chunk);
  const barrierReward = async (barrier: { norm: number; scale: number } | undefined) => {
    const guidance = { scale: 1, schedule: 'constant' as const, stop: 1, late: 1, norm: 0.3, adaptive: 0.5, ...(barrier ? { barrier } : {}) };
    const sample = await sampleChunk(network, scheme, { particles: 1, guidance, pick: 'first' }, { observation: new Float32Array(2), position: [0, 0], random: new Random(9), reward, stage: 0 });
    const part = { gradient: new Float32Array(width), offset: 0, reward: 0 };
    reward.evaluate(sample.chunk, 0, [0, 0], 0, new Float32Array(width), 0, part);
    return part.reward;
  };
  const merged = await barrierReward(undefined);
  const apart = await barrierReward({ norm: 1.5, scale: 0.05 });
  assert.ok(merged < -0.005 && apart > 0.25 * merged, `barrier reward apart ${apart} vs merged ${merged}`);
});

for (const kind of ['flow', 'ddpm'] as const) {
  test(`MCMC refinement (${kind}): Metropolis steps on the final particles raise the reward on a known spec`, async () => {
    const network = fakeNetwork(kind);
    const scheme = createScheme(kind, 10);
    const reward = compileReward(preferUp, 0.05, chunk);
    const meanReward = (particles: Float32Array[]) => particles.reduce((sum, particle) => sum + reward.evaluate(particle, 0, [0, 0], 0), 0) / particles.length;
    let plainUp = 0;
    let refinedUp = 0;
    let plainReward = 0;
    let refinedReward = 0;
    let accepted = 0;
    for (let trial = 0; trial < 6; trial += 1) {
      const request = () => ({ observation: new Float32Array(2), position: [0, 0] as [number, number], random: new Random(40 + trial), reward, stage: 0 });
      const plain = await sampleChunk(network, scheme, { particles: 8, pick: 'first' }, request());
      // Re-noised to t = 0.1 the fake policy may land in either mode: the accept rule keeps the rewarded one.
      const refined = await sampleChunk(network, scheme, { particles: 8, refine: { steps: 8, step: 1, temperature: 50 }, pick: 'first' }, request());
      assert.equal(refined.nfe, plain.nfe + 8 * 8, 'one batched network call per refinement step');
      plainUp += plain.particles.filter((particle) => particle[1] > 0).length;
      refinedUp += refined.particles.filter((particle) => particle[1] > 0).length;
      plainReward += meanReward(plain.particles);
      refinedReward += meanReward(refined.particles);
      accepted += refined.accepted;
    }
    assert.ok(accepted > 0);
    assert.ok(refinedReward > plainReward, `mean reward ${refinedReward} vs ${plainReward}`);
    assert.ok(refinedUp >= 40 && refinedUp > plainUp + 10, `rewarded mode: ${refinedUp}/48 refined vs ${plainUp}/48 plain`);
  });
}

test('VLS ablations: the arm VLS has adaptive guidance and MCMC refinement, each ablation drops exactly one', () => {
  const vls = steerSettings('vls', armMethodSettings);
  assert.ok(vls.guidance?.adaptive && vls.guidance.adaptive > 0, 'adaptive strength on');
  assert.ok(vls.refine && vls.refine.steps > 0, 'refinement on');
  assert.ok(vls.guidance.barrier && vls.guidance.barrier.norm > vls.guidance.norm, 'barrier terms sized apart, stronger');
  const noAdaptive = steerSettings('vls_no_adaptive', armMethodSettings);
  assert.equal(noAdaptive.guidance?.adaptive, undefined);
  assert.equal(noAdaptive.guidance?.barrier, undefined, 'the barrier sizing is part of the adaptive strength');
  assert.deepEqual({ ...noAdaptive, guidance: { ...noAdaptive.guidance, adaptive: vls.guidance.adaptive, barrier: vls.guidance.barrier } }, vls);
  const noMcmc = steerSettings('vls_no_mcmc', armMethodSettings);
  assert.equal(noMcmc.refine, undefined);
  assert.deepEqual({ ...noMcmc, refine: vls.refine }, vls);
});

test('resampling: ESS is N for equal weights and 1 for one dominant weight', () => {
  assert.ok(Math.abs(effectiveSampleSize([0, 0, 0, 0]) - 4) < 1e-9);
  assert.ok(Math.abs(effectiveSampleSize([0, -100, -100, -100]) - 1) < 1e-6);
  const ess = effectiveSampleSize([Math.log(3), 0, 0, 0]);
  assert.ok(Math.abs(ess - 36 / 12) < 1e-9);
});

test('resampling: systematic resampling copies particles in proportion to their weights', () => {
  const logWeights = [Math.log(0.5), Math.log(0.25), Math.log(0.25), -Infinity];
  const picks = systematicResample(logWeights, 0.3);
  assert.deepEqual(picks, [0, 0, 1, 2]);
  const counts = [0, 0, 0];
  const random = new Random(9);
  for (let trial = 0; trial < 2000; trial += 1) for (const pick of systematicResample([Math.log(0.6), Math.log(0.3), Math.log(0.1)], random.next())) counts[pick] += 1;
  const total = counts.reduce((sum, value) => sum + value, 0);
  assert.ok(Math.abs(counts[0] / total - 0.6) < 0.01 && Math.abs(counts[2] / total - 0.1) < 0.01, JSON.stringify(counts));
});

test('repulsion: a small step along it spreads the particles out', () => {
  const random = new Random(2);
  const count = 6;
  const state = random.fillNormal(new Float32Array(count * width));
  const into = new Float32Array(state.length);
  kernelRepulsion(state, count, width, into);
  const spread = (values: Float32Array) => {
    let sum = 0;
    for (let a = 0; a < count; a += 1) for (let b = a + 1; b < count; b += 1) {
      let distance = 0;
      for (let index = 0; index < width; index += 1) distance += (values[a * width + index] - values[b * width + index]) ** 2;
      sum += Math.sqrt(distance);
    }
    return sum;
  };
  const moved = state.map((value, index) => value + 0.05 * into[index]);
  assert.ok(spread(moved) > spread(state));
  const pair = Float32Array.from([0, 0, 0.1, 0]);
  const push = new Float32Array(4);
  kernelRepulsion(pair, 2, 2, push);
  assert.ok(push[0] < 0 && push[2] > 0, 'two particles are pushed apart');
});

test('RTS memory: retrieves the nearest consistent chunks, drops the outlier, and is unsure far away', () => {
  const memory = new ChunkMemory();
  const up = new Float32Array(width).fill(1);
  const down = new Float32Array(width);
  for (let index = 0; index < chunk; index += 1) {
    down[2 * index] = 1;
    down[2 * index + 1] = -1;
  }
  for (let index = 0; index < 7; index += 1) memory.add([0.01 * index, 0], 0, up);
  memory.add([0.005, 0], 0, down);
  const near = memory.retrieve([0.02, 0], 0);
  assert.ok(near);
  assert.equal(near.candidates, 8);
  assert.equal(near.kept, 7, 'the inconsistent chunk is dropped');
  assert.ok(near.prior.every((value) => Math.abs(value - 1) < 1e-6), 'the prior is the consistent mean');
  assert.ok(near.confidence > 0.35);
  const far = memory.retrieve([2, 2], 0.9);
  assert.ok(far);
  assert.ok(far.confidence < near.confidence / 4, `far confidence ${far.confidence}`);
  assert.ok(far.time < near.time, 'lower confidence injects earlier in the flow');
  assert.equal(new ChunkMemory().retrieve([0, 0], 0), undefined, 'an empty memory retrieves nothing');
});

test('RTS memory: an episode becomes one segment per step, with zero actions after its end', () => {
  const memory = new ChunkMemory({ ...new ChunkMemory().settings, capacity: 5 });
  const path: [number, number][] = Array.from({ length: 9 }, (_, index) => [index * 0.04, 0]);
  const actions: [number, number][] = Array.from({ length: 8 }, () => [0.04, 0]);
  memory.addEpisode(path, actions, 56, chunk, 0.05);
  assert.equal(memory.size, 5, 'capacity keeps the newest');
  const last = memory.retrieve([0.28, 0], 7 / 56);
  assert.ok(last);
});
