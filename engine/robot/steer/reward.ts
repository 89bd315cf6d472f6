import { type Point, type RewardSpec, RewardSpec as RewardSpecSchema, type RewardStage, type RewardTerm, type StageCondition } from '../../../core/commands/robot.ts';
import { parseOrThrow, SkillframeError } from '../../../core/errors.ts';
import { closedBelow } from '../sim/tabletop.ts';

/**
 * Compiles a reward spec into an analytic reward over an action chunk and its exact gradient.
 * The end-effector path is p_i = p_0 + s · Σ_{j ≤ i} a_j, so dR/da_j = s · Σ_{i ≥ j} dR/dp_i — no
 * backpropagation through the policy network is needed.
 */
export interface CompiledReward {
  readonly spec: RewardSpec;
  /**
   * Reward of one chunk (normalized actions, `dimension` values from `offset`) for the given
   * stage; writes dR/da into `gradient` when given. With `barrier`, the barrier terms' part
   * (keep_away, keep_above) goes into `barrier.gradient` instead, and their reward (≤ 0) into
   * `barrier.reward`, so guidance can size the two parts apart.
   */
  evaluate(chunk: Float32Array, offset: number, start: Point, stage: number, gradient?: Float32Array, gradientOffset?: number, barrier?: BarrierPart): number;
}

/** The barrier terms' share of a reward and its gradient (see CompiledReward.evaluate). */
export interface BarrierPart {
  gradient: Float32Array;
  offset: number;
  reward: number;
}

const sideSharpness = 25;
/** The soft part of a barrier when its spec gives no room for one (margin or clearance 0). */
const minimumSoftZone = 0.005;
/** Half-width (world units) of the window along the direction of travel where a side term acts. */
const sideWindow = 0.12;

function softplus(value: number): number {
  if (value > 30) return value;
  // log(1 + e^x) = e^x − e^2x/2 + …: below −12 the first term is exact to 1e-6 relative.
  const exponential = Math.exp(value);
  return value < -12 ? exponential : Math.log1p(exponential);
}
function sigmoid(value: number): number {
  return 1 / (1 + Math.exp(-value));
}

/**
 * A barrier's penalty for going `depth` into it (≤ 0: outside, nothing), with a soft zone of width
 * `soft`: quadratic through the zone, linear beyond it (a Huber hinge); `slope` gets its derivative
 * (0 → 1). It is exactly zero outside: the softplus used before paid ln 2 / k at the edge and kept a
 * tail beyond it, so a barrier still pushed hard 1–5 cm outside its radius + margin — 4 cm off the
 * cube next to a post, where the reach stage then never grasped (obstacle_between).
 */
const hinge = { penalty: 0, slope: 0 };
function huberHinge(depth: number, soft: number): typeof hinge {
  if (depth <= 0) {
    hinge.penalty = 0;
    hinge.slope = 0;
  } else if (depth < soft) {
    hinge.penalty = (depth * depth) / (2 * soft);
    hinge.slope = depth / soft;
  } else {
    hinge.penalty = depth - soft / 2;
    hinge.slope = 1;
  }
  return hinge;
}

/** Smoothstep of how far inside a band of width `soft` below `reach` a distance is (0 outside, 1 at reach − soft and nearer), and its derivative in the distance. */
const band = { value: 0, slope: 0 };
function insideBand(distance: number, reach: number, soft: number): typeof band {
  const t = Math.min(1, Math.max(0, (reach - distance) / soft));
  band.value = t * t * (3 - 2 * t);
  band.slope = t > 0 && t < 1 ? (-6 * t * (1 - t)) / soft : 0;
  return band;
}

export function parseRewardSpec(raw: unknown, what = 'spec'): RewardSpec {
  return parseOrThrow(RewardSpecSchema, raw, what);
}

/**
 * How a chunk of normalized actions becomes the end-effector path the reward judges, and how the
 * path's gradient flows back to the actions. Planar: displacements summed (exact). Arm: joint
 * targets through forward kinematics onto the table plane (./joint-kinematics.ts).
 */
export interface ChunkKinematics {
  /** Values per action (2 planar, one per joint on an arm). */
  readonly dims: number;
  /** Whether the path has a height (an arm's jaws above the table); terms about height (keep_above) need it. */
  readonly height: boolean;
  /** Fills the path on the table plane, and its height into `pathZ` when the kinematics has one. */
  path(chunk: Float32Array, offset: number, start: Point, pathX: Float64Array, pathY: Float64Array, pathZ?: Float64Array): void;
  /** Adds dR/da to `gradient` from dR/dp (and dR/dz where the kinematics has a height). */
  chain(chunk: Float32Array, offset: number, pathGradX: Float64Array, pathGradY: Float64Array, gradient: Float32Array, gradientOffset: number, pathGradZ?: Float64Array): void;
}

