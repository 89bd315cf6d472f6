import { z } from 'zod';
import { defineCommand, defineEvent } from '../contract.ts';
import { commandMap, eventMap } from '../registry-helpers.ts';

/**
 * Commands of the robot steering room: a frozen ONNX policy on a planar reach task, steered at
 * inference (VLS, retrieve-then-steer). The arm commands live in arm.ts.
 */

/** A finite number; zod rejects NaN and ±Infinity, so a bad layout names the field. */
const finite = z.number();
export const Point = z.tuple([finite, finite]);
export type Point = z.infer<typeof Point>;

export const Obstacle = z.object({ center: Point, radius: z.number().positive() }).strict();
export type Obstacle = z.infer<typeof Obstacle>;

export const Constraint = z.enum(['pass_left', 'pass_right']);
export type Constraint = z.infer<typeof Constraint>;

/** One scene of the planar reach task: a point end effector moves from start to goal. */
export const Layout = z
  .object({
    name: z.string().min(1).max(100),
    start: Point,
    goal: Point,
    obstacles: z.array(Obstacle).max(16),
    /** Side rule relative to the direction start → goal, judged at the first obstacle. */
    constraint: Constraint.nullable().default(null),
  })
  .strict();
export type Layout = z.infer<typeof Layout>;
export const LayoutList = z.array(Layout).min(1).max(64);

/**
 * A point a reward spec names: table coordinates, or a keypoint by name — found by the keypoint
 * detector in the live camera image when the run starts (engine/robot/vision), never a true position.
 */
export const KeypointRef = z.object({ keypoint: z.string().regex(/^[a-z][a-z0-9_]{0,40}$/, 'a keypoint name: lower-case letters, digits, underscore') }).strict();
export type KeypointRef = z.infer<typeof KeypointRef>;
export const SpecPoint = z.union([Point, KeypointRef]);
export type SpecPoint = z.infer<typeof SpecPoint>;

/**
 * Reward spec: what a VLM (or a person) writes to steer the policy. Data only — it compiles into
 * an analytic gradient; nothing a model wrote is ever executed. One definition, two forms: the
 * spec as written (points may be keypoint names) and the grounded spec the sampler compiles.
 */
const obstacleTop = z.number().positive().max(1);
function rewardSpecSchema<P extends typeof Point | typeof SpecPoint, T extends typeof obstacleTop | z.ZodOptional<typeof obstacleTop>>(point: P, top: T) {
  const term = z.discriminatedUnion('kind', [
    /** Pull the end-effector path toward a target point. */
    z.object({ kind: z.literal('reach'), target: point, weight: z.number().positive().max(100).default(1) }).strict(),
    /** Keep-away barrier around a circle (an obstacle): penalises points inside radius + margin. A keypoint with many instances gives one barrier each. */
    z
      .object({
        kind: z.literal('keep_away'),
        center: point,
        radius: z.number().nonnegative(),
        margin: z.number().nonnegative().max(1).default(0.04),
        weight: z.number().positive().max(100).default(1),
      })
      .strict(),
    /**
     * Keep the end effector above an obstacle's top while it passes over it: penalises path points
     * within radius + margin of the center (on the table) that are lower than top + clearance. On
     * a keypoint, `top` is left out: it is measured from the camera image (the detector's blob of
     * that keypoint, ../../engine/robot/vision); a grounded spec always has it.
     */
    z
      .object({
        kind: z.literal('keep_above'),
        center: point,
        radius: z.number().nonnegative(),
        margin: z.number().nonnegative().max(1).default(0.02),
        top,
        clearance: z.number().nonnegative().max(0.5).default(0.04),
        weight: z.number().positive().max(100).default(1),
      })
      .strict(),
    /** Pass the given point on one side, relative to the direction of travel. */
    z
      .object({
        kind: z.literal('side'),
        center: point,
        side: z.enum(['left', 'right']),
        direction: Point.default([1, 0]),
        /** How far to the side the path should be where it passes the point. */
        margin: z.number().nonnegative().max(1).default(0.2),
        weight: z.number().positive().max(100).default(1),
      })
      .strict(),
    /** Penalise changes between consecutive actions (jerky chunks). */
    z.object({ kind: z.literal('smooth'), weight: z.number().positive().max(100).default(0.1) }).strict(),
  ]);
  const condition = z.discriminatedUnion('kind', [
    /** Done when the end effector is within `within` of the point. */
    z.object({ kind: z.literal('near'), point, within: z.number().positive() }).strict(),
    /** Done when the end effector is past the point along the direction of travel. */
    z.object({ kind: z.literal('past'), point, direction: Point.default([1, 0]) }).strict(),
    /**
     * Done when the jaws have closed (opening below 30 %, the arm's own joint reading) with the
     * gripper within `within` of the point on the table: a pick's reach ends at the grasp, not
     * when the gripper passes over the object on its way down. Arms only (the planar task has no jaws).
     */
    z.object({ kind: z.literal('grasped'), point, within: z.number().positive() }).strict(),
  ]);
  const stage = z
    .object({
      name: z.string().min(1).max(100),
      terms: z.array(term).min(1).max(32),
      /** Absent on the last stage. */
      until: condition.optional(),
    })
    .strict();
  const spec = z
    .object({
      version: z.literal(1).default(1),
      /** Ordered stages; the sampler advances with hysteresis as each `until` holds. */
      stages: z.array(stage).min(1).max(8),
      /** Control steps a stage condition must hold before switching (hysteresis). */
      hold: z.number().int().min(1).max(20).default(2),
    })
    .strict();
  return { term, condition, stage, spec };
}

