import { type Layout, LayoutList, type Point } from '../../../core/commands/robot.ts';
import { parseOrThrow, SkillframeError } from '../../../core/errors.ts';

/**
 * The planar reach task: a point end effector moves from `start` to `goal` among circular
 * obstacles. An action is one displacement per control step, clamped to `maxStep`.
 */
export const task = {
  /** Largest displacement per control step (world units). */
  maxStep: 0.05,
  /**
   * Actions are divided by this before the policy sees them. Half the largest step, so the two
   * detour modes lie farther apart than the unit noise the flow starts from (with 0.05 the
   * modes were only ~1.7σ apart along their separating direction and an under-trained flow
   * blurred them into a straight line through the obstacle).
   */
  actionScale: 0.025,
  /** Success radius around the goal. */
  goalRadius: 0.06,
  /** Control steps before an episode is cut off. */
  maxSteps: 56,
  chunk: 16,
  execute: 8,
} as const;

export const trainingLayout: Layout = { name: 'train', start: [0, 0], goal: [1, 0], obstacles: [{ center: [0.5, 0], radius: 0.15 }], constraint: null };

/** Used only for tuning hyper-parameters; never part of the reported test set. */
export const validationLayout: Layout = {
  name: 'validation',
  start: [0, 0],
  goal: [1, -0.15],
  obstacles: [
    { center: [0.55, 0.12], radius: 0.16 },
    { center: [0.3, -0.3], radius: 0.1 },
  ],
  constraint: null,
};

/** The test set: training layout (no-harm check) and shifted scenes where the frozen policy fails. */
export const builtinLayouts: Layout[] = [
  trainingLayout,
  { name: 'shift_0.1', start: [0, 0], goal: [1, 0], obstacles: [{ center: [0.5, 0.1], radius: 0.15 }], constraint: null },
  { name: 'shift_0.2', start: [0, 0], goal: [1, 0], obstacles: [{ center: [0.5, 0.2], radius: 0.15 }], constraint: null },
  { name: 'shift_0.3', start: [0, 0], goal: [1, 0], obstacles: [{ center: [0.5, 0.3], radius: 0.15 }], constraint: null },
  {
    name: 'two_obstacles',
    start: [0, 0],
    goal: [1, 0],
    obstacles: [
      { center: [0.5, 0.1], radius: 0.15 },
      { center: [0.5, -0.25], radius: 0.1 },
    ],
    constraint: null,
  },
  { name: 'goal_shift', start: [0, 0], goal: [1, 0.3], obstacles: [{ center: [0.5, 0], radius: 0.15 }], constraint: null },
  { name: 'pass_left', start: [0, 0], goal: [1, 0], obstacles: [{ center: [0.5, 0], radius: 0.15 }], constraint: 'pass_left' },
];

/** Parses a layouts file's JSON; every bad field is named (NaN, negative radius, unknown constraint). */
export function parseLayouts(text: string, what = 'layouts'): Layout[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SkillframeError('bad_input', `${what}: not valid JSON (${(error as Error).message})`);
  }
  const layouts = parseOrThrow(LayoutList, raw, what);
  const names = new Set<string>();
  for (const layout of layouts) {
    if (names.has(layout.name)) throw new SkillframeError('bad_input', `${what}: duplicate layout name ${JSON.stringify(layout.name)}`);
    names.add(layout.name);
  }
  return layouts;
}

export function findLayout(name: string, layouts: readonly Layout[] = [...builtinLayouts, validationLayout]): Layout {
  const found = layouts.find((layout) => layout.name === name);
  if (!found) throw new SkillframeError('not_found', `input.layout: no layout named ${JSON.stringify(name)} (known: ${layouts.map((layout) => layout.name).join(', ')})`);
  return found;
}

/** Distance from point c to the segment a→b. */
export function segmentDistance(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const length = dx * dx + dy * dy;
  const t = length > 0 ? Math.max(0, Math.min(1, ((cx - ax) * dx + (cy - ay) * dy) / length)) : 0;
  const px = ax + t * dx - cx;
  const py = ay + t * dy - cy;
  return Math.sqrt(px * px + py * py);
}

