import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SkillframeError } from '../../core/errors.ts';
import type { VirtualDisplay } from '../../native/display/xvfb.ts';
import { judgeWeb, percentile, type TaskJudgement } from './judge.ts';
import { serveFolder } from './static-server.ts';
import { webTasks, x11Tasks, type WebTask, type X11Task } from './tasks.ts';
import { judgedWebSteps, launchBrowser, naiveWebReplay, openTaskPage, readWebTruth, recordWebTask } from './web-run.ts';
import { webConditionFamily, webConditions, type WebCondition } from './web-drift.ts';
import { x11ConditionFamily, x11Conditions, type X11Condition } from './x11-drift.ts';
import { judgeX11Run, locateTargets, naiveX11Replay, openConditionApp, recordX11Task } from './x11-run.ts';
import { startClickLog } from './x11-truth.ts';

export const fixtureDirectory = fileURLToPath(new URL('../../tests/fixtures/drift/', import.meta.url));

export interface BenchReplayOptions {
  quick?: boolean;
  /** Limit to one platform (both by default). */
  platform?: 'web' | 'x11';
  /** Skip the engine and measure only the naive baseline. */
  naiveOnly?: boolean;
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
  /** Keep the work folder (recordings, skills, evidence) here instead of deleting it. */
  keepDirectory?: string;
}

export interface MethodFigures {
  tasks: number;
  tasksSucceeded: number;
  taskSuccessPercent: number | null;
  steps: number;
  stepsSucceeded: number;
  stepSuccessPercent: number | null;
  wrongActions: number;
  repeatedActions: number;
  /** Engine time per step (grounding + verification, app settle excluded), ms. */
  overheadMsP50: number | null;
  overheadMsP95: number | null;
  /** Which ladder rung grounded the steps (engine only). */
  tiers?: Record<string, number>;
  failures: { task: string; notes: string[] }[];
}

export interface ConditionFigures {
  platform: 'web' | 'x11';
  condition: string;
  family: 'unchanged' | 'layout' | 'theme-scale';
  engine?: MethodFigures;
  naive: MethodFigures;
}

export interface BenchReplayResult {
  benchmark: 'replay';
  quick: boolean;
  cpus: number;
  durationMs: number;
  /** How the recordings were made. */
  recording: string;
  engine: 'replaySkill' | 'none';
  conditions: ConditionFigures[];
  summary: {
    engine?: FamilySummary;
    naive: FamilySummary;
    targets?: Record<string, { target: string; value: number | null; met: boolean }>;
  };
  errors: string[];
}

interface FamilySummary {
  unchangedStepPercent: number | null;
  layoutStepPercent: number | null;
  themeScaleStepPercent: number | null;
  taskSuccessPercent: number | null;
  wrongActions: number;
  overheadMsP50: number | null;
  overheadMsP95: number | null;
}

interface Sample {
  judgement: TaskJudgement;
  task: string;
  engineMs: number[];
  tiers: string[];
}

function figures(samples: Sample[], withTiers: boolean): MethodFigures {
  const steps = samples.reduce((sum, sample) => sum + sample.judgement.steps, 0);
  const stepsSucceeded = samples.reduce((sum, sample) => sum + sample.judgement.stepsSucceeded, 0);
  const tasksSucceeded = samples.filter((sample) => sample.judgement.taskSucceeded).length;
  const overhead = samples.flatMap((sample) => sample.engineMs);
  const tiers: Record<string, number> = {};
  for (const tier of samples.flatMap((sample) => sample.tiers)) tiers[tier] = (tiers[tier] ?? 0) + 1;
  return {
    tasks: samples.length,
    tasksSucceeded,
    taskSuccessPercent: samples.length ? round((100 * tasksSucceeded) / samples.length) : null,
    steps,
    stepsSucceeded,
    stepSuccessPercent: steps ? round((100 * stepsSucceeded) / steps) : null,
    wrongActions: samples.reduce((sum, sample) => sum + sample.judgement.wrongActions, 0),
    repeatedActions: samples.reduce((sum, sample) => sum + sample.judgement.repeatedActions, 0),
    overheadMsP50: percentile(overhead, 0.5),
    overheadMsP95: percentile(overhead, 0.95),
    ...(withTiers ? { tiers } : {}),
    failures: samples.filter((sample) => !sample.judgement.taskSucceeded || sample.judgement.wrongActions > 0).map((sample) => ({ task: sample.task, notes: sample.judgement.notes })),
  };
}

