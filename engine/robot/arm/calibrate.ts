import { SkillframeError } from '../../../core/index.ts';
import { sleep } from '../../../core/index.ts';
import { type Calibration, type JointCalibration, calibrationPath, saveCalibration } from './calibration.ts';
import type { OpenedBus } from './open.ts';

/**
 * Interactive calibration, LeRobot style but without prompts: torque goes off, the pose at the
 * start is each joint's zero (hold the arm in its middle pose), then the person sweeps every
 * joint through its full travel for `seconds`; the extremes seen become the range.
 */
export async function calibrateArm(
  opened: OpenedBus,
  options: { home: string; seconds: number; signal?: AbortSignal; file?: string; minimumRange?: number; onProgress?: (fraction: number, message: string) => void },
): Promise<{ calibration: Calibration; path: string }> {
  const { bus, layout } = opened;
  const ids = layout.joints.map((joint) => joint.id);
  const registers = layout.joints[0].motor.registers;
  const released = await bus.urgentWrite(ids, registers.Torque_Enable, 0, 'calibration');
  if (released.failed.length) throw new SkillframeError('not_found', `no answer from motor(s) ${released.failed.join(', ')} when switching torque off for calibration`, { motors: released.failed });
  const start = await bus.syncRead(ids, registers.Present_Position);
  const low = new Map(start);
  const high = new Map(start);
  const began = performance.now();
  let samples = 0;
  let misses = 0;
  while (performance.now() - began < options.seconds * 1000) {
    await sleep(20, options.signal);
    let now: Map<number, number>;
    try {
      now = await bus.syncRead(ids, registers.Present_Position);
      misses = 0;
    } catch (error) {
      // A late reply costs one sample, not the whole sweep; a bus that stays silent ends it.
      if (!(error instanceof SkillframeError && error.code === 'timeout') || ++misses > 5) throw error;
      continue;
    }
    for (const [id, value] of now) {
      low.set(id, Math.min(low.get(id)!, value));
      high.set(id, Math.max(high.get(id)!, value));
    }
    samples += 1;
    if (samples % 10 === 0) options.onProgress?.(Math.min(1, (performance.now() - began) / (options.seconds * 1000)), `sweep every joint through its full travel (${samples} samples)`);
  }
  const minimum = options.minimumRange ?? 200;
  const joints: Record<string, JointCalibration> = {};
  for (const joint of layout.joints) {
    const rangeMin = low.get(joint.id)!;
    const rangeMax = high.get(joint.id)!;
    if (rangeMax - rangeMin < minimum) {
      throw new SkillframeError('bad_input', `joint ${joint.name} (motor ${joint.id}) moved only ${rangeMax - rangeMin} steps (${rangeMin}..${rangeMax}) during calibration; sweep it through its full travel (at least ${minimum} steps)`, {
        joint: joint.name,
        motor: joint.id,
        range: [rangeMin, rangeMax],
      });
    }
    joints[joint.name] = { id: joint.id, homing: start.get(joint.id)!, rangeMin, rangeMax };
  }
  // Defence in depth: the servos themselves refuse goals outside the swept range, so even a
  // host bug cannot drive a joint past where the person took it. Torque is off, as EEPROM needs.
  for (const joint of layout.joints) {
    const entry = joints[joint.name];
    const lock = joint.motor.eepromLock;
    if (lock) await bus.write(joint.id, lock, 0, 'Lock');
    await bus.write(joint.id, joint.motor.registers.Min_Position_Limit, entry.rangeMin, 'Min_Position_Limit');
    await bus.write(joint.id, joint.motor.registers.Max_Position_Limit, entry.rangeMax, 'Max_Position_Limit');
    if (lock) await bus.write(joint.id, lock, 1, 'Lock');
  }
  const calibration: Calibration = { version: 1, armId: opened.armId, model: layout.model, joints, savedAt: new Date().toISOString() };
  const path = options.file ?? calibrationPath(options.home, opened.armId);
  saveCalibration(path, calibration);
  return { calibration, path };
}