const grounded = rewardSpecSchema(Point, obstacleTop);
export const RewardTerm = grounded.term;
export type RewardTerm = z.infer<typeof RewardTerm>;
export const StageCondition = grounded.condition;
export type StageCondition = z.infer<typeof StageCondition>;
export const RewardStage = grounded.stage;
export type RewardStage = z.infer<typeof RewardStage>;
/** The grounded spec: every point in table coordinates. */
export const RewardSpec = grounded.spec;
export type RewardSpec = z.infer<typeof RewardSpec>;
/** The spec as a file or a VLM writes it: points may name keypoints (grounded before anything moves). */
export const KeypointRewardSpec = rewardSpecSchema(SpecPoint, obstacleTop.optional()).spec;
export type KeypointRewardSpec = z.infer<typeof KeypointRewardSpec>;
/** Where the detector found each keypoint a spec names (table metres), most confident first; `candidates` counts the blobs of that name; `top`: the height measured from the image, for keypoints a keep_above term names. */
export const KeypointGrounding = z.record(z.string(), z.array(z.object({ point: Point, area: z.number().int(), candidates: z.number().int(), top: z.number().optional() })));
export type KeypointGrounding = z.infer<typeof KeypointGrounding>;

/** vls_no_barrier, vls_no_adaptive and vls_no_mcmc are VLS ablations: without the spec's barriers, without reward-adaptive guidance strength, without MCMC refinement. */
export const methods = ['base', 'best_of_n', 'itps', 'vls', 'vls_no_barrier', 'vls_no_adaptive', 'vls_no_mcmc', 'rts', 'rts_vls'] as const;
export const Method = z.enum(methods);
export type Method = z.infer<typeof Method>;

export const MethodStats = z.object({
  episodes: z.number().int().nonnegative(),
  success: z.number().min(0).max(1),
  /** Wilson 95 % interval of the success rate over all episodes of all seeds. */
  ci95: z.tuple([z.number(), z.number()]),
  success_by_seed: z.array(z.number()),
  collision_rate: z.number().min(0).max(1),
  latency_ms_p50: z.number().nonnegative(),
  latency_ms_p95: z.number().nonnegative(),
  /** Network evaluations per chunk (rows of the batch × flow steps), mean. */
  nfe: z.number().nonnegative(),
  /** Mean squared third difference of the executed path (lower is smoother). */
  jerk: z.number().nonnegative(),
  /** Retrieve-then-steer only: success per block of consecutive episodes. */
  learning_curve: z.array(z.number()).optional(),
  inject_rate: z.number().optional(),
  skip_rate: z.number().optional(),
});
export type MethodStats = z.infer<typeof MethodStats>;

