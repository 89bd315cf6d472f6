// Safety on the real serial path: clamps and step limits, the 100 ms watchdog, the e-stop.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isSkillframeError } from '../../core/index.ts';
import type { Arm, SendResult } from '../../engine/robot/arm/arm.ts';
import { calibrationPath, saveCalibration, simulatedCalibration } from '../../engine/robot/arm/calibration.ts';
import { armLayout } from '../../engine/robot/arm/config.ts';
import { openArm } from '../../engine/robot/arm/open.ts';
import { type SimulatedArm, startSimulatedArm } from '../../testkit/arm-simulator/launch.ts';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

const layout = armLayout('so101-feetech');
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('arm safety over a real pty', () => {
  const home = temporaryHome();
  let sim: SimulatedArm;
  let arm: Arm;
  before(async () => {
    sim = await startSimulatedArm({ seed: 3 });
    saveCalibration(calibrationPath(home.path, 'safe'), simulatedCalibration(layout, 'safe'));
    // Driving an arm needs the robot permission tier (nobody answers a prompt here).
    writeFileSync(join(home.path, 'settings.json'), JSON.stringify({ permissions: { autoApproveTier: 'robot' } }));
  });
  after(async () => {
    await arm?.dispose().catch(() => undefined);
    await sim?.dispose();
    home.dispose();
  });
  const open = async () => (arm = await openArm({ model: 'so101-feetech', port: sim.port, armId: 'safe', baudRate: 1_000_000 }, { home: home.path, safety: { maxStepDegrees: 5 } }));

  it('refuses a target outside the limits without moving, clamps it when asked, never steps more than the maximum', async () => {
    await open();
    const before = await sim.state();
    await assert.rejects(arm.moveTo({ elbow_flex: 200 }), (error: unknown) => {
      assert.ok(isSkillframeError(error) && error.code === 'unsafe');
      assert.match((error as Error).message, /elbow_flex \(motor 3\): target 200 is outside its limits -135\.\.135; nothing was sent/);
      return true;
    });
    assert.deepEqual((await sim.state()).map((servo) => servo.torque), before.map((servo) => servo.torque), 'a refused move switched torque on');
    await assert.rejects(arm.send({ elbow_flex: Number.NaN }), /not a finite number/);
    await assert.rejects(arm.send({ elbow: 3 }), /joint "elbow" is not on this so101-feetech arm/);

    const steps: SendResult[] = [];
    const result = await arm.moveTo({ elbow_flex: 200, shoulder_pan: -20 }, { clamp: true, hz: 100, onStep: (step) => steps.push(step) });
    assert.deepEqual(result.clamped, ['elbow_flex']);
    assert.ok(Math.abs(result.final.positions.elbow_flex - 135) < 2, `elbow_flex ended at ${result.final.positions.elbow_flex}`);
    assert.ok(Math.abs(result.final.positions.shoulder_pan + 20) < 2);
    let previous = 0;
    for (const step of steps) {
      assert.ok(Math.abs(step.sent.elbow_flex - previous) <= 5.01, `a step of ${step.sent.elbow_flex - previous}° exceeds 5°`);
      previous = step.sent.elbow_flex;
    }
    assert.ok(steps.length >= 27, `135° in 5° steps took only ${steps.length} commands`);
    // moveTo ends holding: torque on, goal where the servo is, and the watchdog off.
    await wait(250);
    const held = await sim.state();
    assert.ok(held.every((servo) => servo.torque), 'the arm went limp after a move');
    assert.ok(Math.abs(held[2].goal - held[2].position) < 20);
  });

  it('switches torque off about 100 ms after the command stream stops', async () => {
    await arm.send({ wrist_flex: 3 });
    const sentAt = performance.now();
    let offAt: number | undefined;
    while (performance.now() - sentAt < 2000) {
      const state = await sim.state();
      if (state.every((servo) => !servo.torque)) {
        offAt = performance.now();
        break;
      }
      await wait(5);
    }
    assert.ok(offAt !== undefined, 'torque stayed on');
    const delay = offAt! - sentAt;
    assert.ok(delay >= 95, `torque went off after only ${delay.toFixed(0)} ms`);
    assert.equal(arm.watchdogTrips, 1);
    // Streaming again re-enables torque from where the arm is now: no jump to the old goal.
    const state = await arm.readState();
    const result = await arm.send({ wrist_flex: state.positions.wrist_flex + 20 });
    assert.ok(Math.abs(result.sent.wrist_flex - state.positions.wrist_flex) <= 5.01);
    await arm.hold();
  });

  it('the e-stop wins over a move in flight and latches', async () => {
    const moving = arm.moveTo({ shoulder_lift: 90 }, { hz: 50 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await wait(150);
    const stopped = await arm.estop();
    assert.deepEqual(stopped.failed, []);
    const failure = await moving;
    assert.ok(isSkillframeError(failure) && (failure.code === 'unsafe' || failure.code === 'aborted'), `the move ended with ${failure}`);
    const state = await sim.state();
    assert.ok(state.every((servo) => !servo.torque), 'torque still on after the e-stop');
    const frozen = state[1].position;
    await wait(150);
    assert.ok(Math.abs((await sim.state())[1].position - frozen) < 1, 'the arm kept moving after the e-stop');
    await assert.rejects(arm.send({ shoulder_lift: 0 }), /e-stop is engaged/);
    arm.releaseEstop();
    await arm.dispose();
  });

  it('`skillframe robot arm run` drives the steering runtime at a fixed rate and reports rate and deadline misses', async () => {
    const before = (await sim.state())[1].position;
    const result = await runCli(['robot', 'arm', 'run', '--port', sim.port, '--arm-id', 'safe', '--policy', 'reach', '--hz', '30', '--seconds', '1.5', '--json'], { env: home.env });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const report = JSON.parse(result.stdout);
    console.log(`control loop: ${report.achievedHz} Hz (target ${report.targetHz}), ${report.deadlineMisses} deadline misses, slowest inference ${report.maxInferenceMs} ms`);
    assert.equal(report.policy, 'reach:base');
    // Generous floors: on a loaded two-core machine the rate sags; the report says by how much.
    assert.ok(report.ticks >= 8 && report.chunks >= 1, JSON.stringify(report));
    assert.ok(report.achievedHz > 5, JSON.stringify(report));
    assert.equal(typeof report.deadlineMisses, 'number');
    // The reach policy pushes along x, which the adapter maps onto shoulder_lift (motor 2).
    assert.ok(Math.abs((await sim.state())[1].position - before) > 20, 'the policy did not move shoulder_lift');
  });

  it('`skillframe robot arm estop --port` from another process switches a holding arm off', async () => {
    arm = await openArm({ model: 'so101-feetech', port: sim.port, armId: 'safe', baudRate: 1_000_000 }, { home: home.path });
    await arm.moveTo({ gripper: 70 });
    await arm.dispose();
    assert.ok((await sim.state()).every((servo) => servo.torque));
    const result = await runCli(['robot', 'arm', 'estop', '--port', sim.port, '--json'], { env: home.env });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const output = JSON.parse(result.stdout);
    assert.deepEqual(output.torqueOff, [1, 2, 3, 4, 5, 6]);
    assert.ok((await sim.state()).every((servo) => !servo.torque));
  });
});
