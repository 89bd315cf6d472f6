import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RewardSpec } from '../../core/commands/robot.ts';
import { SkillframeError } from '../../core/errors.ts';
import { compileReward, parseRewardSpec, StageTracker } from '../../engine/robot/steer/reward.ts';
import { specFromJson, specFromScene } from '../../engine/robot/steer/spec.ts';
import { builtinLayouts, parseLayouts, Random } from '../../engine/robot/sim/reach.ts';

const chunk = 16;
const scale = 0.05;

function finiteDifference(spec: RewardSpec, actions: Float32Array, start: [number, number], stage = 0): { analytic: Float32Array; numeric: Float64Array } {
  const reward = compileReward(spec, scale, chunk);
  const analytic = new Float32Array(actions.length);
  reward.evaluate(actions, 0, start, stage, analytic, 0);
  const numeric = new Float64Array(actions.length);
  const step = 1e-3;
  for (let index = 0; index < actions.length; index += 1) {
    const plus = actions.slice();
    const minus = actions.slice();
    plus[index] += step;
    minus[index] -= step;
    numeric[index] = (reward.evaluate(plus, 0, start, stage) - reward.evaluate(minus, 0, start, stage)) / (2 * step);
  }
  return { analytic, numeric };
}

function assertClose(analytic: Float32Array, numeric: Float64Array, label: string) {
  let scaleMax = 1e-6;
  for (const value of numeric) scaleMax = Math.max(scaleMax, Math.abs(value));
  for (let index = 0; index < analytic.length; index += 1) {
    const error = Math.abs(analytic[index] - numeric[index]);
    assert.ok(error <= 2e-3 * scaleMax + 1e-5, `${label}: d/da[${index}] analytic ${analytic[index]} vs numeric ${numeric[index]}`);
  }
}

const termCases: [string, RewardSpec['stages'][number]['terms'][number]][] = [
  ['reach', { kind: 'reach', target: [0.6, 0.2], weight: 1.5 }],
  ['keep_away', { kind: 'keep_away', center: [0.25, 0.1], radius: 0.15, margin: 0.04, weight: 2 }],
  ['side', { kind: 'side', center: [0.3, 0.05], side: 'left', direction: [1, 0.2], margin: 0.2, weight: 3 }],
  ['smooth', { kind: 'smooth', weight: 0.2 }],
];

for (const [name, term] of termCases) {
  test(`reward compiler: the ${name} gradient matches finite differences`, () => {
    const random = new Random(11);
    for (let trial = 0; trial < 3; trial += 1) {
      const actions = new Float32Array(chunk * 2);
      for (let index = 0; index < chunk; index += 1) {
        actions[2 * index] = 0.8 + 0.3 * random.normal();
        actions[2 * index + 1] = 0.3 * random.normal();
      }
      const { analytic, numeric } = finiteDifference({ version: 1, hold: 2, stages: [{ name: 'one', terms: [term] }] }, actions, [0, 0]);
      assertClose(analytic, numeric, name);
    }
  });
}

test('reward compiler: a whole scene spec (all terms, two stages) has exact gradients in each stage', () => {
  const spec = specFromScene(builtinLayouts.find((layout) => layout.name === 'pass_left')!);
  assert.equal(spec.stages.length, 2);
  const random = new Random(5);
  const actions = random.fillNormal(new Float32Array(chunk * 2));
  for (const stage of [0, 1]) {
    const { analytic, numeric } = finiteDifference(spec, actions, [0.1, -0.05], stage);
    assertClose(analytic, numeric, `stage ${stage}`);
  }
});

test('reward compiler: the barrier penalises a path through the obstacle more than one around it', () => {
  const spec: RewardSpec = { version: 1, hold: 2, stages: [{ name: 'avoid', terms: [{ kind: 'keep_away', center: [0.4, 0], radius: 0.15, margin: 0.04, weight: 1 }] }] };
  const reward = compileReward(spec, scale, chunk);
  const straight = new Float32Array(chunk * 2);
  const around = new Float32Array(chunk * 2);
  for (let index = 0; index < chunk; index += 1) {
    straight[2 * index] = 1;
    around[2 * index] = 1;
    around[2 * index + 1] = index < 6 ? 1 : index < 10 ? 0 : -1;
  }
  assert.ok(reward.evaluate(around, 0, [0, 0], 0) > reward.evaluate(straight, 0, [0, 0], 0));
});