const round = (value: number) => Math.round(value * 10) / 10;

function summarize(conditions: ConditionFigures[], pick: (condition: ConditionFigures) => MethodFigures | undefined): FamilySummary {
  const stepPercent = (family: string) => {
    const chosen = conditions.filter((condition) => condition.family === family).map(pick).filter((value): value is MethodFigures => Boolean(value));
    const steps = chosen.reduce((sum, value) => sum + value.steps, 0);
    return steps ? round((100 * chosen.reduce((sum, value) => sum + value.stepsSucceeded, 0)) / steps) : null;
  };
  const all = conditions.map(pick).filter((value): value is MethodFigures => Boolean(value));
  const tasks = all.reduce((sum, value) => sum + value.tasks, 0);
  const p50s = all.map((value) => value.overheadMsP50).filter((value): value is number => value !== null);
  const p95s = all.map((value) => value.overheadMsP95).filter((value): value is number => value !== null);
  return {
    unchangedStepPercent: stepPercent('unchanged'),
    layoutStepPercent: stepPercent('layout'),
    themeScaleStepPercent: stepPercent('theme-scale'),
    taskSuccessPercent: tasks ? round((100 * all.reduce((sum, value) => sum + value.tasksSucceeded, 0)) / tasks) : null,
    wrongActions: all.reduce((sum, value) => sum + value.wrongActions, 0),
    // The median of per-condition medians: every condition weighs the same.
    overheadMsP50: percentile(p50s, 0.5),
    overheadMsP95: p95s.length ? Math.max(...p95s) : null,
  };
}

type ReplayModule = typeof import('../../engine/computer/replay/replay.ts');

/** The engine, loaded lazily (it pulls vision and onnxruntime); undefined if it cannot load. */
async function loadEngine(errors: string[]): Promise<{ replay: ReplayModule; build: typeof import('../../skills-mm/builder.ts'); web: typeof import('../../engine/computer/replay/web-surface.ts'); x11: typeof import('../../engine/computer/replay/x11-surface.ts') } | undefined> {
  try {
    return {
      replay: await import('../../engine/computer/replay/replay.ts'),
      build: await import('../../skills-mm/builder.ts'),
      web: await import('../../engine/computer/replay/web-surface.ts'),
      x11: await import('../../engine/computer/replay/x11-surface.ts'),
    };
  } catch (error) {
    errors.push(`engine unavailable: ${(error as Error).message}`);
    return undefined;
  }
}

function engineSample(task: string, judgement: TaskJudgement, report: import('../../engine/computer/replay/types.ts').ReplayReport): Sample {
  if (!report.ok && report.error) judgement.notes.push(`replay: ${report.error.code}: ${report.error.message.slice(0, 200)}`);
  return {
    task,
    judgement,
    engineMs: report.steps.filter((step) => step.status === 'done' && typeof step.engineMs === 'number').map((step) => step.engineMs!),
    tiers: report.steps.filter((step) => step.status === 'done' && step.tier).map((step) => step.tier!),
  };
}

/**
 * The drift benchmark: scripted recordings on the unchanged apps → skills (skills-mm builder) →
 * replay under each condition, and the naive baseline (raw coordinates) in the same run, both
 * judged by ground truth the apps keep themselves.
 */
