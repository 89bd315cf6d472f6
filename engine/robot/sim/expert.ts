import type { Layout, Point } from '../../../core/commands/robot.ts';
import { Random, task, travelDirection } from './reach.ts';

/**
 * The scripted expert: detours around the first obstacle on the left or the right (both modes,
 * chosen 50/50), following a cubic Bézier through a via point beside the obstacle. It tracks
 * a carrot on that curve, so the labels it gives are corrective even where it was pushed off.
 */
export interface Demonstration {
  /** Positions the expert visited, one per control step (observation of that step). */
  positions: Point[];
  /** The expert's action (world units) at each visited position. */
  actions: Point[];
  side: 'left' | 'right';
}

export interface ExpertOptions {
  speed?: number;
  /** Standard deviation of the start jitter (world units). */
  startJitter?: number;
  /** Standard deviation of the noise added to executed actions (not to the labels). */
  actionNoise?: number;
}

export function demonstrate(layout: Layout, random: Random, options: ExpertOptions = {}): Demonstration {
  const speed = options.speed ?? 0.04;
  const side = random.next() < 0.5 ? 'left' : 'right';
  const obstacle = layout.obstacles[0];
  const [ux, uy] = travelDirection(layout);
  const sign = side === 'left' ? 1 : -1;
  const clearance = 0.05 + 0.02 * random.next();
  const via: Point = obstacle
    ? [obstacle.center[0] - uy * sign * (obstacle.radius + clearance), obstacle.center[1] + ux * sign * (obstacle.radius + clearance)]
    : [(layout.start[0] + layout.goal[0]) / 2, (layout.start[1] + layout.goal[1]) / 2];
  // A flat-topped cubic Bézier: it leaves the start sideways, so the mode is committed within the
  // first chunk, and peaks (0.75 × the control offset) at the via point beside the obstacle.
  const middle: Point = [(layout.start[0] + layout.goal[0]) / 2, (layout.start[1] + layout.goal[1]) / 2];
  const offset: Point = [(via[0] - middle[0]) / 0.75, (via[1] - middle[1]) / 0.75];
  const lead = 0.05;
  const first: Point = [layout.start[0] + lead * ux + offset[0], layout.start[1] + lead * uy + offset[1]];
  const second: Point = [layout.goal[0] - lead * ux + offset[0], layout.goal[1] - lead * uy + offset[1]];
  const curve = sampleCurve(layout.start, first, second, layout.goal, 400);

  const jitter = options.startJitter ?? 0.03;
  let position: Point = [layout.start[0] + jitter * random.normal(), layout.start[1] + jitter * random.normal()];
  const positions: Point[] = [];
  const actions: Point[] = [];
  let cursor = 0;
  for (let step = 0; step < task.maxSteps; step += 1) {
    // Nearest curve point at or after the cursor keeps the expert moving forward.
    let best = cursor;
    let bestDistance = Infinity;
    for (let index = cursor; index < Math.min(curve.points.length, cursor + 80); index += 1) {
      const distance = Math.hypot(curve.points[index][0] - position[0], curve.points[index][1] - position[1]);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = index;
      }
    }
    cursor = best;
    const carrot = curve.at(curve.lengths[best] + speed);
    let dx = carrot[0] - position[0];
    let dy = carrot[1] - position[1];
    const norm = Math.hypot(dx, dy);
    if (norm > task.maxStep) {
      dx *= task.maxStep / norm;
      dy *= task.maxStep / norm;
    }
    positions.push(position);
    actions.push([dx, dy]);
    const noise = options.actionNoise ?? 0.004;
    position = [position[0] + dx + noise * random.normal(), position[1] + dy + noise * random.normal()];
    if (Math.hypot(position[0] - layout.goal[0], position[1] - layout.goal[1]) < 0.01) break;
  }
  return { positions, actions, side };
}

function sampleCurve(start: Point, first: Point, second: Point, end: Point, count: number) {
  const points: Point[] = [];
  const lengths: number[] = [];
  let total = 0;
  for (let index = 0; index <= count; index += 1) {
    const u = index / count;
    const a = (1 - u) ** 3;
    const b = 3 * u * (1 - u) ** 2;
    const c = 3 * u * u * (1 - u);
    const d = u ** 3;
    const point: Point = [a * start[0] + b * first[0] + c * second[0] + d * end[0], a * start[1] + b * first[1] + c * second[1] + d * end[1]];
    if (index > 0) total += Math.hypot(point[0] - points[index - 1][0], point[1] - points[index - 1][1]);
    points.push(point);
    lengths.push(total);
  }
  const at = (length: number): Point => {
    if (length >= total) return end;
    let low = 0;
    let high = lengths.length - 1;
    while (high - low > 1) {
      const middle = (low + high) >> 1;
      if (lengths[middle] < length) low = middle;
      else high = middle;
    }
    const span = lengths[high] - lengths[low] || 1;
    const t = (length - lengths[low]) / span;
    return [points[low][0] + t * (points[high][0] - points[low][0]), points[low][1] + t * (points[high][1] - points[low][1])];
  };
  return { points, lengths, at };
}

/**
 * Training pairs: (observation, action chunk) for every visited step, the chunk being the next
 * `chunk` labelled actions, padded with zeros after the demonstration ends (the expert holds).
 * Observations are positions only: the policy never sees the obstacles. `forks` lists the rows
 * of the first steps, where the two detour modes split.
 */
export function chunkDataset(demonstrations: readonly Demonstration[], chunk: number = task.chunk): { observations: Float32Array; chunks: Float32Array; count: number; forks: number[] } {
  const forks: number[] = [];
  const count = demonstrations.reduce((sum, demo) => sum + demo.positions.length, 0);
  const observations = new Float32Array(count * 2);
  const chunks = new Float32Array(count * chunk * 2);
  let row = 0;
  for (const demo of demonstrations) {
    for (let step = 0; step < demo.positions.length; step += 1) {
      observations[row * 2] = demo.positions[step][0];
      observations[row * 2 + 1] = demo.positions[step][1];
      for (let offset = 0; offset < chunk; offset += 1) {
        const action = demo.actions[step + offset];
        if (!action) break;
        chunks[(row * chunk + offset) * 2] = action[0] / task.actionScale;
        chunks[(row * chunk + offset) * 2 + 1] = action[1] / task.actionScale;
      }
      if (step < 2) forks.push(row);
      row += 1;
    }
  }
  return { observations, chunks, count, forks };
}
