// Arm safety, loops and the episode store against the in-process simulated arm (no pty): fast.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isSkillframeError } from '../../core/index.ts';
import { checkCalibration, simulatedCalibration } from '../../engine/robot/arm/calibration.ts';
import { armLayout } from '../../engine/robot/arm/config.ts';
import { holdPolicy, runPolicyLoop, sinePolicy } from '../../engine/robot/arm/control-loop.ts';
import { openArm } from '../../engine/robot/arm/open.ts';
import { runAtFixedRate } from '../../engine/robot/arm/rate.ts';
import { EpisodeRecorder, readEpisodeFrames } from '../../engine/robot/dataset/episodes.ts';
import { exportLeRobot, importLeRobot } from '../../engine/robot/dataset/lerobot-v3.ts';
import { SkillframeError } from '../../core/errors.ts';

const scratch = mkdtempSync(join(tmpdir(), 'sf-arm-unit-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let seed = 100;
const simArm = () => openArm({ model: 'sim', armId: 'sim', seed: seed++, handGuided: false }, { home: scratch, safety: { maxStepDegrees: 4 } });

describe('arm safety (in-process sim)', () => {
  it('clamps to limits, shortens steps, and reports what it actually sent', async () => {
    const arm = await simArm();
    try {
      const first = await arm.send({ elbow_flex: 500, gripper: 100 });
      assert.deepEqual(first.clamped, ['elbow_flex']);
      assert.deepEqual(first.stepLimited.sort(), ['elbow_flex', 'gripper']);
      assert.equal(first.sent.elbow_flex, 4);
      assert.equal(first.sent.gripper, 65);
      await assert.rejects(arm.moveTo({ shoulder_lift: -500 }), (error: unknown) => isSkillframeError(error) && error.code === 'unsafe' && /shoulder_lift \(motor 2\): target -500/.test(error.message));
    } finally {
      await arm.dispose();
    }
  });

  it('the watchdog switches torque off when commands stop; the e-stop latches', async () => {
    const arm = await simArm();
    try {
      const events: string[] = [];
      arm.onEvent((event) => events.push(event.reason));
      await arm.send({ wrist_roll: 2 });
      await new Promise((resolve) => setTimeout(resolve, 250));
      assert.deepEqual(events, ['watchdog']);
      const torque = await arm.bus.syncRead(arm.ids, arm.layout.joints[0].motor.registers.Torque_Enable);
      assert.deepEqual([...torque.values()], [0, 0, 0, 0, 0, 0]);
      await arm.estop();
      await assert.rejects(arm.send({ wrist_roll: 0 }), /e-stop is engaged/);
      arm.releaseEstop();
      await arm.send({ wrist_roll: 0 });
      await arm.hold();
    } finally {
      await arm.dispose();
    }
  });

  it('refuses a calibration for another model, another arm, or other motor ids', () => {
    const so101 = armLayout('so101-feetech');
    const koch = armLayout('koch-dynamixel');
    assert.throws(() => checkCalibration(simulatedCalibration(koch, 'a'), so101, 'a', 'f.json'), /for a koch-dynamixel arm \(a\), not this so101-feetech arm/);
    assert.throws(() => checkCalibration(simulatedCalibration(so101, 'b'), so101, 'a', 'f.json'), /for arm "b", not "a"/);
    const moved = simulatedCalibration(so101, 'a');
    moved.joints.gripper.id = 9;
    assert.throws(() => checkCalibration(moved, so101, 'a', 'f.json'), /gripper on motor 9, but this arm has it on motor 6/);
  });
});

describe('fixed-rate loops', () => {
  it('keeps an absolute schedule and counts deadline misses instead of bunching ticks', async () => {
    let slow = 0;
    const report = await runAtFixedRate({
      hz: 50,
      maxTicks: 12,
      step: async (tick) => {
        if (tick === 3) {
          slow = tick;
          await new Promise((resolve) => setTimeout(resolve, 70));
        }
      },
    });
    assert.equal(report.ticks, 12);
    assert.equal(slow, 3);
    assert.ok(report.deadlineMisses >= 1, JSON.stringify(report));
  });

  it('a policy runs through the safety path and ends holding', async () => {
    const arm = await simArm();
    try {
      const report = await runPolicyLoop(arm, sinePolicy({ amplitude: 30, periodSeconds: 0.5, hz: 50 }), { hz: 50, maxTicks: 20 });
      assert.equal(report.ticks, 20);
      assert.ok(report.chunks >= 2);
      assert.ok(report.stepLimitedTicks > 0, 'a 30° wave at 2 Hz, commanded at 50 Hz, must hit the 4° step limit');
      const held = await runPolicyLoop(arm, holdPolicy(), { hz: 50, maxTicks: 3 });
      assert.equal(held.clampedTicks, 0);
    } finally {
      await arm.dispose();
    }
  });

  it('the steering runtime (reach policy) drives the arm through the same loop', async () => {
    const { reachPolicy } = await import('../../engine/robot/arm/reach-policy.ts');
    const arm = await openArm({ model: 'sim', armId: 'sim', seed: seed++, handGuided: false }, { home: scratch });
    const policy = await reachPolicy();
    try {
      const start = (await arm.readState()).positions.shoulder_lift;
      const report = await runPolicyLoop(arm, policy, { hz: 30, maxTicks: 45 });
      const end = (await arm.readState()).positions.shoulder_lift;
      assert.ok(report.chunks >= 2, JSON.stringify(report));
      assert.ok(Math.abs(end - start) > 3, `the reach policy moved shoulder_lift only from ${start} to ${end}`);
    } finally {
      await policy.dispose?.();
      await arm.dispose();
    }
  });
});

describe('episode store and LeRobot v3', () => {
  it('round-trips episodes through export and import, and survives a torn last line', async () => {
    const dataset = join(scratch, 'ds');
    for (const task of ['pick', 'place']) {
      const recorder = await EpisodeRecorder.start(dataset, { task, robotType: 'so101-feetech', fps: 10, jointNames: ['a', 'b'] });
      for (let index = 0; index < 7; index += 1) recorder.append({ t: index / 10, observation: [index, -index], action: [index + 0.5, index * 2] });
      await recorder.finish();
    }
    appendFileSync(join(dataset, 'episodes', 'episode-000001', 'frames.jsonl'), '{"t":0.7,"observ');
    assert.equal(readEpisodeFrames(dataset, 1).length, 7);
    const out = join(scratch, 'lerobot');
    const report = await exportLeRobot(dataset, out);
    assert.equal(report.frames, 14);
    const info = JSON.parse(readFileSync(join(out, 'meta', 'info.json'), 'utf8'));
    assert.equal(info.total_tasks, 2);
    assert.equal(info.splits.train, '0:2');
    const stats = JSON.parse(readFileSync(join(out, 'meta', 'stats.json'), 'utf8'));
    assert.deepEqual(stats.action.max, [6.5, 12]);
    const back = await importLeRobot(out, join(scratch, 'ds2'));
    assert.equal(back.frames, 14);
    assert.deepEqual(back.episodes.map((episode) => episode.task), ['pick', 'place']);
    assert.deepEqual(readEpisodeFrames(join(scratch, 'ds2'), 1)[3].action, [3.5, 6]);
    writeFileSync(join(out, 'meta', 'info.json'), JSON.stringify({ ...info, codebase_version: 'v2.1' }));
    await assert.rejects(importLeRobot(out, join(scratch, 'ds3')), (error: unknown) => error instanceof SkillframeError && error.code === 'bad_input' && /v2\.1 is not v3/.test(error.message));
  });
});