/** The planar point: p_i = p_0 + s · Σ_{j ≤ i} a_j. */
export function planarKinematics(actionScale: number, chunkLength: number): ChunkKinematics {
  if (!(actionScale > 0)) throw new SkillframeError('bad_input', `actionScale must be positive, got ${actionScale}`);
  return {
    dims: 2,
    height: false,
    path(chunk, offset, start, pathX, pathY) {
      let x = start[0];
      let y = start[1];
      for (let index = 0; index < chunkLength; index += 1) {
        x += actionScale * chunk[offset + 2 * index];
        y += actionScale * chunk[offset + 2 * index + 1];
        pathX[index] = x;
        pathY[index] = y;
      }
    },
    chain(_chunk, _offset, pathGradX, pathGradY, gradient, gradientOffset) {
      // Reverse cumulative sum: an action moves every later path point.
      let sumX = 0;
      let sumY = 0;
      for (let index = chunkLength - 1; index >= 0; index -= 1) {
        sumX += pathGradX[index];
        sumY += pathGradY[index];
        gradient[gradientOffset + 2 * index] += actionScale * sumX;
        gradient[gradientOffset + 2 * index + 1] += actionScale * sumY;
      }
    },
  };
}

export function compileReward(spec: RewardSpec, actionScale: number, chunkLength: number, kinematics: ChunkKinematics = planarKinematics(actionScale, chunkLength)): CompiledReward {
  const stages = spec.stages;
  const dims = kinematics.dims;
  spec.stages.forEach((stage, stageIndex) =>
    stage.terms.forEach((term, termIndex) => {
      if (term.kind !== 'keep_above') return;
      const field = `spec.stages[${stageIndex}].terms[${termIndex}]`;
      if (!kinematics.height) throw new SkillframeError('bad_input', `${field}: keep_above needs a path with a height (an arm); this task's path lies on the table plane`);
      if (term.top === undefined) throw new SkillframeError('bad_input', `${field}.top: keep_above needs the obstacle's top (metres), measured from the camera when its center is a keypoint`);
    }),
  );
  spec.stages.forEach((stage, stageIndex) => {
    if (stage.until?.kind === 'grasped' && !kinematics.height) throw new SkillframeError('bad_input', `spec.stages[${stageIndex}].until: a grasped condition needs an arm with jaws; this task's path is a point on the table plane`);
  });
  const pathX = new Float64Array(chunkLength);
  const pathY = new Float64Array(chunkLength);
  const pathZ = new Float64Array(chunkLength);
  // dR/dp of the goal terms, and of the barrier terms apart.
  const goalX = new Float64Array(chunkLength);
  const goalY = new Float64Array(chunkLength);
  const goalZ = new Float64Array(chunkLength);
  const barrierX = new Float64Array(chunkLength);
  const barrierY = new Float64Array(chunkLength);
  const barrierZ = new Float64Array(chunkLength);
  let pathGradX = goalX;
  let pathGradY = goalY;
  let pathGradZ = goalZ;
  const relative = { dx: 0, dy: 0, distance: 0 };
  const isBarrier = (term: RewardTerm) => term.kind === 'keep_away' || term.kind === 'keep_above';
  return {
    spec,
    evaluate(chunk, offset, start, stage, gradient, gradientOffset = 0, barrier) {
      const terms = stages[Math.max(0, Math.min(stages.length - 1, stage))].terms;
      kinematics.path(chunk, offset, start, pathX, pathY, kinematics.height ? pathZ : undefined);
      for (const values of [goalX, goalY, goalZ, barrierX, barrierY, barrierZ]) values.fill(0);
      let reward = 0;
      let barrierReward = 0;
      for (const term of terms) {
        const apart = isBarrier(term);
        [pathGradX, pathGradY, pathGradZ] = apart ? [barrierX, barrierY, barrierZ] : [goalX, goalY, goalZ];
        const value = termReward(term, chunk, offset, chunkLength, gradient, gradientOffset);
        reward += value;
        if (apart) barrierReward += value;
      }
      const heightOf = (values: Float64Array) => (kinematics.height ? values : undefined);
      if (barrier) {
        barrier.reward = barrierReward;
        kinematics.chain(chunk, offset, barrierX, barrierY, barrier.gradient, barrier.offset, heightOf(barrierZ));
      } else {
        for (let index = 0; index < chunkLength; index += 1) {
          goalX[index] += barrierX[index];
          goalY[index] += barrierY[index];
          goalZ[index] += barrierZ[index];
        }
      }
      if (gradient) kinematics.chain(chunk, offset, goalX, goalY, gradient, gradientOffset, heightOf(goalZ));
      return reward;
    },
  };

  /** Path point `index` relative to a barrier's center, into `relative`; false when it is outside `reach`, where a barrier neither pays nor pushes. */
  function within(center: Point, reach: number, index: number): boolean {
    relative.dx = pathX[index] - center[0];
    relative.dy = pathY[index] - center[1];
    const squared = relative.dx * relative.dx + relative.dy * relative.dy;
    if (squared >= reach * reach) return false;
    relative.distance = Math.max(1e-9, Math.sqrt(squared));
    return true;
  }

  function termReward(term: RewardTerm, chunk: Float32Array, offset: number, length: number, gradient: Float32Array | undefined, gradientOffset: number): number {
    let reward = 0;
    switch (term.kind) {
      case 'reach': {
        // Mean smoothed distance of the path to the target: every step should make progress.
        const smoothing = 0.01;
        for (let index = 0; index < length; index += 1) {
          const dx = pathX[index] - term.target[0];
          const dy = pathY[index] - term.target[1];
          const distance = Math.sqrt(dx * dx + dy * dy + smoothing * smoothing);
          reward -= (term.weight * distance) / length;
          pathGradX[index] -= (term.weight * dx) / distance / length;
          pathGradY[index] -= (term.weight * dy) / distance / length;
        }
        return reward;
      }
      case 'keep_away': {
        // The margin is the soft zone: nothing outside radius + margin, a Huber hinge inside.
        const reach = term.radius + term.margin;
        const soft = Math.max(minimumSoftZone, term.margin);
        for (let index = 0; index < length; index += 1) {
          if (!within(term.center, reach, index)) continue;
          const { dx, dy, distance } = relative;
          const { penalty, slope } = huberHinge(reach - distance, soft);
          reward -= term.weight * penalty;
          pathGradX[index] += (term.weight * slope * dx) / distance;
          pathGradY[index] += (term.weight * slope * dy) / distance;
        }
        return reward;
      }
      case 'keep_above': {
        // A column around the center: every point within radius + margin counts in full, and the
        // window fades to 0 over as much again (smoothstep) — a chunk's path points lie
        // centimetres apart and the arm lags its targets, so the lift must start before the
        // column (tune_obstacle_carry: fading over one margin 4/10, over radius + margin 8/10; the
        // softplus window's tail did this before, without an end). Below
        // top + clearance a point pays a Huber hinge of the shortfall (soft over the clearance).
        // The gradient lifts the point (dR/dz) and pushes it out of the column (dR/dd), so the
        // path may pass over the obstacle or around it; beyond the fade and above the ceiling
        // nothing pays or pushes.
        const fade = Math.max(minimumSoftZone, term.radius + term.margin);
        const reach = term.radius + term.margin + fade;
        const ceiling = (term.top ?? 0) + term.clearance;
        const soft = Math.max(minimumSoftZone, term.clearance);
        for (let index = 0; index < length; index += 1) {
          if (!within(term.center, reach, index)) continue;
          const { dx, dy, distance } = relative;
          const { value: window, slope: windowSlope } = insideBand(distance, reach, fade);
          const { penalty, slope } = huberHinge(ceiling - pathZ[index], soft);
          if (!(penalty > 0)) continue;
          reward -= term.weight * window * penalty;
          pathGradZ[index] += term.weight * window * slope;
          // d(−w·window·penalty)/dd = −w·penalty·window′ (window′ ≤ 0): outward.
          const outward = -term.weight * penalty * windowSlope;
          pathGradX[index] += (outward * dx) / distance;
          pathGradY[index] += (outward * dy) / distance;
        }
        return reward;
      }
      case 'side': {
        const norm = Math.hypot(term.direction[0], term.direction[1]);
        if (!(norm > 0)) throw new SkillframeError('bad_input', `spec: side term direction must not be zero, got ${JSON.stringify(term.direction)}`);
        const ux = term.direction[0] / norm;
        const uy = term.direction[1] / norm;
        const sign = term.side === 'left' ? 1 : -1;
        const nx = -uy * sign;
        const ny = ux * sign;
        for (let index = 0; index < length; index += 1) {
          const dx = pathX[index] - term.center[0];
          const dy = pathY[index] - term.center[1];
          const along = dx * ux + dy * uy;
          // Beyond 4.5 window widths the window is below e^-20: the term is flat there.
          if (along > 4.5 * sideWindow || along < -4.5 * sideWindow) continue;
          const lateral = dx * nx + dy * ny;
          const window = Math.exp(-((along / sideWindow) ** 2));
          const shortfall = sideSharpness * (term.margin - lateral);
          const penalty = softplus(shortfall) / sideSharpness;
          reward -= term.weight * window * penalty;
          // d(window)/dp = window · (−2 along / w²) · u; d(penalty)/dp = −σ(shortfall) · n.
          const windowSlope = (-2 * along) / (sideWindow * sideWindow);
          const gate = sigmoid(shortfall);
          pathGradX[index] -= term.weight * (window * windowSlope * ux * penalty - window * gate * nx);
          pathGradY[index] -= term.weight * (window * windowSlope * uy * penalty - window * gate * ny);
        }
        return reward;
      }
      case 'smooth': {
        for (let index = 0; index + 1 < length; index += 1) {
          for (let axis = 0; axis < dims; axis += 1) {
            const difference = chunk[offset + dims * (index + 1) + axis] - chunk[offset + dims * index + axis];
            reward -= term.weight * difference * difference;
            if (gradient) {
              gradient[gradientOffset + dims * (index + 1) + axis] -= 2 * term.weight * difference;
              gradient[gradientOffset + dims * index + axis] += 2 * term.weight * difference;
            }
          }
        }
        return reward;
      }
    }
  }
}

