// LeRobot calibration files in and out, in LeRobot's units (offset positions, half turn at the
// middle pose), round-tripping through our raw homing/range calibration for both protocols.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SkillframeError } from '../../core/index.ts';
import { armLayout } from '../../engine/robot/arm/config.ts';
import { fromLeRobotCalibration, readCalibration, simulatedCalibration, toLeRobotCalibration } from '../../engine/robot/arm/calibration.ts';
import { exportCalibration, importCalibration } from '../../engine/robot/arm/service.ts';
import { temporaryHome } from '../support/home.ts';

describe('LeRobot calibration files', () => {
  const home = temporaryHome();
  const context = { home: home.path, signal: new AbortController().signal, progress: () => undefined, state: () => undefined, torque: () => undefined };
  after(() => home.dispose());

  it('reads a LeRobot SO-101 file in its units: the middle pose is half a turn after the offset', () => {
    const layout = armLayout('so101-feetech');
    const file = Object.fromEntries(layout.joints.map((joint) => [joint.name, { id: joint.id, drive_mode: 0, homing_offset: 453, range_min: 800, range_max: 3300 }]));
    const calibration = fromLeRobotCalibration(file, layout, 'arm-a', 'so101.json');
    // Feetech: position = raw − offset, so raw 2047 + 453 is the middle pose (our homing).
    assert.equal(calibration.joints.elbow_flex.homing, 2500);
    assert.equal(calibration.joints.elbow_flex.rangeMin, 1253);
    assert.equal(calibration.joints.elbow_flex.rangeMax, 3753);
    assert.deepEqual(toLeRobotCalibration(calibration, layout), file);
  });

  it('Dynamixel adds its offset: the sign flips, the round trip holds', () => {
    const layout = armLayout('koch-dynamixel');
    const ours = simulatedCalibration(layout, 'koch');
    ours.joints.shoulder_pan.homing += 300;
    const lerobot = toLeRobotCalibration(ours, layout);
    assert.equal(lerobot.shoulder_pan.homing_offset, 2047 - ours.joints.shoulder_pan.homing);
    assert.deepEqual(fromLeRobotCalibration(lerobot, layout, 'koch', 'koch.json').joints, ours.joints);
  });

  it('exports and imports through the arm commands; a foreign or inverted file is a coded error', async () => {
    const out = join(home.path, 'so101_follower', 'sim.json');
    const exported = await exportCalibration({ model: 'sim', out }, context);
    assert.equal(exported.joints, 6);
    const imported = await importCalibration({ from: out, model: 'so101-feetech', armId: 'desk-arm' }, context);
    const stored = readCalibration(imported.path)!;
    assert.deepEqual(stored.joints, simulatedCalibration(armLayout('sim'), 'sim').joints);
    const file = JSON.parse(readFileSync(out, 'utf8'));
    file.wrist_roll.drive_mode = 1;
    writeFileSync(out, JSON.stringify(file));
    await assert.rejects(importCalibration({ from: out, model: 'so101-feetech', armId: 'x' }, context), (error: SkillframeError) => error.code === 'bad_input' && /drive_mode/.test(error.message));
    delete file.gripper;
    file.wrist_roll.drive_mode = 0;
    writeFileSync(out, JSON.stringify(file));
    await assert.rejects(importCalibration({ from: out, model: 'so101-feetech', armId: 'x' }, context), (error: SkillframeError) => error.code === 'bad_input' && /gripper/.test(error.message));
  });
});
