import { z } from 'zod';
import { defineCommand } from '../contract.ts';
import { commandMap, eventMap } from '../registry-helpers.ts';

/** The drift benchmark of replay (bench/replay): skills replayed on changed apps, judged by ground truth. */

const percent = z.number().nullable();
const ms = z.number().nullable();

export const BenchReplayMethod = z.object({
  tasks: z.number().int(),
  tasksSucceeded: z.number().int(),
  taskSuccessPercent: percent,
  steps: z.number().int(),
  stepsSucceeded: z.number().int(),
  stepSuccessPercent: percent,
  /** Actions on something other than the intended target, from the app's own record. */
  wrongActions: z.number().int(),
  repeatedActions: z.number().int(),
  /** Engine time per step (grounding + verification), app settle time excluded. */
  overheadMsP50: ms,
  overheadMsP95: ms,
  tiers: z.record(z.string(), z.number().int()).optional(),
  failures: z.array(z.object({ task: z.string(), notes: z.array(z.string()) })),
});

const FamilySummary = z.object({
  unchangedStepPercent: percent,
  layoutStepPercent: percent,
  themeScaleStepPercent: percent,
  taskSuccessPercent: percent,
  wrongActions: z.number().int(),
  overheadMsP50: ms,
  overheadMsP95: ms,
});

export const BenchReplayResult = z.object({
  benchmark: z.literal('replay'),
  quick: z.boolean(),
  cpus: z.number().int(),
  durationMs: z.number(),
  recording: z.string(),
  recordings: z.array(z.object({ task: z.string(), via: z.enum(['recorder', 'scripted']), reason: z.string().optional() })),
  engine: z.enum(['replaySkill', 'none']),
  conditions: z.array(
    z.object({
      platform: z.enum(['web', 'x11']),
      condition: z.string(),
      family: z.enum(['unchanged', 'layout', 'theme-scale']),
      engine: BenchReplayMethod.optional(),
      naive: BenchReplayMethod,
    }),
  ),
  summary: z.object({
    engine: FamilySummary.optional(),
    naive: FamilySummary,
    targets: z.record(z.string(), z.object({ target: z.string(), value: z.number().nullable(), met: z.boolean() })).optional(),
  }),
  errors: z.array(z.string()),
});
export type BenchReplayResult = z.infer<typeof BenchReplayResult>;

const pct = (value: number | null | undefined) => (value === null || value === undefined ? '–' : `${value}%`);

export const commands = commandMap(
  defineCommand({
    name: 'bench.replay',
    summary: 'Drift benchmark: replay recorded skills on moved, resized, restyled, reordered apps and pages; judge by ground truth, with the naive-coordinates baseline.',
    input: z
      .object({
        /** A short run (two web tasks, one galculator task, fewer conditions) that fits in 2 minutes. */
        quick: z.boolean().default(false),
        platform: z.enum(['web', 'x11']).optional(),
        /** Measure only the naive baseline (no engine). */
        naiveOnly: z.boolean().default(false),
        /** Keep recordings, skills and evidence of failed steps in this folder. */
        keep: z.string().min(1).max(4000).optional(),
      })
      .strict(),
    output: BenchReplayResult,
    timeoutMs: 0,
    cli: {
      long: true,
      exitCode: (output: BenchReplayResult) => (output.errors.length > 0 ? 1 : 0),
      format: (output: BenchReplayResult) =>
        [
          `drift benchmark (${output.quick ? 'quick' : 'full'}, ${Math.round(output.durationMs / 1000)} s, engine: ${output.engine})`,
          'platform condition        engine steps/tasks/wrong/p50ms      naive steps/tasks/wrong',
          ...output.conditions.map((condition) => {
            const engine = condition.engine;
            const left = engine ? `${pct(engine.stepSuccessPercent)}/${pct(engine.taskSuccessPercent)}/${engine.wrongActions}/${engine.overheadMsP50 ?? '–'}` : '–';
            const naive = condition.naive;
            return `${condition.platform.padEnd(8)} ${condition.condition.padEnd(16)} ${left.padEnd(34)} ${pct(naive.stepSuccessPercent)}/${pct(naive.taskSuccessPercent)}/${naive.wrongActions}`;
          }),
          ...Object.entries(output.summary.targets ?? {}).map(([name, target]) => `target ${name}: ${target.value ?? '–'} (${target.target}) ${target.met ? 'met' : 'NOT met'}`),
          ...output.errors.map((error) => `error: ${error}`),
        ].join('\n'),
    },
  }),
);

export const events = eventMap();