test('reward spec: bad input is a coded error naming the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ stages: [{ name: 'a', terms: [{ kind: 'reach', target: [Number.NaN, 0] }] }] }, /spec\.stages\.0\.terms\.0\.target\.0/],
    [{ stages: [{ name: 'a', terms: [{ kind: 'keep_away', center: [0, 0], radius: -0.1 }] }] }, /spec\.stages\.0\.terms\.0\.radius/],
    [{ stages: [{ name: 'a', terms: [{ kind: 'teleport', target: [0, 0] }] }] }, /spec\.stages\.0\.terms\.0\.kind/],
    [{ stages: [] }, /spec\.stages/],
  ];
  for (const [raw, field] of cases) {
    assert.throws(() => parseRewardSpec(raw), (error: unknown) => error instanceof SkillframeError && error.code === 'bad_input' && field.test(error.message));
  }
});

test('reward spec: a VLM reply that breaks the schema is bad_input naming the field, never a fallback', () => {
  const reply = 'Sure! Here is the spec:\n```json\n{"version":1,"stages":[{"name":"go","terms":[{"kind":"reach","target":[1,"up"]}]}]}\n```';
  assert.throws(() => specFromJson(reply, 'vlm reply'), (error: unknown) => error instanceof SkillframeError && error.code === 'bad_input' && /vlm reply\.stages\.0\.terms\.0\.target\.1/.test(error.message));
  assert.throws(() => specFromJson('no json here', 'vlm reply'), (error: unknown) => error instanceof SkillframeError && error.code === 'bad_input');
  const good = specFromJson('```json\n{"stages":[{"name":"go","terms":[{"kind":"reach","target":[1,0.3]}]}]}\n```', 'vlm reply');
  assert.deepEqual(good.stages[0].terms[0], { kind: 'reach', target: [1, 0.3], weight: 1 });
});

test('layouts file: NaN, negative radius and unknown constraint are coded errors naming the field', () => {
  const layout = { name: 'x', start: [0, 0], goal: [1, 0], obstacles: [{ center: [0.5, 0], radius: 0.1 }], constraint: null };
  assert.throws(() => parseLayouts(JSON.stringify([{ ...layout, obstacles: [{ center: [0.5, 0], radius: -1 }] }])), /layouts\.0\.obstacles\.0\.radius/);
  assert.throws(() => parseLayouts(JSON.stringify([{ ...layout, constraint: 'pass_under' }])), /layouts\.0\.constraint/);
  assert.throws(() => parseLayouts('[{"name":"x","start":[NaN,0]}]'), (error: unknown) => error instanceof SkillframeError && error.code === 'bad_input');
  assert.throws(() => parseLayouts(JSON.stringify([{ ...layout, goal: [1, null] }])), /layouts\.0\.goal\.1/);
  assert.equal(parseLayouts(JSON.stringify([layout]))[0].name, 'x');
});

test('stage tracker: advances only after the condition holds `hold` steps, and does not flicker back at the boundary', () => {
  const spec: RewardSpec = {
    version: 1,
    hold: 2,
    stages: [
      { name: 'first', terms: [{ kind: 'smooth', weight: 1 }], until: { kind: 'near', point: [1, 0], within: 0.1 } },
      { name: 'second', terms: [{ kind: 'smooth', weight: 1 }] },
    ],
  };
  const tracker = new StageTracker(spec);
  assert.equal(tracker.update([0.95, 0]), 0);
  assert.equal(tracker.update([0.5, 0]), 0, 'a single hit does not switch');
  assert.equal(tracker.update([0.95, 0]), 0);
  assert.equal(tracker.update([0.96, 0]), 1, 'two consecutive hits switch');
  assert.equal(tracker.update([0.85, 0]), 1, 'just outside the enter radius keeps the stage (hysteresis)');
  assert.equal(tracker.update([0.85, 0]), 1);
  assert.equal(tracker.update([0.5, 0]), 1);
  assert.equal(tracker.update([0.5, 0]), 0, 'far outside for hold steps goes back');
});

