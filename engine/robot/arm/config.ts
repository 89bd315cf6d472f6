import { z } from 'zod';
import { SkillframeError } from '../../../core/index.ts';
import { type MotorModel, motorModel } from '../../../native/motors/control-tables.ts';
import { dynamixel } from '../../../native/motors/dynamixel.ts';
import { feetech } from '../../../native/motors/feetech.ts';
import type { Protocol } from '../../../native/motors/frames.ts';

/** The arm kinds this build drives. `sim` is an in-process SO-101 with no port at all. */
export const armModels = ['so101-feetech', 'koch-dynamixel', 'sim'] as const;
export const ArmModelName = z.enum(armModels);
export type ArmModelName = z.infer<typeof ArmModelName>;

export const ArmConfig = z.discriminatedUnion('model', [
  z.object({ model: z.literal('so101-feetech'), port: z.string().min(1), armId: z.string().optional(), baudRate: z.number().int().positive().default(1_000_000) }),
  z.object({ model: z.literal('koch-dynamixel'), port: z.string().min(1), armId: z.string().optional(), baudRate: z.number().int().positive().default(1_000_000) }),
  z.object({
    model: z.literal('sim'),
    port: z.string().optional(),
    armId: z.string().optional(),
    seed: z.number().int().default(1),
    /** A limp simulated joint follows an imaginary hand (a leader arm, a calibration sweep). */
    handGuided: z.boolean().default(false),
  }),
]);
export type ArmConfig = z.infer<typeof ArmConfig>;

export interface JointSpec {
  name: string;
  id: number;
  motor: MotorModel;
  /** Body joints are in degrees about the calibrated zero; the gripper in percent open. */
  unit: 'degrees' | 'percent';
}

export interface ArmLayout {
  model: ArmModelName;
  protocol: Protocol;
  joints: JointSpec[];
}

export const jointNames = ['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper'] as const;

/** Joint names and motor ids as LeRobot's so101_follower and koch_follower define them. */
export function armLayout(model: ArmModelName): ArmLayout {
  if (model === 'koch-dynamixel') {
    return {
      model,
      protocol: dynamixel,
      joints: jointNames.map((name, index) => ({
        name,
        id: index + 1,
        motor: motorModel(index < 2 ? 'xl430_w250' : 'xl330_m288'),
        unit: name === 'gripper' ? 'percent' : 'degrees',
      })),
    };
  }
  return {
    model,
    protocol: feetech,
    joints: jointNames.map((name, index) => ({ name, id: index + 1, motor: motorModel('sts3215'), unit: name === 'gripper' ? 'percent' : 'degrees' })),
  };
}

export function jointById(layout: ArmLayout, id: number): JointSpec | undefined {
  return layout.joints.find((joint) => joint.id === id);
}

export function jointByName(layout: ArmLayout, name: string): JointSpec {
  const joint = layout.joints.find((candidate) => candidate.name === name);
  if (!joint) throw new SkillframeError('bad_input', `joint ${JSON.stringify(name)} is not on a ${layout.model} arm; joints: ${layout.joints.map((j) => j.name).join(', ')}`);
  return joint;
}

export function protocolFor(model: ArmModelName): Protocol {
  return model === 'koch-dynamixel' ? dynamixel : feetech;
}
