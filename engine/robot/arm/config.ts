import { z } from 'zod';
import { SkillframeError } from '../../../core/index.ts';
import { ArmModel } from '../../../core/schemas/arm.ts';
import { type MotorModel, motorModel } from '../../../native/motors/control-tables.ts';
import { dynamixel } from '../../../native/motors/dynamixel.ts';
import { feetech } from '../../../native/motors/feetech.ts';
import type { Protocol } from '../../../native/motors/frames.ts';

export const ArmConfig = z.discriminatedUnion('model', [
  z.object({ model: ArmModel.exclude(['sim']), port: z.string().min(1), armId: z.string().optional(), baudRate: z.number().int().positive().default(1_000_000) }),
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
  model: ArmModel;
  protocol: Protocol;
  joints: JointSpec[];
}

export const jointNames = ['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper'] as const;

/** Per model: its protocol and the motor of each joint (index into jointNames). */
const motorsByModel: Record<ArmModel, { protocol: Protocol; motor: (joint: number) => MotorModel }> = {
  'so101-feetech': { protocol: feetech, motor: () => motorModel('sts3215') },
  'koch-dynamixel': { protocol: dynamixel, motor: (joint) => motorModel(joint < 2 ? 'xl430_w250' : 'xl330_m288') },
  sim: { protocol: feetech, motor: () => motorModel('sts3215') },
};

/** Joint names and motor ids as LeRobot's so101_follower and koch_follower define them. */
export function armLayout(model: ArmModel): ArmLayout {
  const { protocol, motor } = motorsByModel[model];
  return {
    model,
    protocol,
    joints: jointNames.map((name, index) => ({ name, id: index + 1, motor: motor(index), unit: name === 'gripper' ? 'percent' : 'degrees' })),
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