/**
 * Tracks the active stage. A stage's `until` must hold for `hold` consecutive control steps to
 * advance; going back needs the previous condition to fail by a clear margin for as long —
 * two thresholds, so noise at the boundary does not make the stage flicker. With `backtrack`
 * false the stages only advance: where conditions are judged against points grounded once (the
 * arm's keypoints, found in the first camera frame), leaving the cube's first place is what
 * carrying it looks like, not a sign that the reach failed.
 */
export class StageTracker {
  index = 0;
  private count = 0;
  constructor(
    private readonly spec: RewardSpec,
    private readonly options: { backtrack: boolean } = { backtrack: true },
  ) {}

  get stage(): RewardStage {
    return this.spec.stages[this.index];
  }

  /** `opening`: the jaws' opening in percent, where there are jaws (grasped conditions need it). */
  update(position: Point, opening?: number): number {
    const current = this.spec.stages[this.index];
    if (current.until && this.index + 1 < this.spec.stages.length) {
      if (conditionMargin(current.until, position, opening) > 0) {
        this.count += 1;
        if (this.count >= this.spec.hold) {
          this.index += 1;
          this.count = 0;
        }
        return this.index;
      }
    }
    if (this.index > 0 && this.options.backtrack) {
      const previous = this.spec.stages[this.index - 1].until;
      if (previous && conditionMargin(previous, position, opening) < -exitMargin(previous)) {
        this.count += 1;
        if (this.count >= this.spec.hold) {
          this.index -= 1;
          this.count = 0;
        }
        return this.index;
      }
    }
    this.count = 0;
    return this.index;
  }
}

/** Positive when the condition holds, with a size in world units. */
function conditionMargin(condition: StageCondition, position: Point, opening: number | undefined): number {
  if (condition.kind === 'near') return condition.within - Math.hypot(position[0] - condition.point[0], position[1] - condition.point[1]);
  if (condition.kind === 'grasped') {
    const near = condition.within - Math.hypot(position[0] - condition.point[0], position[1] - condition.point[1]);
    // Open jaws (or none reported) fail by the whole radius: the grasp has not happened.
    return opening !== undefined && opening < closedBelow ? near : Math.min(near, 0) - condition.within;
  }
  const norm = Math.hypot(condition.direction[0], condition.direction[1]) || 1;
  return ((position[0] - condition.point[0]) * condition.direction[0] + (position[1] - condition.point[1]) * condition.direction[1]) / norm;
}

function exitMargin(condition: StageCondition): number {
  return condition.kind === 'near' || condition.kind === 'grasped' ? condition.within : 0.1;
}