/** A six-joint arm's chunk of four actions, normalised around a pose in front of the SO-101. */
async function armChunks() {
  const { jointKinematics } = await import('../../engine/robot/steer/joint-kinematics.ts');
  const { gripperPoint } = await import('../../engine/robot/sim/so101.ts');
  return { jointKinematics, gripperPoint, joints: ['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper'], mean: [0, -20, 40, 60, 0, 50], std: [20, 20, 20, 20, 5, 40], length: 4 };
}

test('arm guidance moves the jaws across the table plane, not up or down: the joint gradient has no first-order height change', async () => {
  const { jointKinematics, gripperPoint, joints, mean, std, length } = await armChunks();
  const spec: RewardSpec = { version: 1, hold: 2, stages: [{ name: 'reach', terms: [{ kind: 'reach', target: [0.15, -0.3], weight: 1 }] }] };
  const reward = compileReward(spec, 1, length, jointKinematics(joints, length, mean, std));
  const random = new Random(3);
  const chunk = Float32Array.from({ length: length * joints.length }, () => random.normal() * 0.3);
  const gradient = new Float32Array(chunk.length);
  reward.evaluate(chunk, 0, [0, 0], 0, gradient, 0);
  const heightAt = (values: Float32Array, action: number) => gripperPoint(Object.fromEntries(joints.map((name, joint) => [name, mean[joint] + std[joint] * values[action * joints.length + joint]])))[2];
  let planarMoved = 0;
  for (let action = 0; action < length; action += 1) {
    const step = 1e-3;
    const moved = chunk.slice();
    let norm = 0;
    for (let joint = 0; joint < joints.length; joint += 1) norm += gradient[action * joints.length + joint] ** 2;
    norm = Math.sqrt(norm);
    assert.ok(norm > 0, `no gradient on action ${action}`);
    for (let joint = 0; joint < joints.length; joint += 1) moved[action * joints.length + joint] += (step * gradient[action * joints.length + joint]) / norm;
    const dz = (heightAt(moved, action) - heightAt(chunk, action)) / step;
    assert.ok(Math.abs(dz) < 1e-3, `action ${action}: the jaws' height changes at ${dz} m per unit along the gradient`);
    // ...while the reward still rises along it.
    if (reward.evaluate(moved, 0, [0, 0], 0) > reward.evaluate(chunk, 0, [0, 0], 0)) planarMoved += 1;
  }
  assert.equal(planarMoved, length);
});

