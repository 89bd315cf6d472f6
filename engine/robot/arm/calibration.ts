import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { describeZodError, SkillframeError } from '../../../core/index.ts';
import { ArmModel } from '../../../core/schemas/arm.ts';
import type { ArmLayout, JointSpec } from './config.ts';

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
  writeFileSync(`${path}.tmp`, `${JSON.stringify(calibration, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
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

/** The built-in calibration of the simulated arm: centred, nearly full travel. */
export function simulatedCalibration(layout: ArmLayout, armId: string): Calibration {
  const joints: Record<string, JointCalibration> = {};
  for (const joint of layout.joints) {
    const half = joint.motor.resolution / 2;
    joints[joint.name] = { id: joint.id, homing: half, rangeMin: Math.round(half * 0.25), rangeMax: Math.round(half * 1.75) };
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