export const BenchReport = z.object({
  layouts: z.record(z.string(), z.record(z.string(), MethodStats)),
  /** Control rate achieved (executed control steps per second of policy + simulation time), slowest method. */
  hz: z.number(),
  hz_by_method: z.record(z.string(), z.number()),
  policy: z.object({ file: z.string(), kind: z.enum(['flow', 'ddpm']), chunk: z.number(), execute: z.number(), steps: z.number() }),
  seeds: z.array(z.number().int()),
  episodes: z.number().int(),
  particles: z.number().int(),
  wall_s: z.number(),
  task: z.enum(['planar', 'so101']).optional(),
  /** Mean latency per chunk of each method over base's, same run. */
  latency_vs_base: z.record(z.string(), z.number()).optional(),
  /** What the figures do not show: saturation, where the spec came from. */
  notes: z.array(z.string()).optional(),
  /** so101: each method pooled over the shifted scenes (every scene but the training one), with its Wilson 95 % interval. */
  pooled: z
    .record(z.string(), z.object({ successes: z.number().int(), episodes: z.number().int(), success: z.number(), ci95: z.tuple([z.number(), z.number()]), collision_rate: z.number() }))
    .optional(),
  /** so101: pooled success differences between methods of the same run (a − b), with Newcombe's 95 % interval for a difference of two proportions. */
  differences: z.array(z.object({ a: z.string(), b: z.string(), difference: z.number(), ci95: z.tuple([z.number(), z.number()]) })).optional(),
  /** so101: per scene, where the detector found the keypoints the spec names, their distance to the true objects (m), and detector time; `failed` when a keypoint was not found. */
  perception: z
    .record(
      z.string(),
      z.object({
        keypoints: KeypointGrounding,
        error_m: z.record(z.string(), z.number()),
        detector_ms: z.number(),
        failed: z.string().optional(),
      }),
    )
    .optional(),
});
export type BenchReport = z.infer<typeof BenchReport>;

export const SimFrame = z.object({
  method: Method,
  layout: Layout,
  step: z.number().int().nonnegative(),
  position: Point,
  /** Predicted end-effector path of every particle for the chunk just sampled (may be empty). */
  particles: z.array(z.array(Point)),
  /** The path of the chunk chosen for execution. */
  chosen: z.array(Point),
  stage: z.string().optional(),
  injected: z.boolean().optional(),
  done: z.boolean(),
  success: z.boolean().optional(),
  collided: z.boolean().optional(),
});
export type SimFrame = z.infer<typeof SimFrame>;

export const EpisodeResult = z.object({
  method: Method,
  layout: z.string(),
  success: z.boolean(),
  collided: z.boolean(),
  steps: z.number().int(),
  path: z.array(Point),
  chunks: z.number().int(),
  latency_ms_p50: z.number(),
});
export type EpisodeResult = z.infer<typeof EpisodeResult>;

const seed = z.number().int().min(0).max(2 ** 31);

const BenchInput = z
  .object({
    seed: seed.default(1),
    /** How many seeds, counting up from --seed (default 3 planar, 1 so101). */
    seeds: z.number().int().min(1).max(10).optional(),
    /** Episodes per method, layout and seed (default 200 planar, 10 so101). */
    episodes: z.number().int().min(1).max(2000).optional(),
    /** planar: the point task (saturates); so101: the simulated SO-101 tabletop with an image-conditioned policy. */
    task: z.enum(['planar', 'so101']).default('planar'),
    /** JSON file with an array of layouts (planar) or tabletop scenes (so101); default: the built-in set. */
    layouts: z.string().max(4096).optional(),
    method: z.array(Method).optional(),
    particles: z.number().int().min(2).max(64).default(8),
    policy: z.string().max(4096).optional(),
  })
  .strict();