test('keep_above on the arm: a path low through the column is lifted (and pushed out), a path above it pays nothing; the barrier part can be read apart', async () => {
  const { jointKinematics, gripperPoint, joints, mean, std, length } = await armChunks();
  const chunk = new Float32Array(length * joints.length);
  const jaws = (values: Float32Array, action: number) => gripperPoint(Object.fromEntries(joints.map((name, joint) => [name, mean[joint] + std[joint] * values[action * joints.length + joint]])));
  const [x, y, z] = jaws(chunk, 0);
  const column = (top: number): RewardSpec => ({ version: 1, hold: 2, stages: [{ name: 'carry', terms: [{ kind: 'reach', target: [x + 0.3, y], weight: 1 }, { kind: 'keep_above', center: [x + 0.01, y], radius: 0.02, margin: 0.02, top, clearance: 0.04, weight: 2 }] }] });
  const kinematics = jointKinematics(joints, length, mean, std);
  const low = compileReward(column(z), 1, length, kinematics);
  const gradient = new Float32Array(chunk.length);
  const barrier = { gradient: new Float32Array(chunk.length), offset: 0, reward: 0 };
  const total = low.evaluate(chunk, 0, [0, 0], 0, gradient, 0, barrier);
  assert.ok(barrier.reward < -0.01, `the jaws at the obstacle's top pay: ${barrier.reward}`);
  const merged = new Float32Array(chunk.length);
  assert.equal(low.evaluate(chunk, 0, [0, 0], 0, merged, 0), total);
  for (let index = 0; index < chunk.length; index += 1) assert.ok(Math.abs(gradient[index] + barrier.gradient[index] - merged[index]) < 1e-5, 'goal part + barrier part = the merged gradient');
  // Along the barrier part the jaws rise and the barrier's reward rises.
  const step = 0.02;
  const norm = Math.hypot(...barrier.gradient);
  const moved = chunk.map((value, index) => value + (step * barrier.gradient[index]) / norm);
  assert.ok(jaws(moved, 0)[2] > z + 1e-4, `jaws ${jaws(moved, 0)[2]} vs ${z}`);
  const after = { gradient: new Float32Array(chunk.length), offset: 0, reward: 0 };
  low.evaluate(moved, 0, [0, 0], 0, new Float32Array(chunk.length), 0, after);
  assert.ok(after.reward > barrier.reward);
  const clear = { gradient: new Float32Array(chunk.length), offset: 0, reward: 0 };
  compileReward(column(z - 0.2), 1, length, kinematics).evaluate(chunk, 0, [0, 0], 0, new Float32Array(chunk.length), 0, clear);
  assert.equal(clear.reward, 0, `16 cm above the top + clearance it is free: ${clear.reward}`);
  // The whole column (radius + margin) counts in full, twice as far out nothing pays: every
  // path point here lies 1 cm from the center (the old sigmoid window gave the column's edge half).
  const edge = (centerX: number) => {
    const part = { gradient: new Float32Array(chunk.length), offset: 0, reward: 0 };
    const spec: RewardSpec = { version: 1, hold: 2, stages: [{ name: 'carry', terms: [{ kind: 'reach', target: [x + 0.3, y], weight: 1 }, { kind: 'keep_above', center: [centerX, y], radius: 0.02, margin: 0.02, top: z, clearance: 0.04, weight: 2 }] }] };
    compileReward(spec, 1, length, kinematics).evaluate(chunk, 0, [0, 0], 0, new Float32Array(chunk.length), 0, part);
    return part.reward;
  };
  assert.ok(Math.abs(edge(x + 0.039) - edge(x + 0.01)) < 1e-9, `at the column's edge ${edge(x + 0.039)} vs its middle ${edge(x + 0.01)}`);
  assert.equal(edge(x + 0.091), 0, 'beyond twice radius + margin nothing pays');
  assert.ok(edge(x + 0.06) < 0 && edge(x + 0.06) > edge(x + 0.01), 'fading between');
  // Height terms need a path with a height, and a top.
  assert.throws(() => compileReward(column(0.1), 0.05, 16), (error: SkillframeError) => error.code === 'bad_input' && /keep_above/.test(error.message));
  const topless = column(0.1);
  delete (topless.stages[0].terms[1] as { top?: number }).top;
  assert.throws(() => compileReward(topless, 1, length, kinematics), (error: SkillframeError) => error.code === 'bad_input' && /top/.test(error.message));
  assert.throws(() => parseRewardSpec(topless), (error: SkillframeError) => error.code === 'bad_input' && /top/.test(error.message));
});

test('arm stages only advance: carrying the cube away from where the camera first saw it keeps the carry stage', async () => {
  const { jointPolicy } = await import('../../engine/robot/arm/joint-policy.ts');
  const { forwardKinematics } = await import('../../engine/robot/sim/so101.ts');
  const { homePose, inverseKinematics } = await import('../../engine/robot/sim/pick-expert.ts');
  const file = new URL('../../engine/robot/policy/assets/so101-flow.onnx', import.meta.url).pathname;
  const home = forwardKinematics(homePose).gripper;
  const cube: [number, number] = [home[0], home[1]];
  const bin: [number, number] = [-0.1, -0.22];
  const spec: RewardSpec = {
    version: 1,
    hold: 2,
    stages: [
      { name: 'reach the cube', terms: [{ kind: 'reach', target: cube, weight: 1 }], until: { kind: 'near', point: cube, within: 0.02 } },
      { name: 'carry to the bin', terms: [{ kind: 'reach', target: bin, weight: 1 }] },
    ],
  };
  const policy = await jointPolicy({ file, sampler: 'vls', spec });
  try {
    for (let tick = 0; tick < 3; tick += 1) policy.observe?.(homePose);
    assert.equal(policy.stage(), 1, 'over the cube for `hold` ticks: carry stage');
    const { joints: atBin } = inverseKinematics([bin[0], bin[1], 0.1], homePose);
    for (let tick = 0; tick < 10; tick += 1) policy.observe?.({ ...atBin, gripper: 0 });
    assert.equal(policy.stage(), 1, 'far from where the cube was seen, still carrying');
  } finally {
    await policy.dispose?.();
  }
});

