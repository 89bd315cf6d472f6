import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SkillframeError } from '../../core/errors.ts';
import { createNetwork, forward, inputSize, writeFeatures } from '../../engine/robot/policy/network.ts';
import { defaultPolicyFile, inspectPolicy, loadPolicy } from '../../engine/robot/policy/onnx-policy.ts';
import { createPolicyRuntime } from '../../engine/robot/policy/runtime.ts';
import { exportOnnx, trainPolicy } from '../../engine/robot/policy/train.ts';
import { Random } from '../../engine/robot/sim/reach.ts';
import { specFromScene } from '../../engine/robot/steer/spec.ts';
import { builtinLayouts } from '../../engine/robot/sim/reach.ts';

const metadata = { kind: 'flow' as const, chunk: 16, observation: 2, steps: 10, actionScale: 0.05 };

test('a brief retrain: the loss falls and the exported ONNX loads and matches the TypeScript network', async () => {
  const trained = trainPolicy({ steps: 300, batch: 32, hidden: 32, layers: 2, demonstrations: 30, seed: 3, learningRate: 3e-3 });
  const first = trained.losses[0];
  const last = trained.losses.at(-1)!;
  assert.ok(last < first * 0.85, `loss ${first} → ${last}`);
  const directory = mkdtempSync(join(tmpdir(), 'skillframe-policy-'));
  try {
    const file = join(directory, 'policy.onnx');
    writeFileSync(file, exportOnnx(trained.network, metadata));
    const network = await loadPolicy(file);
    try {
      assert.deepEqual({ ...network.info, file: undefined }, { ...metadata, actionDims: 2, file: undefined });
      const batch = 5;
      const random = new Random(8);
      const observations = random.fillNormal(new Float32Array(batch * 2));
      const actions = random.fillNormal(new Float32Array(batch * 32));
      const times = Float32Array.from({ length: batch }, (_, index) => index / batch);
      const onnxOutput = await network.evaluate(observations, actions, times, batch);
      const shape = trained.network.shape;
      const features = new Float32Array(batch * inputSize(shape));
      for (let row = 0; row < batch; row += 1) writeFeatures(features, row * inputSize(shape), observations, row * 2, actions, row * 32, times[row], shape);
      const expected = forward(trained.network, features, batch).output;
      assert.equal(onnxOutput.length, expected.length);
      for (let index = 0; index < expected.length; index += 1) assert.ok(Math.abs(onnxOutput[index] - expected[index]) < 1e-4, `output[${index}] ${onnxOutput[index]} vs ${expected[index]}`);
      assert.equal(network.evaluations, batch);
      await assert.rejects(network.evaluate(observations, actions.subarray(0, 10), times, batch), (error: unknown) => error instanceof SkillframeError && /actions/.test(error.message));
    } finally {
      await network.dispose();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('a policy file with the wrong input shape is bad_input naming the input', () => {
  const network = createNetwork({ observation: 3, action: 32, hidden: 8, layers: 1 }, () => 0.5);
  const bytes = exportOnnx(network, metadata);
  assert.throws(() => inspectPolicy('wrong.onnx', bytes), (error: unknown) => error instanceof SkillframeError && error.code === 'bad_input' && /input observation must have shape \[batch, 2\], got \[batch, 3\]/.test(error.message));
  assert.throws(() => inspectPolicy('junk.onnx', new Uint8Array([1, 2, 3, 4, 5])), (error: unknown) => error instanceof SkillframeError && error.code === 'bad_input');
});

test('the committed policy loads, and the runtime API returns a chunk of world-unit actions', async () => {
  const network = await loadPolicy(defaultPolicyFile);
  assert.equal(network.info.chunk, 16);
  await network.dispose();
  const layout = builtinLayouts[0];
  const runtime = await createPolicyRuntime({ sampler: 'vls', spec: specFromScene(layout), seed: 2 });
  try {
    const chunk = await runtime.nextChunk([0, 0]);
    assert.equal(chunk.length, 16);
    assert.equal(runtime.execute, 8);
    for (const action of chunk) assert.ok(Math.hypot(action[0], action[1]) < 0.2);
    assert.ok(chunk.slice(0, 8).reduce((sum, action) => sum + action[0], 0) > 0.05, 'moves toward the goal');
    await assert.rejects(runtime.nextChunk([0, 0, 0]), (error: unknown) => error instanceof SkillframeError && error.code === 'bad_input' && /observation/.test(error.message));
    await assert.rejects(runtime.nextChunk([Number.NaN, 0]), (error: unknown) => error instanceof SkillframeError && error.code === 'bad_input');
  } finally {
    await runtime.dispose();
  }
  await assert.rejects(createPolicyRuntime({ sampler: 'vls' }), (error: unknown) => error instanceof SkillframeError && error.code === 'bad_input');
});

test('temporal ensembling: where two chunks plan the same tick, the sidecar weight blends them; the first chunk is untouched', async () => {
  const { writeExternalFlowPolicy } = await import('../../testkit/policies/external-flow.ts');
  const { jointPolicy } = await import('../../engine/robot/arm/joint-policy.ts');
  const directory = mkdtempSync(join(tmpdir(), 'skillframe-ensemble-'));
  try {
    const file = join(directory, 'policy.onnx');
    const sidecar = writeExternalFlowPolicy(file);
    const chunks = async (ensemble: number) => {
      const policy = await jointPolicy({ file, sampler: 'base', seed: 9, ensemble });
      const positions = Object.fromEntries(sidecar.joints.map((name) => [name, name === 'gripper' ? 50 : 0]));
      const first = await policy.nextChunk({ positions, time: 0 });
      const second = await policy.nextChunk({ positions, time: 0 });
      await policy.dispose?.();
      return { first, second };
    };
    const plain = await chunks(0);
    const blended = await chunks(0.5);
    assert.deepEqual(blended.first, plain.first);
    const execute = sidecar.execute;
    let compared = 0;
    for (let index = 0; index < sidecar.chunk; index += 1) {
      for (const name of sidecar.joints) {
        const earlier = plain.first[index + execute]?.[name];
        const expected = earlier === undefined ? plain.second[index][name] : 0.5 * plain.second[index][name] + 0.5 * earlier;
        assert.ok(Math.abs(blended.second[index][name] - expected) < 1e-6, `tick ${index} ${name}: ${blended.second[index][name]} vs ${expected}`);
        if (earlier !== undefined && Math.abs(plain.second[index][name] - earlier) > 1e-3) compared += 1;
      }
    }
    assert.ok(compared > 0, 'the two plans never differed, so blending was not exercised');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
