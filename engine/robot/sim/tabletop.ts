import type { TabletopScene } from '../../../core/schemas/tabletop.ts';
import { type ArmPose, forwardKinematics, so101Limits } from './so101.ts';

/**
 * The tabletop world around a simulated SO-101: it follows the arm's measured joints (read
 * through the same bus and safety path as a real arm), grasps the cube when the jaws close
 * around it, drops it where they open, and notes collisions with obstacles and the table.
 */
export type Vector3 = [number, number, number];

/** The gripper counts as closed below this opening (percent). */
export const closedBelow = 30;
/** How near (metres) the point between the jaws must be to the cube's centre to grasp it. */
const graspReach = 0.03;
/** Link thickness used for collisions (metres). */
const linkRadius = 0.018;

export interface WorldState {
  cube: Vector3;
  grasped: boolean;
  /** The cube rests inside the bin. */
  inBin: boolean;
  collided: boolean;
  collisions: number;
  pose: ArmPose;
  gripperOpen: number;
}

export class TabletopWorld {
  readonly scene: TabletopScene;
  state: WorldState;
  private wasClosed = false;

  constructor(scene: TabletopScene, joints: Readonly<Record<string, number>>) {
    this.scene = scene;
    const half = scene.cube.size / 2;
    this.state = { cube: [scene.cube.position[0], scene.cube.position[1], half], grasped: false, inBin: false, collided: false, collisions: 0, pose: forwardKinematics(joints), gripperOpen: joints.gripper ?? 100 };
    this.wasClosed = (joints.gripper ?? 100) < closedBelow;
  }

  /** Advances the world to where the arm now is. */
  step(joints: Readonly<Record<string, number>>): WorldState {
    const state = this.state;
    const pose = forwardKinematics(joints);
    const open = joints.gripper ?? 100;
    const closed = open < closedBelow;
    const half = this.scene.cube.size / 2;
    if (closed && !this.wasClosed && !state.grasped && distance(pose.gripper, state.cube) < graspReach) state.grasped = true;
    if (!closed && state.grasped) {
      state.grasped = false;
      const [x, y] = [pose.gripper[0], pose.gripper[1]];
      const bin = this.scene.bin;
      state.inBin = Math.abs(x - bin.position[0]) < bin.size / 2 && Math.abs(y - bin.position[1]) < bin.size / 2;
      state.cube = [x, y, half];
    }
    if (state.grasped) state.cube = [pose.gripper[0], pose.gripper[1], Math.max(half, pose.gripper[2])];
    this.wasClosed = closed;
    const hit = this.collides(pose);
    if (hit) state.collisions += 1;
    state.collided ||= hit;
    state.pose = pose;
    state.gripperOpen = open;
    return state;
  }

  /** A link (shoulder onwards) through an obstacle or below the table top. */
  collides(pose: ArmPose): boolean {
    const points = pose.points;
    for (let index = 2; index < points.length; index += 1) {
      const a = points[index - 1];
      const b = points[index];
      for (let sample = 0; sample <= 4; sample += 1) {
        const t = sample / 4;
        const x = a[0] + (b[0] - a[0]) * t;
        const y = a[1] + (b[1] - a[1]) * t;
        const z = a[2] + (b[2] - a[2]) * t;
        if (z < 0.005 && index >= 3) return true;
        for (const obstacle of this.scene.obstacles) {
          if (z - linkRadius < obstacle.height && Math.hypot(x - obstacle.position[0], y - obstacle.position[1]) < obstacle.radius + linkRadius) return true;
        }
      }
    }
    return false;
  }
}

/**
 * The kinematic arm of demonstrations and the benchmark: each joint moves toward its target by
 * at most the arm's per-command step limit (10°, gripper 15 %), inside the SO-101's limits —
 * what the safety path would send, without a bus (thousands of episodes need it fast).
 */
export function followTarget(state: Record<string, number>, target: Readonly<Record<string, number>>): void {
  for (const [name, value] of Object.entries(target)) {
    if (!(name in so101Limits)) continue;
    const step = name === 'gripper' ? 15 : 10;
    const { min, max } = so101Limits[name];
    const goal = Math.min(max, Math.max(min, value));
    state[name] += Math.max(-step, Math.min(step, goal - state[name]));
  }
}

function distance(a: Vector3, b: Vector3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}
