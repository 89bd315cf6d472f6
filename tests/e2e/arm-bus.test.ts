// The arm driver against simulated servos in their own process, over a real socat pty pair.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSkillframeError, SkillframeError } from '../../core/index.ts';
import { openSerialPort } from '../../native/serial/link.ts';
import { calibrateArm } from '../../engine/robot/arm/calibrate.ts';
import { calibrationPath, saveCalibration, simulatedCalibration } from '../../engine/robot/arm/calibration.ts';
import { armLayout } from '../../engine/robot/arm/config.ts';
import { openArm, openBus } from '../../engine/robot/arm/open.ts';
import { type SimulatedArm, startSimulatedArm } from '../../testkit/arm-simulator/launch.ts';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

const coded = (code: string, pattern: RegExp) => (error: unknown) => {
  assert.ok(isSkillframeError(error), `not a coded error: ${error}`);
  assert.equal((error as SkillframeError).code, code, (error as Error).message);
  assert.match((error as Error).message, pattern);
  return true;
};

describe('arm bus over a real pty', () => {
  const home = temporaryHome();
  let feetech: SimulatedArm;
  let dynamixel: SimulatedArm;
  before(async () => {
    [feetech, dynamixel] = await Promise.all([startSimulatedArm({ model: 'so101-feetech' }), startSimulatedArm({ model: 'koch-dynamixel' })]);
  });
  after(async () => {
    await Promise.all([feetech?.dispose(), dynamixel?.dispose()]);
    home.dispose();
  });

  it('scan --json prints exactly the motors with their raw Present_Position (Feetech)', async () => {
    await feetech.setPosition(3, 1000);
    const result = await runCli(['robot', 'arm', 'scan', '--port', feetech.port, '--json'], { env: home.env });
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout);
    assert.deepEqual(Object.keys(output), ['motors']);
    assert.equal(output.motors.length, 6);
    for (const motor of output.motors) assert.deepEqual(Object.keys(motor).sort(), ['id', 'model', 'position']);
    assert.deepEqual(output.motors[2], { id: 3, model: 'sts3215', position: 1000 });
  });

  it('scans a Dynamixel (protocol 2.0) bus: Koch motor models by PING and Model_Number', async () => {
    const result = await runCli(['robot', 'arm', 'scan', '--port', dynamixel.port, '--model', 'koch-dynamixel', '--json'], { env: home.env });
    assert.equal(result.code, 0, result.stderr);
    const models = JSON.parse(result.stdout).motors.map((motor: { model: string }) => motor.model);
    assert.deepEqual(models, ['xl430_w250', 'xl430_w250', 'xl330_m288', 'xl330_m288', 'xl330_m288', 'xl330_m288']);
  });

  it('a port that does not exist, or is busy, is a coded error naming the port', async () => {
    await assert.rejects(openSerialPort({ path: '/dev/does-not-exist' }), coded('not_found', /does-not-exist/));
    const holder = await openSerialPort({ path: feetech.port });
    try {
      await assert.rejects(openSerialPort({ path: feetech.port }), coded('unavailable', /busy/));
      const busy = await runCli(['robot', 'arm', 'scan', '--port', feetech.port, '--json'], { env: home.env });
      assert.equal(busy.code, 7, busy.stdout);
      assert.match(JSON.parse(busy.stdout).error.message, new RegExp(`${feetech.port} is busy`));
    } finally {
      await holder.dispose();
    }
  });

  it('moves a Koch arm over Dynamixel 2.0 (4-byte signed goals, SYNC_WRITE/SYNC_READ)', async () => {
    saveCalibration(calibrationPath(home.path, 'koch'), simulatedCalibration(armLayout('koch-dynamixel'), 'koch'));
    // This case is about the protocol, not the watchdog (arm-safety tests that): a loaded machine
    // that stalls the final read past 100 ms must not turn it into a watchdog trip.
    const arm = await openArm({ model: 'koch-dynamixel', port: dynamixel.port, armId: 'koch', baudRate: 1_000_000 }, { home: home.path, safety: { watchdogMs: 2000 } });
    try {
      const result = await arm.moveTo({ elbow_flex: -30, shoulder_pan: 20, gripper: 80 }, { hz: 100 });
      assert.ok(Math.abs(result.final.positions.elbow_flex + 30) < 2, JSON.stringify(result.final.positions));
      assert.ok(Math.abs(result.final.positions.shoulder_pan - 20) < 2);
      assert.ok(Math.abs(result.final.positions.gripper - 80) < 2);
      const servo = (await dynamixel.state()).find((entry) => entry.id === 3)!;
      assert.equal(servo.model, 'xl330_m288');
      assert.ok(servo.torque);
      await arm.release();
    } finally {
      await arm.dispose();
    }
  });

  it('calibrate: the person sweeps the joints; homing and ranges are stored for this arm', async () => {
    await feetech.setHandGuided(true);
    try {
      const result = await runCli(['robot', 'arm', 'calibrate', '--port', feetech.port, '--arm-id', 'left', '--seconds', '1.5', '--json'], { env: home.env });
      assert.equal(result.code, 0, result.stderr);
      const output = JSON.parse(result.stdout);
      assert.equal(output.path, join(home.path, 'arms', 'left.json'));
      const stored = JSON.parse(readFileSync(output.path, 'utf8'));
      assert.equal(stored.model, 'so101-feetech');
      for (const joint of output.joints) {
        assert.ok(joint.rangeMax - joint.rangeMin > 500, `${joint.name} range ${joint.rangeMin}..${joint.rangeMax}`);
        assert.ok(joint.homing >= joint.rangeMin && joint.homing <= joint.rangeMax);
      }
      // The range is also written into each servo's own position limits.
      const opened = await openBus({ model: 'so101-feetech', port: feetech.port, baudRate: 1_000_000 });
      try {
        const registers = opened.layout.joints[0].motor.registers;
        const elbow = output.joints.find((joint: { name: string }) => joint.name === 'elbow_flex');
        assert.equal(await opened.bus.read(3, registers.Min_Position_Limit), elbow.rangeMin);
        assert.equal(await opened.bus.read(3, registers.Max_Position_Limit), elbow.rangeMax);
        // Put the limits back so the rest of the file sees a fresh servo.
        for (const id of [1, 2, 3, 4, 5, 6]) {
          await opened.bus.write(id, registers.Min_Position_Limit, 0);
          await opened.bus.write(id, registers.Max_Position_Limit, 4095);
        }
      } finally {
        await opened.dispose();
      }
    } finally {
      await feetech.setHandGuided(false);
    }
    // A still arm is not a calibration: refused, naming the joint that did not move.
    const opened = await openBus({ model: 'so101-feetech', port: feetech.port, armId: 'still', baudRate: 1_000_000 });
    try {
      await assert.rejects(calibrateArm(opened, { home: home.path, seconds: 0.4 }), coded('bad_input', /shoulder_pan \(motor 1\) moved only/));
    } finally {
      await opened.dispose();
    }
    assert.ok(!existsSync(join(home.path, 'arms', 'still.json')));
  });

  it('refuses a calibration file made for another arm', async () => {
    const kochFile = join(home.path, 'koch.json');
    saveCalibration(kochFile, simulatedCalibration(armLayout('koch-dynamixel'), 'koch-1'));
    const result = await runCli(['robot', 'arm', 'read', '--port', feetech.port, '--arm-id', 'left', '--calibration', kochFile, '--json'], { env: home.env });
    assert.equal(result.code, 2, result.stdout);
    assert.match(JSON.parse(result.stdout).error.message, /koch-dynamixel arm \(koch-1\), not this so101-feetech arm \(left\)/);
    const otherArm = join(home.path, 'other.json');
    saveCalibration(otherArm, simulatedCalibration(armLayout('so101-feetech'), 'right'));
    await assert.rejects(openArm({ model: 'so101-feetech', port: feetech.port, armId: 'left', baudRate: 1_000_000 }, { home: home.path, calibrationFile: otherArm }), coded('bad_input', /for arm "right", not "left"/));
  });

  it('a motor that stops answering is named; a garbled stream is survived by retries or named', async () => {
    saveCalibration(calibrationPath(home.path, 'faulty'), simulatedCalibration(armLayout('so101-feetech'), 'faulty'));
    const arm = await openArm({ model: 'so101-feetech', port: feetech.port, armId: 'faulty', baudRate: 1_000_000 }, { home: home.path });
    try {
      await feetech.setFaults({ silentIds: [3] });
      await assert.rejects(arm.readState(), coded('timeout', /motor 3 \(elbow_flex\) did not answer SYNC_READ/));
      await feetech.setFaults({ corruptRate: 0.2, dropRate: 0.1, delayRate: 0.1, delayMs: 5 });
      let good = 0;
      for (let index = 0; index < 40; index += 1) {
        try {
          const state = await arm.readState();
          assert.equal(Object.keys(state.positions).length, 6);
          good += 1;
        } catch (error) {
          assert.ok(isSkillframeError(error) && error.code === 'timeout', String(error));
        }
      }
      assert.ok(good >= 30, `only ${good}/40 reads survived 20% corruption and 10% drops`);
      assert.ok(arm.bus.stats.retries > 0 && arm.bus.stats.garbledFrames > 0, JSON.stringify(arm.bus.stats));
      await feetech.setFaults({ corruptRate: 1 });
      await assert.rejects(arm.readState(), coded('timeout', /garbled frames/));
    } finally {
      await feetech.setFaults({});
      await arm.dispose();
    }
    // A missing motor at open: the arm does not open, and says which.
    const five = await startSimulatedArm({ ids: [1, 2, 3, 4, 5] });
    try {
      saveCalibration(calibrationPath(home.path, 'five'), simulatedCalibration(armLayout('so101-feetech'), 'five'));
      await assert.rejects(openArm({ model: 'so101-feetech', port: five.port, armId: 'five', baudRate: 1_000_000 }, { home: home.path }), coded('not_found', /motor 6 \(gripper\)/));
      const bus = await openBus({ model: 'so101-feetech', port: five.port, baudRate: 1_000_000 });
      await bus.dispose();
    } finally {
      await five.dispose();
    }
  });
});
