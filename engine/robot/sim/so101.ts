import { jointNames } from '../arm/config.ts';

/**
 * SO-101 kinematics from its published geometry: the joint origins and limits of
 * TheRobotStudio's so101_new_calib.urdf (SO-ARM100/Simulation/SO101). Joint angles are ours in
 * degrees (0 = the calibrated middle pose, as in that URDF); the gripper is percent open, mapped
 * onto the jaw's range. Frames: metres, z up, the base on the table at the origin.
 */

type Vector3 = [number, number, number];
interface UrdfJoint {
  name: (typeof jointNames)[number];
  xyz: Vector3;
  rpy: Vector3;
  /** Limits in degrees (URDF radians × 180/π). */
  lower: number;
  upper: number;
}

const degrees = (radians: number) => (radians * 180) / Math.PI;

export const so101Joints: UrdfJoint[] = [
  { name: 'shoulder_pan', xyz: [0.0207909, -0.0230745, 0.0948817], rpy: [-3.14159, 0, 1.5708], lower: degrees(-1.91986), upper: degrees(1.91986) },
  { name: 'shoulder_lift', xyz: [-0.0303992, -0.0182778, -0.0542], rpy: [-1.5708, -1.5708, 0], lower: degrees(-1.74533), upper: degrees(1.74533) },
  { name: 'elbow_flex', xyz: [-0.11257, -0.028, 0], rpy: [0, 0, 1.5708], lower: degrees(-1.69), upper: degrees(1.69) },
  { name: 'wrist_flex', xyz: [-0.1349, 0.0052, 0], rpy: [0, 0, -1.5708], lower: degrees(-1.65806), upper: degrees(1.65806) },
  { name: 'wrist_roll', xyz: [0, -0.0611, 0.0181], rpy: [1.5708, 0, 3.14159], lower: degrees(-2.79253), upper: degrees(2.79253) },
];
/** The fixed frame between the jaws (URDF gripperframe), relative to the wrist_roll frame. */
const gripperFrame = { xyz: [-0.0079, -0.000218121, -0.0981274] as Vector3, rpy: [1.5708, 0, 1.5708] as Vector3 };
/** The moving jaw's range in degrees (URDF joint "gripper"). */
export const jawRange = { lower: degrees(-0.174533), upper: degrees(1.74533) };

/** Limits of every joint in our units: degrees for the body, percent for the gripper. */
export const so101Limits: Record<string, { min: number; max: number }> = {
  ...Object.fromEntries(so101Joints.map((joint) => [joint.name, { min: joint.lower, max: joint.upper }])),
  gripper: { min: 0, max: 100 },
};

type Matrix = Float64Array;

function multiply(a: Matrix, b: Matrix): Matrix {
  const out = new Float64Array(16);
  for (let row = 0; row < 4; row += 1) {
    for (let column = 0; column < 4; column += 1) {
      let sum = 0;
      for (let k = 0; k < 4; k += 1) sum += a[row * 4 + k] * b[k * 4 + column];
      out[row * 4 + column] = sum;
    }
  }
  return out;
}

/** Trans(xyz) · Rz(yaw) · Ry(pitch) · Rx(roll) · Rz(angle), the URDF joint transform. */
function jointTransform(xyz: Vector3, rpy: Vector3, angle: number): Matrix {
  const [roll, pitch, yaw] = rpy;
  const [cr, sr, cp, sp, cy, sy] = [Math.cos(roll), Math.sin(roll), Math.cos(pitch), Math.sin(pitch), Math.cos(yaw), Math.sin(yaw)];
  const r = [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr, sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr, -sp, cp * sr, cp * cr];
  const [ca, sa] = [Math.cos(angle), Math.sin(angle)];
  // Post-multiply by Rz(angle): columns 0 and 1 mix.
  const m = new Float64Array(16);
  for (let row = 0; row < 3; row += 1) {
    const c0 = r[row * 3];
    const c1 = r[row * 3 + 1];
    m[row * 4] = c0 * ca + c1 * sa;
    m[row * 4 + 1] = -c0 * sa + c1 * ca;
    m[row * 4 + 2] = r[row * 3 + 2];
    m[row * 4 + 3] = xyz[row];
  }
  m[15] = 1;
  return m;
}

export interface ArmPose {
  /** Origin of every joint frame, base first, then the point between the jaws. */
  points: Vector3[];
  /** The point between the jaws (URDF gripperframe). */
  gripper: Vector3;
  /** Direction the jaws point (unit vector). */
  approach: Vector3;
}

/** Forward kinematics: joint values (degrees; gripper percent ignored here) → link points. */
export function forwardKinematics(joints: Readonly<Record<string, number>>): ArmPose {
  let frame: Matrix = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  const points: Vector3[] = [[0, 0, 0]];
  for (const joint of so101Joints) {
    frame = multiply(frame, jointTransform(joint.xyz, joint.rpy, ((joints[joint.name] ?? 0) * Math.PI) / 180));
    points.push([frame[3], frame[7], frame[11]]);
  }
  const tip = multiply(frame, jointTransform(gripperFrame.xyz, gripperFrame.rpy, 0));
  const gripper: Vector3 = [tip[3], tip[7], tip[11]];
  points.push(gripper);
  const wrist = points[points.length - 2];
  const length = Math.hypot(gripper[0] - wrist[0], gripper[1] - wrist[1], gripper[2] - wrist[2]) || 1;
  return { points, gripper, approach: [(gripper[0] - wrist[0]) / length, (gripper[1] - wrist[1]) / length, (gripper[2] - wrist[2]) / length] };
}

/** Each joint's fixed origin (translation + rpy rotation) as a 3 × 4 affine, computed once. */
const origins = [...so101Joints.map((joint) => jointTransform(joint.xyz, joint.rpy, 0)), jointTransform(gripperFrame.xyz, gripperFrame.rpy, 0)];
const scratch = { frame: new Float64Array(12), next: new Float64Array(12) };

/**
 * Only the point between the jaws, without allocating: the steering reward calls this thousands
 * of times per chunk (forward kinematics inside a finite-difference Jacobian).
 */
export function gripperPoint(joints: Readonly<Record<string, number>>, into: [number, number, number] = [0, 0, 0]): [number, number, number] {
  let frame = scratch.frame;
  let next = scratch.next;
  frame.fill(0);
  frame[0] = frame[5] = frame[10] = 1;
  for (let index = 0; index <= so101Joints.length; index += 1) {
    const origin = origins[index];
    const angle = index < so101Joints.length ? ((joints[so101Joints[index].name] ?? 0) * Math.PI) / 180 : 0;
    const ca = Math.cos(angle);
    const sa = Math.sin(angle);
    for (let row = 0; row < 3; row += 1) {
      const f0 = frame[row * 4];
      const f1 = frame[row * 4 + 1];
      const f2 = frame[row * 4 + 2];
      // (frame · origin) then · Rz(angle): origin's rotation columns mixed by the joint angle.
      const c0 = f0 * origin[0] + f1 * origin[4] + f2 * origin[8];
      const c1 = f0 * origin[1] + f1 * origin[5] + f2 * origin[9];
      next[row * 4] = c0 * ca + c1 * sa;
      next[row * 4 + 1] = -c0 * sa + c1 * ca;
      next[row * 4 + 2] = f0 * origin[2] + f1 * origin[6] + f2 * origin[10];
      next[row * 4 + 3] = f0 * origin[3] + f1 * origin[7] + f2 * origin[11] + frame[row * 4 + 3];
    }
    [frame, next] = [next, frame];
  }
  into[0] = frame[3];
  into[1] = frame[7];
  into[2] = frame[11];
  return into;
}

