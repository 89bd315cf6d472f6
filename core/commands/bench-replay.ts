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

/** Replay's wall time against the peer a user would pick, per platform and split (issue 19). */
const PhaseMs = z.object({ captureMs: ms, groundMs: ms, armMs: ms, guardMs: ms, actMs: ms, settleMs: ms, checkMs: ms });

/** One task's part of a split's speed figures: which task drives the ratio, and in which phase. */
export const BenchReplayTaskSpeed = z.object({
  task: z.string(),
  pairs: z.number().int(),
  engineTaskMsP50: ms,
  peerTaskMsP50: ms,
  ratioP50: z.number().nullable(),
  enginePhaseMsP50: PhaseMs.optional(),
});

/**
 * One drift condition's engine overhead within a split: every finished step of the engine's runs
 * of the split's tasks in that condition (failed tasks' finished steps too, as the condition's
 * `overheadMsP50`), and where that overhead goes.
 */
export const BenchReplayConditionOverhead = z.object({
  condition: z.string(),
  steps: z.number().int(),
  /** Engine time per step (captures, grounding, arming, the safety checks before the input, the checks after it). */
  overheadMsP50: ms,
  enginePhaseMsP50: PhaseMs.optional(),
});

export const BenchReplaySpeed = z.object({
  platform: z.enum(['web', 'x11']),
  split: z.enum(['tune', 'unseen']),
  peer: z.enum(['playwright-script', 'xdotool-script']),
  /** (task, condition) pairs where both the engine and the peer finished the task correctly. */
  pairs: z.number().int(),
  engineTaskMsP50: ms,
  peerTaskMsP50: ms,
  engineStepMsP50: ms,
  peerStepMsP50: ms,
  /** Median over pairs of engine wall time ÷ peer wall time. */
  ratioP50: z.number().nullable(),
  /** Sum of engine wall times ÷ sum of peer wall times. */
  ratioTotal: z.number().nullable(),
  /** X11: ten steps at the engine's median step wall time. */
  tenStepTaskMs: ms.optional(),
  /** Median per phase of the engine's steps (captures, grounding, arming, the input, waiting for the app, the checks). */
  enginePhaseMsP50: PhaseMs.optional(),
  byTask: z.array(BenchReplayTaskSpeed).optional(),
  /** The engine's overhead per drift condition on this split's tasks (the ≤ 100 ms per step target holds in each). */
  byCondition: z.array(BenchReplayConditionOverhead).optional(),
});

const DesktopPool = z.object({ tasks: z.number().int(), taskSuccessPercent: percent, steps: z.number().int(), stepSuccessPercent: percent, wrongActions: z.number().int(), overheadMsP50: ms });

/** The many-app desktop benchmark (`--platform desktop`): per app and condition, tuned and unseen apps apart. */
export const BenchDesktopResult = z.object({
  apps: z.array(z.object({ name: z.string(), toolkit: z.string(), split: z.enum(['tune', 'unseen']), tasks: z.number().int() })),
  conditions: z.array(
    z.object({
      app: z.string(),
      toolkit: z.string(),
      split: z.enum(['tune', 'unseen']),
      condition: z.string(),
      family: z.enum(['unchanged', 'layout', 'theme-scale', 'covered']),
      engine: BenchReplayMethod.optional(),
      naive: BenchReplayMethod,
    }),
  ),
  /** Pooled per split and condition family ("all" = every condition). */
  summary: z.record(z.enum(['tune', 'unseen']), z.record(z.string(), z.object({ engine: DesktopPool.optional(), naive: DesktopPool }))),
  errors: z.array(z.string()),
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
  speed: z.array(BenchReplaySpeed).default([]),
  summary: z.object({
    engine: FamilySummary.optional(),
    naive: FamilySummary,
    targets: z.record(z.string(), z.object({ target: z.string(), value: z.number().nullable(), met: z.boolean() })).optional(),
  }),
  desktop: BenchDesktopResult.optional(),
  errors: z.array(z.string()),
});
export type BenchReplayResult = z.infer<typeof BenchReplayResult>;

const UpgradeFigure = z.object({ tasks: z.number().int(), succeeded: z.number().int(), percent, wrongRequests: z.number().int() });
const UpgradeMethods = z.object({ skillframe: UpgradeFigure, naive: UpgradeFigure, locatorScript: UpgradeFigure });
const UpgradeSplit = z.object({ same: UpgradeMethods, next: UpgradeMethods });

/** The web upgrade benchmark: tasks recorded on an app's older release, replayed on it and on the newer one. */
export const BenchWebUpgradeResult = z.object({
  benchmark: z.literal('web-upgrade'),
  apps: z.array(z.object({ name: z.string(), split: z.enum(['tune', 'unseen']), status: z.string(), releases: z.string().optional() })),
  tasks: z.number().int(),
  /** Unseen apps first: the figure that counts. `same`: the release recorded on; `next`: the newer one. */
  figures: z.object({ unseen: UpgradeSplit, tune: UpgradeSplit }),
  /** Every recorded task's package and whether it passes its own audit. */
  packages: z.array(z.object({ task: z.string(), built: z.boolean(), auditAccepted: z.boolean(), note: z.string().optional() })),
  auditAccepted: z.number().int(),
  outcomes: z.array(
    z.object({
      task: z.string(),
      app: z.string(),
      split: z.enum(['tune', 'unseen']),
      release: z.enum(['same', 'next']),
      method: z.enum(['skillframe', 'naive', 'locatorScript']),
      /** Judged by the local API: exactly the requests the task asked for, nothing else. */
      ok: z.boolean(),
      reportedOk: z.boolean().optional(),
      wrongRequests: z.number().int(),
      received: z.array(z.string()),
      note: z.string().optional(),
    }),
  ),
  durationMs: z.number(),
});
export type BenchWebUpgradeResult = z.infer<typeof BenchWebUpgradeResult>;