export const commands = commandMap(
  defineCommand({
    name: 'robot.layouts',
    summary: 'List the built-in layouts of the planar reach task (training, shifted, validation).',
    input: z.object({ layouts: z.string().max(4096).optional() }).strict(),
    output: z.object({ layouts: z.array(Layout), validation: Layout, training: z.string() }),
  }),
  defineCommand({
    name: 'robot.bench',
    summary: 'Benchmark steering methods on the frozen ONNX policy over shifted layouts (success with 95 % CIs, collisions, latency, NFE, jerk).',
    input: BenchInput,
    output: BenchReport,
    timeoutMs: 0,
    cli: { long: true, format: (output: BenchReport) => formatBench(output) },
  }),
  defineCommand({
    name: 'bench.robot',
    fleet: true,
    summary: 'The robot steering benchmark (same as robot.bench), under the bench.* family.',
    input: BenchInput,
    output: BenchReport,
    timeoutMs: 0,
    cli: { long: true, format: (output: BenchReport) => formatBench(output) },
  }),
  defineCommand({
    name: 'robot.sim',
    summary: 'Run one live episode of a steering method on a layout and stream it (robot.sim.frame events).',
    input: z
      .object({
        method: Method.default('vls'),
        layout: z.string().min(1).max(100).default('shift_0.2'),
        layouts: z.string().max(4096).optional(),
        seed: seed.default(1),
        /** Reward spec JSON file; default: written from the layout's scene description. */
        spec: z.string().max(4096).optional(),
        particles: z.number().int().min(2).max(64).default(8),
        /** Pause between chunks so a person can watch. */
        delayMs: z.number().int().min(0).max(5000).default(0),
        policy: z.string().max(4096).optional(),
      })
      .strict(),
    output: EpisodeResult,
    timeoutMs: 120_000,
  }),
  defineCommand({
    name: 'robot.spec',
    summary: 'Write or check a reward spec: from the layout scene, from a JSON file, or from the configured VLM (schema-checked, never executed).',
    input: z
      .object({
        layout: z.string().min(1).max(100).default('shift_0.2'),
        layouts: z.string().max(4096).optional(),
        from: z.enum(['scene', 'json', 'vlm']).default('scene'),
        file: z.string().max(4096).optional(),
        instruction: z.string().max(2000).default('Reach the goal without touching any obstacle.'),
        /** Also write the spec here (for `robot sim --spec FILE`). */
        out: z.string().max(4096).optional(),
      })
      .strict(),
    output: z.object({ spec: RewardSpec, source: z.enum(['scene', 'json', 'vlm']) }),
    timeoutMs: 120_000,
  }),
);

export const events = eventMap(defineEvent('robot.sim.frame', SimFrame));

function formatBench(report: BenchReport): string {
  const lines: string[] = [];
  for (const [layout, byMethod] of Object.entries(report.layouts)) {
    lines.push(layout);
    for (const [method, stats] of Object.entries(byMethod)) {
      const ci = `[${(stats.ci95[0] * 100).toFixed(0)}, ${(stats.ci95[1] * 100).toFixed(0)}]`;
      lines.push(
        `  ${method.padEnd(15)} success ${(stats.success * 100).toFixed(1).padStart(5)} % ${ci.padEnd(10)} collisions ${(stats.collision_rate * 100).toFixed(1).padStart(5)} %  p50 ${stats.latency_ms_p50.toFixed(2)} ms  p95 ${stats.latency_ms_p95.toFixed(2)} ms  nfe ${stats.nfe.toFixed(0)}`,
      );
    }
  }
  lines.push(`control rate ${report.hz.toFixed(0)} Hz (slowest method); ${report.seeds.length} seeds × ${report.episodes} episodes; ${report.wall_s.toFixed(0)} s`);
  return lines.join('\n');
}