export async function runReplayBenchmark(options: BenchReplayOptions = {}): Promise<BenchReplayResult> {
  const started = Date.now();
  const quick = options.quick ?? false;
  const signal = options.signal;
  const errors: string[] = [];
  const work = options.keepDirectory ?? mkdtempSync(join(tmpdir(), 'sf-bench-replay-'));
  const progress = options.progress ?? (() => undefined);
  const engine = options.naiveOnly ? undefined : await loadEngine(errors);
  const conditions: ConditionFigures[] = [];
  const check = () => {
    if (signal?.aborted) throw new SkillframeError('aborted', 'bench replay cancelled');
  };
  const chosenWebTasks: WebTask[] = quick ? webTasks.filter((task) => task.kind === 'form' || task.kind === 'table') : webTasks;
  const chosenWebConditions: readonly WebCondition[] = quick ? ['unchanged', 'reordered'] : webConditions;
  const chosenX11Tasks: X11Task[] = quick ? x11Tasks.filter((task) => task.name === 'galculator-sum') : x11Tasks;
  const chosenX11Conditions: readonly X11Condition[] = quick ? ['unchanged', 'moved'] : x11Conditions;
  const doWeb = options.platform !== 'x11';
  const doX11 = options.platform !== 'web';
  const total = (doWeb ? chosenWebTasks.length * (chosenWebConditions.length + 1) : 0) + (doX11 ? chosenX11Tasks.length * (chosenX11Conditions.length + 1) : 0);
  let done = 0;
  const tick = (message: string) => progress(Math.min(1, ++done / Math.max(1, total)), message);

  try {
    if (doWeb) {
      const server = await serveFolder(fixtureDirectory);
      const browser = await launchBrowser();
      try {
        const skills = new Map<string, string>();
        for (const task of chosenWebTasks) {
          check();
          const trajectory = await recordWebTask(browser, server.url, task, join(work, 'recordings', task.name));
          if (engine) {
            try {
              const built = await engine.build.buildSkill({ trajectoryDir: trajectory, outDir: join(work, 'skills', task.name), name: task.name, signal });
              skills.set(task.name, built.dir);
            } catch (error) {
              errors.push(`build ${task.name}: ${(error as Error).message.slice(0, 300)}`);
            }
          }
          tick(`recorded ${task.name}`);
        }
        for (const condition of chosenWebConditions) {
          const engineSamples: Sample[] = [];
          const naiveSamples: Sample[] = [];
          for (const task of chosenWebTasks) {
            check();
            const steps = judgedWebSteps(task);
            const skill = skills.get(task.name);
            if (engine && skill) {
              const session = await openTaskPage(browser, server.url, task, condition);
              try {
                const report = await engine.replay.replaySkill({ skillDirectory: skill, surface: engine.web.pageSurface(session.page), confirm: 'auto', autoApproveTier: 'input', signal, evidenceDirectory: join(work, 'evidence', condition, task.name) });
                engineSamples.push(engineSample(task.name, judgeWeb(steps, task.expected, await readWebTruth(session.page)), report));
              } catch (error) {
                errors.push(`engine ${task.name} ${condition}: ${(error as Error).message.slice(0, 300)}`);
              } finally {
                await session.dispose();
              }
            }
            const session = await openTaskPage(browser, server.url, task, condition);
            try {
              const engineMs = await naiveWebReplay(session.page, join(work, 'recordings', task.name), signal);
              naiveSamples.push({ task: task.name, judgement: judgeWeb(steps, task.expected, await readWebTruth(session.page)), engineMs, tiers: [] });
            } finally {
              await session.dispose();
            }
            tick(`web ${condition} ${task.name}`);
          }
          conditions.push({ platform: 'web', condition, family: webConditionFamily(condition), ...(engine ? { engine: figures(engineSamples, true) } : {}), naive: figures(naiveSamples, false) });
        }
      } finally {
        await browser.close();
        await server.dispose();
      }
    }

    if (doX11) {
      const { startDisplay } = await import('../../native/display/xvfb.ts');
      const display: VirtualDisplay = await startDisplay();
      const clicks = await startClickLog(display.env);
      const { createScreen } = await import('../../native/screen/index.ts');
      let ocr: Awaited<ReturnType<typeof import('../../engine/vision/ocr.ts')['createOcr']>> | undefined;
      try {
        const skills = new Map<string, string>();
        for (const task of chosenX11Tasks) {
          check();
          const trajectory = await recordX11Task(display, task, join(work, 'recordings', task.name), join(work, 'homes'), signal);
          if (engine) {
            try {
              // OCR gives X11 steps their labels and anchors; the full run pays for it once per skill.
              if (!quick && !ocr) ocr = await (await import('../../engine/vision/ocr.ts')).createOcr();
              const built = await engine.build.buildSkill({ trajectoryDir: trajectory, outDir: join(work, 'skills', task.name), name: task.name, signal, ...(ocr ? { ocr } : {}) });
              skills.set(task.name, built.dir);
            } catch (error) {
              errors.push(`build ${task.name}: ${(error as Error).message.slice(0, 300)}`);
            }
          }
          tick(`recorded ${task.name}`);
        }
        for (const condition of chosenX11Conditions) {
          const engineSamples: Sample[] = [];
          const naiveSamples: Sample[] = [];
          for (const task of chosenX11Tasks) {
            check();
            const methods: ('engine' | 'naive')[] = engine && skills.has(task.name) ? ['engine', 'naive'] : ['naive'];
            for (const method of methods) {
              const app = await openConditionApp(display, task, condition, join(work, 'homes'), signal);
              const screen = await createScreen(app.env);
              try {
                const { boxes } = await locateTargets(app, screen);
                clicks.clear();
                if (method === 'engine' && engine) {
                  const surface = await engine.x11.openX11Surface({ env: app.env, title: task.app === 'galculator' ? '^galculator$' : 'note\\.txt', signal });
                  try {
                    const report = await engine.replay.replaySkill({ skillDirectory: skills.get(task.name)!, surface, confirm: 'auto', autoApproveTier: 'input', signal, env: app.env, evidenceDirectory: join(work, 'evidence', condition, task.name) });
                    engineSamples.push(engineSample(task.name, await judgeX11Run(task, app, boxes, clicks), report));
                  } finally {
                    await surface.dispose();
                  }
                } else {
                  const engineMs = await naiveX11Replay(app, join(work, 'recordings', task.name), signal);
                  naiveSamples.push({ task: task.name, judgement: await judgeX11Run(task, app, boxes, clicks), engineMs, tiers: [] });
                }
              } catch (error) {
                if (error instanceof SkillframeError && error.code === 'aborted') throw error;
                errors.push(`${method} ${task.name} ${condition}: ${(error as Error).message.slice(0, 300)}`);
              } finally {
                screen.dispose();
                await app.dispose();
              }
            }
            tick(`x11 ${condition} ${task.name}`);
          }
          conditions.push({ platform: 'x11', condition, family: x11ConditionFamily(condition), ...(engine ? { engine: figures(engineSamples, true) } : {}), naive: figures(naiveSamples, false) });
        }
      } finally {
        await ocr?.dispose();
        await clicks.dispose();
        await display.dispose();
      }
    }
  } finally {
    if (!options.keepDirectory) rmSync(work, { recursive: true, force: true });
  }

  const naive = summarize(conditions, (condition) => condition.naive);
  const engineSummary = engine ? summarize(conditions, (condition) => condition.engine) : undefined;
  const targets = engineSummary
    ? {
        unchanged: { target: '>= 99 % steps', value: engineSummary.unchangedStepPercent, met: (engineSummary.unchangedStepPercent ?? 0) >= 99 },
        layout: { target: '>= 95 % steps', value: engineSummary.layoutStepPercent, met: (engineSummary.layoutStepPercent ?? 0) >= 95 },
        themeScale: { target: '>= 90 % steps', value: engineSummary.themeScaleStepPercent, met: (engineSummary.themeScaleStepPercent ?? 0) >= 90 },
        wrongActions: { target: '0', value: engineSummary.wrongActions, met: engineSummary.wrongActions === 0 },
        overheadP50: { target: '<= 100 ms per step', value: engineSummary.overheadMsP50, met: engineSummary.overheadMsP50 !== null && engineSummary.overheadMsP50 <= 100 },
      }
    : undefined;
  return {
    benchmark: 'replay',
    quick,
    cpus: cpus().length,
    durationMs: Date.now() - started,
    recording: 'scripted (bench/replay: Playwright on the page, xdotool on X11), written in the trajectory format with real screenshots',
    engine: engine ? 'replaySkill' : 'none',
    conditions,
    summary: { ...(engineSummary ? { engine: engineSummary } : {}), naive, ...(targets ? { targets } : {}) },
    errors,
  };
}