const pct = (value: number | null | undefined) => (value === null || value === undefined ? '–' : `${value}%`);

export const commands = commandMap(
  defineCommand({
    name: 'bench.replay',
    fleet: true,
    summary: 'Drift benchmark: replay recorded skills on moved, resized, restyled, reordered apps and pages; judge by ground truth, with the naive-coordinates baseline.',
    input: z
      .object({
        /** A short run (two web tasks, one galculator task, fewer conditions) that fits in 2 minutes. */
        quick: z.boolean().default(false),
        /** `desktop`: only the many-app benchmark (real Debian apps across toolkits, tuned and unseen). */
        platform: z.enum(['web', 'x11', 'desktop']).optional(),
        /** Desktop benchmark filters: app names, conditions (also the X11 section's: `resized` is its own), one side of the split. */
        app: z.array(z.string().min(1).max(60)).max(20).optional(),
        condition: z.array(z.enum(['unchanged', 'moved', 'resized', 'resized-smaller', 'resized-larger', 'dark-theme', 'large-font', 'covered'])).max(8).optional(),
        split: z.enum(['tune', 'unseen']).optional(),
        /** Task names (e.g. mousepad-menu-save, galculator-product): filters the desktop and X11 sections. */
        task: z.array(z.string().min(1).max(80)).max(40).optional(),
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
          ...output.speed.map((speed) => `speed ${speed.platform} ${speed.split.padEnd(6)} ${speed.pairs} pairs: task ${speed.engineTaskMsP50 ?? '–'} ms vs ${speed.peer} ${speed.peerTaskMsP50 ?? '–'} ms = ${speed.ratioP50 ?? '–'}× (total ${speed.ratioTotal ?? '–'}×), step ${speed.engineStepMsP50 ?? '–'} ms${speed.tenStepTaskMs === undefined ? '' : `, 10 steps ≈ ${speed.tenStepTaskMs ?? '–'} ms`}`),
          ...(output.desktop?.conditions ?? []).map((row) => {
            const engine = row.engine;
            const left = engine ? `${pct(engine.stepSuccessPercent)}/${pct(engine.taskSuccessPercent)}/${engine.wrongActions}/${engine.overheadMsP50 ?? '–'}` : '–';
            return `${`${row.app} (${row.split})`.padEnd(28)} ${row.condition.padEnd(16)} ${left.padEnd(34)} ${pct(row.naive.stepSuccessPercent)}/${pct(row.naive.taskSuccessPercent)}/${row.naive.wrongActions}`;
          }),
          ...Object.entries(output.summary.targets ?? {}).map(([name, target]) => `target ${name}: ${target.value ?? '–'} (${target.target}) ${target.met ? 'met' : 'NOT met'}`),
          ...output.errors.map((error) => `error: ${error}`),
        ].join('\n'),
    },
  }),
  defineCommand({
    name: 'bench.web-upgrade',
    summary: 'Web upgrade benchmark: tasks recorded on open-source web apps from npm at an older release, replayed on it and on a newer release (the next major where there is one), judged by the requests a local API received or the state the app holds; naive coordinates and a Playwright-locator script as peers.',
    input: z
      .object({
        /** Only these apps (names from testkit/webapps/upgrade-split.json), comma-separated. */
        apps: z
          .string()
          .max(1000)
          .transform((value) => value.split(',').map((name) => name.trim()).filter(Boolean))
          .optional(),
      })
      .strict(),
    output: BenchWebUpgradeResult,
    timeoutMs: 0,
    cli: {
      long: true,
      format: (output: BenchWebUpgradeResult) =>
        [
          `web upgrade benchmark (${output.tasks} tasks, ${Math.round(output.durationMs / 1000)} s; packages passing their own audit: ${output.auditAccepted}/${output.packages.length})`,
          'split   release  skillframe (ok/wrong)  naive (ok/wrong)  locator script (ok/wrong)',
          ...(['unseen', 'tune'] as const).flatMap((split) =>
            (['same', 'next'] as const).map((release) => {
              const row = output.figures[split][release];
              const cell = (figure: z.infer<typeof UpgradeFigure>) => `${figure.succeeded}/${figure.tasks} ${pct(figure.percent)} / ${figure.wrongRequests}`.padEnd(22);
              return `${split.padEnd(7)} ${release.padEnd(8)} ${cell(row.skillframe)} ${cell(row.naive)} ${cell(row.locatorScript)}`;
            }),
          ),
        ].join('\n'),
    },
  }),
);

export const events = eventMap();
