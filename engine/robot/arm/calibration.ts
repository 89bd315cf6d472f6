import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { describeZodError, SkillframeError } from '../../../core/index.ts';
import { ArmModel } from '../../../core/schemas/arm.ts';
import type { ArmLayout, JointSpec } from './config.ts';
import { so101Limits } from '../sim/so101.ts';
import { writeFileAtomically } from '../../../native/files.ts';

/**
 * Per-arm calibration: for each joint the raw position that means zero (homing) and the raw
 * range the person swept it through. Stored under SKILLFRAME_HOME/arms/<armId>.json, so two arms
 * of the same model never share numbers.
 */
export const JointCalibration = z.object({
  id: z.number().int().min(0).max(253),
  homing: z.number().int(),
  rangeMin: z.number().int(),
  rangeMax: z.number().int(),
});
export type JointCalibration = z.infer<typeof JointCalibration>;

export const Calibration = z.object({
  version: z.literal(1),
  armId: z.string().min(1),
  model: ArmModel,
  joints: z.record(z.string(), JointCalibration),
  savedAt: z.string(),
});
export type Calibration = z.infer<typeof Calibration>;

export function calibrationPath(home: string, armId: string): string {
  if (!/^[\w.-]{1,120}$/.test(armId)) throw new SkillframeError('bad_input', `arm id ${JSON.stringify(armId)} must be letters, digits, dot, dash or underscore (1..120)`);
  return join(home, 'arms', `${armId}.json`);
}

export function saveCalibration(path: string, calibration: Calibration): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomically(path, `${JSON.stringify(calibration, null, 2)}\n`);
}