test('barriers end at their edge: keep_away pays and pushes nothing outside radius + margin, and its soft part lies inside', () => {
  // One path point parked at a given distance from the barrier's center (chunk of zero actions from `start`).
  const barrierAt = (distance: number) => {
    const spec: RewardSpec = { version: 1, hold: 2, stages: [{ name: 'one', terms: [{ kind: 'keep_away', center: [0, 0], radius: 0.03, margin: 0.04, weight: 2 }] }] };
    const gradient = new Float32Array(chunk * 2);
    const reward = compileReward(spec, scale, chunk).evaluate(new Float32Array(chunk * 2), 0, [distance, 0], 0, gradient, 0);
    return { reward, push: gradient[0] };
  };
  // The softplus barrier paid 2·ln 2/60 per point at the edge and still pushed 1–5 cm beyond it:
  // next to a post the reach stage settled 4 cm off the cube and never grasped it.
  for (const distance of [0.07, 0.075, 0.083, 0.12]) {
    const { reward, push } = barrierAt(distance);
    assert.equal(reward, 0, `${distance} m from the center it pays ${reward}`);
    assert.equal(push, 0, `${distance} m from the center it pushes ${push}`);
  }
  const inside = barrierAt(0.05);
  assert.ok(inside.reward < 0 && inside.push > 0, JSON.stringify(inside));
  assert.ok(barrierAt(0.02).reward < inside.reward, 'deeper costs more');
});

test('stage tracker: a grasped condition waits for the jaws to close at the point (hovering over it open is not a grasp); planar specs cannot use it', () => {
  const spec: RewardSpec = {
    version: 1,
    hold: 3,
    stages: [
      { name: 'reach the cube', terms: [{ kind: 'reach', target: [0.06, -0.24], weight: 1 }], until: { kind: 'grasped', point: [0.06, -0.24], within: 0.03 } },
      { name: 'carry', terms: [{ kind: 'reach', target: [-0.1, -0.22], weight: 1 }] },
    ],
  };
  const tracker = new StageTracker(spec, { backtrack: false });
  // Over the cube with the jaws open (the gripper still 8 cm up, on its way down): no switch.
  for (let tick = 0; tick < 10; tick += 1) assert.equal(tracker.update([0.061, -0.241], 100), 0);
  // No jaws reported: never a grasp.
  for (let tick = 0; tick < 10; tick += 1) assert.equal(tracker.update([0.061, -0.241]), 0);
  // Jaws closed away from the cube: no grasp of it.
  for (let tick = 0; tick < 10; tick += 1) assert.equal(tracker.update([0.15, -0.24], 0), 0);
  // Closed at the cube for `hold` ticks: carry.
  assert.equal(tracker.update([0.06, -0.24], 20), 0);
  assert.equal(tracker.update([0.06, -0.24], 5), 0);
  assert.equal(tracker.update([0.06, -0.24], 0), 1);
  assert.throws(() => compileReward(spec, scale, chunk), (error: SkillframeError) => error.code === 'bad_input' && /stages\[0\]\.until: a grasped condition needs an arm/.test(error.message));
  assert.throws(() => parseRewardSpec({ ...spec, stages: [{ ...spec.stages[0], until: { kind: 'grasped', point: [0, 0], within: 0 } }, spec.stages[1]] }), (error: SkillframeError) => error.code === 'bad_input' && /within/.test(error.message));
});
