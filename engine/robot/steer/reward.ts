import { type Point, type RewardSpec, RewardSpec as RewardSpecSchema, type RewardStage, type RewardTerm, type StageCondition } from '../../../core/commands/robot.ts';
import { parseOrThrow, SkillframeError } from '../../../core/errors.ts';

/**
 * Compiles a reward spec into an analytic reward over an action chunk and its exact gradient.
 * The end-effector path is p_i = p_0 + s · Σ_{j ≤ i} a_j, so dR/da_j = s · Σ_{i ≥ j} dR/dp_i — no
 * backpropagation through the policy network is needed.
 */
export interface CompiledReward {
  readonly spec: RewardSpec;
  /** Reward of one chunk (normalized actions, `dimension` values from `offset`) for the given stage; writes dR/da into `gradient` when given. */
  evaluate(chunk: Float32Array, offset: number, start: Point, stage: number, gradient?: Float32Array, gradientOffset?: number): number;
}

/** Sharpness of the soft barriers (1 / world units). */
const barrierSharpness = 60;
const sideSharpness = 25;
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
  path(chunk: Float32Array, offset: number, start: Point, pathX: Float64Array, pathY: Float64Array): void;
  /** Adds dR/da to `gradient` from dR/dp. */
  chain(chunk: Float32Array, offset: number, pathGradX: Float64Array, pathGradY: Float64Array, gradient: Float32Array, gradientOffset: number): void;
}

/** The planar point: p_i = p_0 + s · Σ_{j ≤ i} a_j. */
export function planarKinematics(actionScale: number, chunkLength: number): ChunkKinematics {
  if (!(actionScale > 0)) throw new SkillframeError('bad_input', `actionScale must be positive, got ${actionScale}`);
  return {
    dims: 2,
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
  const pathX = new Float64Array(chunkLength);
  const pathY = new Float64Array(chunkLength);
  const pathGradX = new Float64Array(chunkLength);
  const pathGradY = new Float64Array(chunkLength);
  return {
    spec,
    evaluate(chunk, offset, start, stage, gradient, gradientOffset = 0) {
      const terms = stages[Math.max(0, Math.min(stages.length - 1, stage))].terms;
      kinematics.path(chunk, offset, start, pathX, pathY);
      pathGradX.fill(0);
      pathGradY.fill(0);
      let reward = 0;
      for (const term of terms) reward += termReward(term, chunk, offset, chunkLength, gradient, gradientOffset);
      if (gradient) kinematics.chain(chunk, offset, pathGradX, pathGradY, gradient, gradientOffset);
      return reward;
    },
  };

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
        const reach = term.radius + term.margin;
        for (let index = 0; index < length; index += 1) {
          const dx = pathX[index] - term.center[0];
          const dy = pathY[index] - term.center[1];
          const squared = dx * dx + dy * dy;
          // Far outside the barrier both the penalty and its slope are below e^-20: skip the math.
          if (squared > (reach + 0.35) ** 2) continue;
          const distance = Math.max(1e-9, Math.sqrt(squared));
          const depth = barrierSharpness * (reach - distance);
          reward -= (term.weight * softplus(depth)) / barrierSharpness;
          const pull = term.weight * sigmoid(depth);
          pathGradX[index] += (pull * dx) / distance;
          pathGradY[index] += (pull * dy) / distance;
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

  update(position: Point): number {
    const current = this.spec.stages[this.index];
    if (current.until && this.index + 1 < this.spec.stages.length) {
      if (conditionMargin(current.until, position) > 0) {
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
      if (previous && conditionMargin(previous, position) < -exitMargin(previous)) {
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
function conditionMargin(condition: StageCondition, position: Point): number {
  if (condition.kind === 'near') return condition.within - Math.hypot(position[0] - condition.point[0], position[1] - condition.point[1]);
  const norm = Math.hypot(condition.direction[0], condition.direction[1]) || 1;
  return ((position[0] - condition.point[0]) * condition.direction[0] + (position[1] - condition.point[1]) * condition.direction[1]) / norm;
}

function exitMargin(condition: StageCondition): number {
  return condition.kind === 'near' ? condition.within : 0.1;
}
