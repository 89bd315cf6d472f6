import { z } from 'zod';

/**
 * The arm models this build drives — the one list. Everything that differs per model is a
 * `Record<ArmModel, …>` keyed by it, so a new model that one table misses fails to compile
 * instead of failing silently at run time.
 */
export const armModels = ['so101-feetech', 'koch-dynamixel', 'sim'] as const;
export const ArmModel = z.enum(armModels);
export type ArmModel = z.infer<typeof ArmModel>;

export interface ArmModelInfo {
  /** Words for a person (CLI help, UI). */
  label: string;
  /** LeRobot's robot type for this arm (info.json robot_type, calibration folder). */
  lerobotType: string;
  /** The servo protocol on its bus. */
  protocol: 'feetech' | 'dynamixel';
}

export const armModelInfo: Record<ArmModel, ArmModelInfo> = {
  'so101-feetech': { label: 'SO-101 (Feetech)', lerobotType: 'so101_follower', protocol: 'feetech' },
  'koch-dynamixel': { label: 'Koch (Dynamixel)', lerobotType: 'koch_follower', protocol: 'dynamixel' },
  // The simulated arm is an SO-101 with an in-process bus.
  sim: { label: 'Simulated SO-101 (no port)', lerobotType: 'so101_follower', protocol: 'feetech' },
};
