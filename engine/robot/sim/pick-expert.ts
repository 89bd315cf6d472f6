import type { TabletopScene } from '../../../core/schemas/tabletop.ts';
import { forwardKinematics, so101Limits } from './so101.ts';

/**
 * The scripted pick-and-place expert for the tabletop: numerical inverse kinematics (damped least
 * squares on pan, lift, elbow and wrist flex, the jaws pointing down) to waypoints above the cube,
 * at the cube, above the bin; joint-space interpolation between them at a bounded joint speed.
 * It sees the true scene (it is the teacher, not the policy).
 */
type Joints = Record<string, number>;
const solved = ['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex'] as const;

/** Joints that put the point between the jaws at `target`, jaws pointing down; starts from `seed`. */
export function inverseKinematics(target: [number, number, number], seed: Joints, iterations = 60): { joints: Joints; error: number } {
  const joints: Joints = { ...seed };
  const residual = (values: Joints): number[] => {
    const pose = forwardKinematics(values);
    return [pose.gripper[0] - target[0], pose.gripper[1] - target[1], pose.gripper[2] - target[2], 0.05 * (pose.approach[2] + 1)];
  };
  let current = residual(joints);
  const step = 0.01;
  for (let iteration = 0; iteration < iterations; iteration += 1) {
    // Jacobian in degrees (finite differences), then (JᵀJ + λI) Δ = −Jᵀ r.
    const jacobian = solved.map((name) => {
      const saved = joints[name];
      joints[name] = saved + step;
      const moved = residual(joints);
      joints[name] = saved;
      return moved.map((value, row) => (value - current[row]) / step);
    });
    const size = solved.length;
    const normal = Array.from({ length: size }, (_, a) => Array.from({ length: size }, (_, b) => jacobian[a].reduce((sum, value, row) => sum + value * jacobian[b][row], 0) + (a === b ? 1e-6 : 0)));
    const right = Array.from({ length: size }, (_, a) => -jacobian[a].reduce((sum, value, row) => sum + value * current[row], 0));
    const delta = solve(normal, right);
    solved.forEach((name, index) => {
      const limits = so101Limits[name];
      joints[name] = Math.min(limits.max - 1, Math.max(limits.min + 1, joints[name] + Math.max(-20, Math.min(20, delta[index]))));
    });
    current = residual(joints);
    if (Math.hypot(current[0], current[1], current[2]) < 1e-4) break;
  }
  return { joints, error: Math.hypot(current[0], current[1], current[2]) };
}

function solve(matrix: number[][], vector: number[]): number[] {
  const size = vector.length;
  const a = matrix.map((row, index) => [...row, vector[index]]);
  for (let column = 0; column < size; column += 1) {
    let pivot = column;
    for (let row = column + 1; row < size; row += 1) if (Math.abs(a[row][column]) > Math.abs(a[pivot][column])) pivot = row;
    [a[column], a[pivot]] = [a[pivot], a[column]];
    const value = a[column][column] || 1e-12;
    for (let row = 0; row < size; row += 1) {
      if (row === column) continue;
      const factor = a[row][column] / value;
      for (let k = column; k <= size; k += 1) a[row][k] -= factor * a[column][k];
    }
  }
  return a.map((row, index) => row[size] / (row[index] || 1e-12));
}

export const homePose: Joints = { shoulder_pan: 0, shoulder_lift: -30, elbow_flex: 40, wrist_flex: 60, wrist_roll: 0, gripper: 100 };

/**
 * The expert's joint targets, one per control tick at `hz`, for picking the cube into the bin.
 * `jitter` (0..1) varies the approach heights and speed a little between demonstrations.
 */
export function pickAndPlace(scene: TabletopScene, options: { hz?: number; speed?: number; random?: () => number; start?: Joints } = {}): Joints[] {
  const hz = options.hz ?? 30;
  const random = options.random ?? (() => 0.5);
  const speed = (options.speed ?? 90) * (0.85 + 0.3 * random());
  const [cx, cy] = scene.cube.position;
  const [bx, by] = scene.bin.position;
  const above = 0.07 + 0.03 * random();
  // The jaws close a little above the cube's centre (still well inside its reach): a policy that
  // imitates the descent with a centimetre of error then stops short of the table, not in it.
  const grip = scene.cube.size * 0.75;
  let seed = { ...(options.start ?? homePose) };
  const at = (x: number, y: number, z: number, gripper: number): Joints => {
    const { joints } = inverseKinematics([x, y, z], seed);
    seed = joints;
    return { ...joints, wrist_roll: 0, gripper };
  };
  const waypoints: { pose: Joints; hold: number }[] = [
    { pose: at(cx, cy, above, 100), hold: 0 },
    { pose: at(cx, cy, grip, 100), hold: 0.1 },
    { pose: at(cx, cy, grip, 0), hold: 0.2 },
    { pose: at(cx, cy, above + 0.03, 0), hold: 0 },
    { pose: at(bx, by, above + 0.03, 0), hold: 0.1 },
    { pose: at(bx, by, above + 0.03, 100), hold: 0.3 },
  ];
  const targets: Joints[] = [];
  let current = { ...(options.start ?? homePose) };
  for (const { pose, hold } of waypoints) {
    const span = Math.max(...Object.keys(pose).map((name) => Math.abs(pose[name] - current[name]) / (name === 'gripper' ? 3 : 1)));
    const ticks = Math.max(1, Math.ceil((span / speed) * hz));
    for (let tick = 1; tick <= ticks; tick += 1) {
      const fraction = 0.5 - 0.5 * Math.cos((Math.PI * tick) / ticks);
      targets.push(Object.fromEntries(Object.keys(pose).map((name) => [name, current[name] + (pose[name] - current[name]) * fraction])));
    }
    for (let tick = 0; tick < Math.round(hold * hz); tick += 1) targets.push({ ...pose });
    current = pose;
  }
  return targets;
}
