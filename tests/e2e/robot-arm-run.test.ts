// The arm path: an external-style joint-space ONNX policy with its sidecar, run on the simulated
// SO-101 tabletop through the same safety path as a real arm (clamps, step limits, watchdog),
// steered by a reward spec through forward kinematics, with a success memory that persists on
// disk across runs. A sidecar that disagrees with its ONNX is refused before anything moves.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SkillframeError } from '../../core/index.ts';
import { addToMemory, demonstrations, read, run, train } from '../../engine/robot/arm/service.ts';
import { forwardKinematics } from '../../engine/robot/sim/so101.ts';
import { writeExternalFlowPolicy } from '../../testkit/policies/external-flow.ts';
import { temporaryHome } from '../support/home.ts';

describe('robot arm run: ONNX policy + sidecar on the simulated SO-101 tabletop', () => {
  const home = temporaryHome();
  const context = { home: home.path, signal: new AbortController().signal, progress: () => undefined, state: () => undefined, torque: () => undefined };
  after(() => home.dispose());
  const policy = join(home.path, 'external.onnx');
  writeExternalFlowPolicy(policy);
  // Strong guidance: these runs check that steering acts through forward kinematics, not how strong it should be for a trained policy.
  const base = { model: 'sim' as const, policy, sampler: 'base' as const, particles: 8, guidance: 1, seed: 1, hz: 30, seconds: 1.5, embedding: 'keypoints' as const };
  const target: [number, number] = [0.12, -0.3];
  const spec = join(home.path, 'spec.json');
  writeFileSync(spec, JSON.stringify({ stages: [{ name: 'reach', terms: [{ kind: 'reach', target, weight: 1 }] }] }));

  async function gripperDistance(armId: string): Promise<number> {
    const reading = await read({ model: 'sim', armId }, context);
    const positions = Object.fromEntries(reading.joints.map((joint) => [joint.name, joint.position!]));
    const gripper = forwardKinematics(positions).gripper;
    return Math.hypot(gripper[0] - target[0], gripper[1] - target[1]);
  }

  it('runs an external-style policy through the safety path and reports sampler and memory', async () => {
    const report = await run({ ...base, armId: 'plain' }, context);
    assert.equal(report.sampler, 'base');
    assert.equal(report.memoryEntries, 0);
    assert.ok(report.chunks >= 3, `only ${report.chunks} chunks`);
    assert.equal(typeof report.watchdogTrips, 'number');
    assert.equal(typeof report.success, 'boolean');
    assert.equal(typeof report.collisions, 'number');
    const reading = await read({ model: 'sim', armId: 'plain' }, context);
    const pan = reading.joints.find((joint) => joint.name === 'shoulder_pan')!.position!;
    // The policy settles at 4/3 × 0.5 × 30° = 20°; the step limit (10°/tick) lets it get there.
    assert.ok(Math.abs(pan - 20) < 4, `shoulder_pan at ${pan}`);
  });

  it('vls steers the gripper toward the spec target (forward kinematics), base does not', async () => {
    await run({ ...base, armId: 'base-arm', spec }, context);
    const steered = await run({ ...base, armId: 'vls-arm', sampler: 'vls', spec }, context);
    assert.equal(steered.sampler, 'vls');
    const [baseDistance, vlsDistance] = [await gripperDistance('base-arm'), await gripperDistance('vls-arm')];
    assert.ok(vlsDistance < baseDistance - 0.02, `vls ended ${vlsDistance.toFixed(3)} m from the target, base ${baseDistance.toFixed(3)} m`);
  });

  it('a spec naming keypoints is grounded by the detector in the live camera image and steers toward what it found', async () => {
    // The scene's cube is not where the spec-less policy goes; only the camera says where it is.
    const scene = join(home.path, 'scene.json');
    writeFileSync(scene, JSON.stringify({ name: 'cube-right', cube: { position: [0.12, -0.3] }, bin: { position: [-0.1, -0.22] } }));
    const keypointSpec = join(home.path, 'keypoint-spec.json');
    writeFileSync(keypointSpec, JSON.stringify({ stages: [{ name: 'reach the cube', terms: [{ kind: 'reach', target: { keypoint: 'cube' }, weight: 1 }] }] }));
    await run({ ...base, armId: 'kp-base', scene, spec: keypointSpec }, context);
    const steered = await run({ ...base, armId: 'kp-vls', sampler: 'vls', scene, spec: keypointSpec }, context);
    const cube = steered.keypoints?.cube?.[0]?.point;
    assert.ok(cube && Math.hypot(cube[0] - 0.12, cube[1] + 0.3) < 0.015, `detector put the cube at ${JSON.stringify(steered.keypoints)}`);
    const [baseDistance, vlsDistance] = [await gripperDistance('kp-base'), await gripperDistance('kp-vls')];
    assert.ok(vlsDistance < baseDistance - 0.02, `vls ended ${vlsDistance.toFixed(3)} m from the cube, base ${baseDistance.toFixed(3)} m`);
  });

  it('refuses a keypoint the detector does not know before the arm moves, and stops when a keypoint is not in view', async () => {
    const unknown = join(home.path, 'unknown-spec.json');
    writeFileSync(unknown, JSON.stringify({ stages: [{ name: 'reach', terms: [{ kind: 'reach', target: { keypoint: 'banana' } }] }] }));
    const before = await read({ model: 'sim', armId: 'never-moved' }, context);
    await assert.rejects(run({ ...base, armId: 'never-moved', sampler: 'vls', spec: unknown }, context), (error: SkillframeError) => error.code === 'bad_input' && /banana/.test(error.message));
    const after = await read({ model: 'sim', armId: 'never-moved' }, context);
    assert.ok(after.joints.every((joint) => !joint.torque), 'torque came on');
    assert.deepEqual(after.joints.map((joint) => joint.raw), before.joints.map((joint) => joint.raw));
    const away = join(home.path, 'away.json');
    writeFileSync(away, JSON.stringify({ name: 'cube-away', cube: { position: [0.6, -0.1] }, bin: { position: [-0.1, -0.22] } }));
    const cubeSpec = join(home.path, 'cube-spec.json');
    writeFileSync(cubeSpec, JSON.stringify({ stages: [{ name: 'reach', terms: [{ kind: 'reach', target: { keypoint: 'cube' } }] }] }));
    await assert.rejects(run({ ...base, armId: 'no-cube', sampler: 'vls', scene: away, spec: cubeSpec }, context), (error: SkillframeError) => error.code === 'not_found' && /cube/.test(error.message));
  });

  it('a guided sampler without a spec, or rts without a memory, is refused', async () => {
    await assert.rejects(run({ ...base, armId: 'x', sampler: 'itps' }, context), (error: SkillframeError) => error.code === 'bad_input' && /spec/.test(error.message));
    await assert.rejects(run({ ...base, armId: 'x', sampler: 'rts' }, context), (error: SkillframeError) => error.code === 'bad_input' && /memory/.test(error.message));
  });

  it('keeps the success memory on disk: a later run loads it and starts from it', async () => {
    const memory = join(home.path, 'memory');
    // Success is the spec's target reached: put it where this policy settles (the plain run's end).
    const reading = await read({ model: 'sim', armId: 'plain' }, context);
    const settled = forwardKinematics(Object.fromEntries(reading.joints.map((joint) => [joint.name, joint.position!]))).gripper;
    const reachable = join(home.path, 'reachable.json');
    writeFileSync(reachable, JSON.stringify({ stages: [{ name: 'reach', terms: [{ kind: 'reach', target: [settled[0], settled[1]] }] }] }));
    // An empty memory: rts runs as base, and its success fills the memory.
    const first = await run({ ...base, armId: 'memory-arm', sampler: 'rts', spec: reachable, memory, task: 'reach-right' }, context);
    assert.equal(first.success, true, 'the first run did not reach where the policy settles');
    assert.ok(first.memoryEntries > 0);
    const file = join(memory, 'reach-right.json');
    assert.ok(existsSync(file));
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).entries.length, first.memoryEntries);
    assert.equal(first.injections, 0);
    const second = await run({ ...base, armId: 'memory-arm-2', sampler: 'rts', spec: reachable, memory, task: 'reach-right' }, context);
    assert.ok(second.injections > 0, 'the second run never used the remembered successes');
    assert.ok(second.memoryEntries >= first.memoryEntries);
  });

  it('records scripted demonstrations, trains an image-conditioned policy on them, and runs it (tiny)', async () => {
    const demos = await demonstrations({ dataset: 'demos', episodes: 2, jitter: 0.02, seed: 3, hz: 30 }, context);
    assert.equal(demos.episodes.length, 2);
    const out = join(home.path, 'trained.onnx');
    const trained = await train({ dataset: 'demos', out, kind: 'flow', steps: 150, chunk: 10, hidden: 32, seed: 7, encoder: 'keypoints' }, context);
    assert.ok(trained.lastLoss < trained.firstLoss, `loss ${trained.firstLoss} → ${trained.lastLoss}`);
    const sidecar = JSON.parse(readFileSync(trained.sidecar, 'utf8'));
    // The keypoint encoder shares one image across the batch (particles × denoising rows).
    assert.deepEqual(sidecar.inputs.image.shape, [1, 3, 72, 96]);
    const report = await run({ ...base, armId: 'trained-arm', policy: out, seconds: 1 }, context);
    assert.ok(report.chunks >= 2);
    assert.equal(report.sampler, 'base');
    // The recorded demonstrations feed the success memory; a run from the same start draws on it.
    const memory = join(home.path, 'pick-memory');
    const added = await addToMemory({ dataset: 'demos', policy: out, memory, task: 'pick', embedding: 'keypoints' }, context);
    assert.equal(added.episodes, 2);
    assert.ok(added.memoryEntries > 10, `${added.memoryEntries} entries`);
    const stored = JSON.parse(readFileSync(join(memory, 'pick.json'), 'utf8'));
    assert.equal(stored.keyWidth, 12, 'keys: 6 joints + 6 image-embedding values');
    const steered = await run({ ...base, armId: 'memory-run', policy: out, sampler: 'rts', memory, task: 'pick', seconds: 1 }, context);
    assert.ok(steered.injections > 0, 'the run never started from a recorded success');
    assert.equal(steered.memoryEntries, added.memoryEntries);
    // The same joints but a visibly different scene (cube and bin swapped sides): the image part of the key keeps the memory out.
    const elsewhere = join(home.path, 'elsewhere.json');
    writeFileSync(elsewhere, JSON.stringify({ name: 'elsewhere', cube: { position: [-0.12, -0.3] }, bin: { position: [0.12, -0.2] } }));
    const moved = await run({ ...base, armId: 'memory-elsewhere', policy: out, sampler: 'rts', memory, task: 'pick', scene: elsewhere, seconds: 1 }, context);
    assert.ok(moved.injections < steered.injections, `${moved.injections} injections in the other scene, ${steered.injections} in the recorded one`);
  });

  it('refuses a sidecar that disagrees with its ONNX, before the arm moves', async () => {
    const broken = join(home.path, 'broken.onnx');
    writeExternalFlowPolicy(broken);
    const sidecar = JSON.parse(readFileSync(join(home.path, 'broken.json'), 'utf8'));
    sidecar.inputs.state.name = 'observation';
    writeFileSync(join(home.path, 'broken.json'), JSON.stringify(sidecar));
    const before = await read({ model: 'sim', armId: 'untouched' }, context);
    await assert.rejects(run({ ...base, armId: 'untouched', policy: broken }, context), (error: SkillframeError) => error.code === 'bad_input' && /obs_state/.test(error.message) && /observation/.test(error.message));
    sidecar.inputs.state.name = 'obs_state';
    sidecar.chunk = 12;
    writeFileSync(join(home.path, 'broken.json'), JSON.stringify(sidecar));
    await assert.rejects(run({ ...base, armId: 'untouched', policy: broken }, context), (error: SkillframeError) => error.code === 'bad_input' && /shape/.test(error.message));
    const after = await read({ model: 'sim', armId: 'untouched' }, context);
    assert.ok(after.joints.every((joint) => !joint.torque), 'torque came on');
    assert.deepEqual(after.joints.map((joint) => joint.raw), before.joints.map((joint) => joint.raw));
  });
});