/** Reads a calibration file; returns undefined when there is none. */
export function readCalibration(path: string): Calibration | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SkillframeError('unavailable', `calibration file ${path} could not be read: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SkillframeError('bad_input', `calibration file ${path} is not JSON`);
  }
  const parsed = Calibration.safeParse(raw);
  if (!parsed.success) throw new SkillframeError('bad_input', `calibration file ${path}: ${describeZodError(parsed.error, raw, 'calibration')}`);
  return parsed.data;
}

/** Refuses a calibration made for another arm: other model, other id, or other motors. */
export function checkCalibration(calibration: Calibration, layout: ArmLayout, armId: string, path: string): void {
  if (calibration.model !== layout.model) {
    throw new SkillframeError('bad_input', `calibration file ${path} is for a ${calibration.model} arm (${calibration.armId}), not this ${layout.model} arm (${armId})`);
  }
  if (calibration.armId !== armId) {
    throw new SkillframeError('bad_input', `calibration file ${path} is for arm ${JSON.stringify(calibration.armId)}, not ${JSON.stringify(armId)}`);
  }
  for (const joint of layout.joints) {
    const entry = calibration.joints[joint.name];
    if (!entry) throw new SkillframeError('bad_input', `calibration file ${path} has no entry for joint ${joint.name} (motor ${joint.id})`);
    if (entry.id !== joint.id) throw new SkillframeError('bad_input', `calibration file ${path} puts joint ${joint.name} on motor ${entry.id}, but this arm has it on motor ${joint.id}`);
    if (entry.rangeMax - entry.rangeMin < 16 || entry.homing < entry.rangeMin || entry.homing > entry.rangeMax) {
      throw new SkillframeError('bad_input', `calibration file ${path}: joint ${joint.name} (motor ${joint.id}) has homing ${entry.homing} outside its range ${entry.rangeMin}..${entry.rangeMax}`);
    }
  }
}

/**
 * The built-in calibration of a simulated arm: centred; the in-process SO-101 (`sim`) gets the
 * real arm's joint limits (its URDF), a simulated bus of another model nearly full travel.
 */
export function simulatedCalibration(layout: ArmLayout, armId: string): Calibration {
  const joints: Record<string, JointCalibration> = {};
  for (const joint of layout.joints) {
    const half = joint.motor.resolution / 2;
    const limits = layout.model === 'sim' && joint.unit === 'degrees' ? so101Limits[joint.name] : undefined;
    const steps = (value: number) => Math.round(half + (value * joint.motor.resolution) / 360);
    joints[joint.name] = limits ? { id: joint.id, homing: half, rangeMin: steps(limits.min), rangeMax: steps(limits.max) } : { id: joint.id, homing: half, rangeMin: Math.round(half * 0.25), rangeMax: Math.round(half * 1.75) };
  }
  return { version: 1, armId, model: layout.model, joints, savedAt: new Date(0).toISOString() };
}

/** Raw steps ↔ joint units. */
export function toJoint(joint: JointSpec, entry: JointCalibration, raw: number): number {
  if (joint.unit === 'percent') return ((raw - entry.rangeMin) / (entry.rangeMax - entry.rangeMin)) * 100;
  return ((raw - entry.homing) * 360) / joint.motor.resolution;
}

export function toRaw(joint: JointSpec, entry: JointCalibration, value: number): number {
  if (joint.unit === 'percent') return Math.round(entry.rangeMin + (value / 100) * (entry.rangeMax - entry.rangeMin));
  return Math.round(entry.homing + (value * joint.motor.resolution) / 360);
}

/** Joint limits in joint units, from the calibrated range. */
export function limitsOf(joint: JointSpec, entry: JointCalibration): { min: number; max: number } {
  if (joint.unit === 'percent') return { min: 0, max: 100 };
  return { min: toJoint(joint, entry, entry.rangeMin), max: toJoint(joint, entry, entry.rangeMax) };
}

/**
 * LeRobot's calibration file (lerobot/motors MotorCalibration, one entry per joint). Its units
 * differ from ours: LeRobot writes a Homing_Offset so the middle pose reads half a turn
 * (max_res / 2), and keeps ranges in those offset positions. Feetech subtracts the offset from
 * the position (offset = actual − half), Dynamixel adds it (offset = half − actual).
 */
export const LeRobotJointCalibration = z
  .object({
    id: z.number().int().min(0).max(253),
    drive_mode: z.number().int().min(0).max(1),
    homing_offset: z.number().int(),
    range_min: z.number().int(),
    range_max: z.number().int(),
  })
  .strict();
export const LeRobotCalibration = z.record(z.string(), LeRobotJointCalibration);
export type LeRobotCalibration = z.infer<typeof LeRobotCalibration>;

function halfTurn(joint: JointSpec): number {
  return Math.floor((joint.motor.resolution - 1) / 2);
}

export function toLeRobotCalibration(calibration: Calibration, layout: ArmLayout): LeRobotCalibration {
  const out: LeRobotCalibration = {};
  for (const joint of layout.joints) {
    const entry = calibration.joints[joint.name];
    const shift = halfTurn(joint) - entry.homing;
    const offset = layout.protocol.name === 'feetech' ? -shift : shift;
    out[joint.name] = { id: entry.id, drive_mode: 0, homing_offset: offset, range_min: entry.rangeMin + shift, range_max: entry.rangeMax + shift };
  }
  return out;
}

export function fromLeRobotCalibration(raw: unknown, layout: ArmLayout, armId: string, source: string): Calibration {
  const parsed = LeRobotCalibration.safeParse(raw);
  if (!parsed.success) throw new SkillframeError('bad_input', `LeRobot calibration ${source}: ${describeZodError(parsed.error, raw, 'calibration')}`);
  const joints: Record<string, JointCalibration> = {};
  for (const joint of layout.joints) {
    const entry = parsed.data[joint.name];
    if (!entry) throw new SkillframeError('bad_input', `LeRobot calibration ${source} has no entry for joint ${joint.name}; it has ${Object.keys(parsed.data).join(', ') || 'none'}`);
    if (entry.drive_mode !== 0) throw new SkillframeError('bad_input', `LeRobot calibration ${source}: joint ${joint.name} has drive_mode ${entry.drive_mode} (inverted), which this build does not drive`);
    const homing = layout.protocol.name === 'feetech' ? halfTurn(joint) + entry.homing_offset : halfTurn(joint) - entry.homing_offset;
    const shift = halfTurn(joint) - homing;
    joints[joint.name] = { id: entry.id, homing, rangeMin: entry.range_min - shift, rangeMax: entry.range_max - shift };
  }
  const unknown = Object.keys(parsed.data).filter((name) => !layout.joints.some((joint) => joint.name === name));
  if (unknown.length) throw new SkillframeError('bad_input', `LeRobot calibration ${source} names joints this ${layout.model} arm does not have: ${unknown.join(', ')}`);
  const calibration: Calibration = { version: 1, armId, model: layout.model, joints, savedAt: new Date().toISOString() };
  checkCalibration(calibration, layout, armId, source);
  return calibration;
}