export interface EpisodeState {
  layout: Layout;
  position: Point;
  path: Point[];
  steps: number;
  collided: boolean;
  reached: boolean;
  /** Signed lateral offset (left positive) where the path crossed the first obstacle, once it has. */
  sideOffset: number | undefined;
}

export function startEpisode(layout: Layout): EpisodeState {
  return { layout, position: [layout.start[0], layout.start[1]], path: [[layout.start[0], layout.start[1]]], steps: 0, collided: false, reached: false, sideOffset: undefined };
}

/** Applies one action (world units, clamped); checks collisions along the swept segment. */
export function stepEpisode(state: EpisodeState, dx: number, dy: number): void {
  const norm = Math.hypot(dx, dy);
  if (!Number.isFinite(norm)) throw new SkillframeError('internal', `action is not finite (${dx}, ${dy})`);
  const factor = norm > task.maxStep ? task.maxStep / norm : 1;
  const [ax, ay] = state.position;
  const bx = ax + dx * factor;
  const by = ay + dy * factor;
  for (const obstacle of state.layout.obstacles) {
    if (segmentDistance(ax, ay, bx, by, obstacle.center[0], obstacle.center[1]) < obstacle.radius) state.collided = true;
  }
  const first = state.layout.obstacles[0];
  if (first && state.sideOffset === undefined) {
    const [ux, uy] = travelDirection(state.layout);
    const before = (ax - first.center[0]) * ux + (ay - first.center[1]) * uy;
    const after = (bx - first.center[0]) * ux + (by - first.center[1]) * uy;
    if (before < 0 && after >= 0) {
      const t = before === after ? 0 : -before / (after - before);
      const px = ax + t * (bx - ax) - first.center[0];
      const py = ay + t * (by - ay) - first.center[1];
      state.sideOffset = -uy * px + ux * py;
    }
  }
  state.position = [bx, by];
  state.path.push([bx, by]);
  state.steps += 1;
  if (Math.hypot(bx - state.layout.goal[0], by - state.layout.goal[1]) < task.goalRadius) state.reached = true;
}

export function travelDirection(layout: Layout): Point {
  const dx = layout.goal[0] - layout.start[0];
  const dy = layout.goal[1] - layout.start[1];
  const norm = Math.hypot(dx, dy) || 1;
  return [dx / norm, dy / norm];
}

export function episodeOver(state: EpisodeState): boolean {
  return state.collided || state.steps >= task.maxSteps || (state.reached && constraintHolds(state));
}

function constraintHolds(state: EpisodeState): boolean {
  const constraint = state.layout.constraint;
  if (!constraint) return true;
  if (state.sideOffset === undefined) return false;
  return constraint === 'pass_left' ? state.sideOffset > 0 : state.sideOffset < 0;
}

export function episodeSucceeded(state: EpisodeState): boolean {
  return state.reached && !state.collided && constraintHolds(state);
}

/** Mean squared third difference of the path: a smoothness figure (lower is smoother). */
export function pathJerk(path: readonly Point[]): number {
  if (path.length < 4) return 0;
  let total = 0;
  for (let index = 3; index < path.length; index += 1) {
    for (let axis = 0; axis < 2; axis += 1) {
      const value = path[index][axis] - 3 * path[index - 1][axis] + 3 * path[index - 2][axis] - path[index - 3][axis];
      total += value * value;
    }
  }
  return total / (path.length - 3);
}

/** A small seeded random source (mulberry32) so episodes repeat exactly for a seed. */
export class Random {
  private state: number;
  private spare: number | undefined;
  constructor(seed: number) {
    this.state = (seed >>> 0) ^ 0x9e3779b9;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let value = this.state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }
  fillNormal(into: Float32Array): Float32Array {
    for (let index = 0; index < into.length; index += 1) into[index] = this.normal();
    return into;
  }
}
