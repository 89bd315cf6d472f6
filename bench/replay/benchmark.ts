import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SkillframeError } from '../../core/errors.ts';
import { engineSample, figures, loadEngine, round, type ConditionFigures, type MethodFigures, type RecordingNote, type Sample } from './figures.ts';
import { judgeWeb, percentile } from './judge.ts';
import { runPlaywrightScript, speedFigures, timedEngineRun, writeScriptLocators, type ScriptLocator, type SpeedFigures, type TimedRun } from './speed.ts';
import { serveFolder } from '../../testkit/static-server.ts';
import { webTasks, type WebTask } from './tasks.ts';
import { judgedWebSteps, launchBrowser, naiveWebReplay, openTaskPage, readWebTruth, recordWebTask, recordWebTaskWithRecorder } from './web-run.ts';
import { webConditionFamily, webConditions, type WebCondition } from './web-drift.ts';
import { runDesktopAppsIsolated, type DesktopResult } from './desktop-run.ts';
import { desktopConditions, type DesktopCondition, type Split } from './desktop-apps.ts';
import { chosenX11, runX11SectionIsolated } from './x11-section.ts';
import type { X11Condition } from './x11-drift.ts';

export type { ConditionFigures, MethodFigures } from './figures.ts';

export const fixtureDirectory = fileURLToPath(new URL('../../testkit/fixtures/drift/', import.meta.url));

export interface BenchReplayOptions {
  quick?: boolean;
  /** Limit to one platform (both by default). */
  platform?: 'web' | 'x11' | 'desktop';
  /** The many-app desktop benchmark's filters (platform "desktop"); conditions and tasks also filter the X11 section. */
  apps?: string[];
  conditions?: (DesktopCondition | X11Condition)[];
  split?: Split;
  /** Only these task names. */
  tasks?: string[];
  /** Skip the engine and measure only the naive baseline. */
  naiveOnly?: boolean;
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
  /** Keep the work folder (recordings, skills, evidence) here instead of deleting it. */
  keepDirectory?: string;
}

export interface BenchReplayResult {
  benchmark: 'replay';
  quick: boolean;
  cpus: number;
  durationMs: number;
  /** How the recordings were made. */
  recording: string;
  /** How each task was recorded: Skillframe's recorder, or the benchmark's own scripted writer as a fallback. */
  recordings: RecordingNote[];
  engine: 'replaySkill' | 'none';
  conditions: ConditionFigures[];
  /**
   * Wall time against the peer a user would pick (Playwright script with role/label locators on
   * the web, a raw xdotool script on X11), per platform and split: unseen first.
   */
  speed: SpeedFigures[];
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
  const recordings: RecordingNote[] = [];
  const timing: { web: { engine: TimedRun[]; peer: TimedRun[] }; x11: { engine: TimedRun[]; peer: TimedRun[] } } = { web: { engine: [], peer: [] }, x11: { engine: [], peer: [] } };
  const check = () => {
    if (signal?.aborted) throw new SkillframeError('aborted', 'bench replay cancelled');
  };
  const chosenWebTasks: WebTask[] = quick ? webTasks.filter((task) => task.kind === 'form' || task.kind === 'table') : webTasks;
  const chosenWebConditions: readonly WebCondition[] = quick ? ['unchanged', 'reordered'] : webConditions;
  const x11Filter = { ...(options.tasks ? { tasks: options.tasks } : {}), ...(options.conditions ? { conditions: options.conditions as string[] } : {}) };
  const x11 = chosenX11(quick, x11Filter);
  // The many-app benchmark is long (9 apps × 7 conditions): it runs only when asked for by name.
  const doDesktop = options.platform === 'desktop';
  const doWeb = !options.platform || options.platform === 'web';
  const doX11 = !options.platform || options.platform === 'x11';
  let desktop: DesktopResult | undefined;
  const total = (doWeb ? chosenWebTasks.length * (chosenWebConditions.length + 1) : 0) + (doX11 ? x11.tasks.length * (x11.conditions.length + 1) : 0);
  let done = 0;
  const tick = (message: string) => progress(Math.min(1, ++done / Math.max(1, total)), message);

  try {
    if (doWeb) {
      const server = await serveFolder(fixtureDirectory);
      const browser = await launchBrowser();
      try {
        const skills = new Map<string, string>();
        const scripts = new Map<string, Map<string, ScriptLocator>>();
        for (const task of chosenWebTasks) {
          check();
          const directory = join(work, 'recordings', task.name);
          let trajectory: string;
          try {
            trajectory = await recordWebTaskWithRecorder(server.url, task, directory, signal);
            recordings.push({ task: task.name, via: 'recorder' });
          } catch (error) {
            if (error instanceof SkillframeError && error.code === 'aborted') throw error;
            rmSync(directory, { recursive: true, force: true });
            trajectory = await recordWebTask(browser, server.url, task, directory);
            recordings.push({ task: task.name, via: 'scripted', reason: (error as Error).message.slice(0, 200) });
          }
          if (engine) {
            try {
              const built = await engine.build.buildSkill({ trajectoryDir: trajectory, outDir: join(work, 'skills', task.name), name: task.name, signal });
              skills.set(task.name, built.dir);
            } catch (error) {
              errors.push(`build ${task.name}: ${(error as Error).message.slice(0, 300)}`);
            }
          }
          // The peer's script is written once, against the unchanged page, like a person would.
          const unchanged = await openTaskPage(browser, server.url, task, 'unchanged');
          try {
            scripts.set(task.name, await writeScriptLocators(unchanged.page, task));
          } finally {
            await unchanged.dispose();
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
                const judgement = judgeWeb(steps, task.expected, await readWebTruth(session.page));
                engineSamples.push(engineSample(task.name, judgement, report));
                timing.web.engine.push(timedEngineRun(task, condition, judgement.taskSucceeded && report.ok, report));
              } catch (error) {
                errors.push(`engine ${task.name} ${condition}: ${(error as Error).message.slice(0, 300)}`);
              } finally {
                await session.dispose();
              }
            }
            const script = scripts.get(task.name);
            if (script) {
              const peer = await openTaskPage(browser, server.url, task, condition);
              try {
                const run = await runPlaywrightScript(peer.page, task, script);
                const judgement = judgeWeb(steps, task.expected, await readWebTruth(peer.page));
                timing.web.peer.push({ task: task.name, split: task.split, condition, succeeded: judgement.taskSucceeded, ...run });
              } catch (error) {
                // A locator that no longer resolves (a renamed label) fails the script: no time.
                timing.web.peer.push({ task: task.name, split: task.split, condition, succeeded: false, totalMs: 0, stepMs: [] });
                if (signal?.aborted) throw error;
              } finally {
                await peer.dispose();
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
      check();
      const x11Total = x11.tasks.length * (x11.conditions.length + 1);
      const before = done;
      const section = await runX11SectionIsolated({ quick, naiveOnly: !engine, work, ...x11Filter, signal, progress: (fraction, message) => progress(Math.min(1, (before + fraction * x11Total) / Math.max(1, total)), message) });
      done = before + x11Total;
      conditions.push(...section.conditions);
      timing.x11 = section.timing;
      errors.push(...section.errors);
      recordings.push(...section.recordings);
    }
    if (doDesktop) {
      desktop = await runDesktopAppsIsolated({ work: join(work, 'desktop'), quick, ...(options.apps ? { apps: options.apps } : {}), ...(options.conditions ? { conditions: options.conditions.filter((condition): condition is DesktopCondition => (desktopConditions as readonly string[]).includes(condition)) } : {}), ...(options.split ? { split: options.split } : {}), ...(options.tasks ? { tasks: options.tasks } : {}), ...(signal ? { signal } : {}), progress });
      errors.push(...desktop.errors);
    }
  } finally {
    if (!options.keepDirectory) rmSync(work, { recursive: true, force: true });
  }

  const speed: SpeedFigures[] = [];
  if (engine) {
    for (const platform of ['web', 'x11'] as const) {
      if (!timing[platform].engine.length) continue;
      for (const split of ['unseen', 'tune'] as const) speed.push(speedFigures(platform, split, timing[platform].engine, timing[platform].peer));
    }
  }
  const naive = summarize(conditions, (condition) => condition.naive);
  const engineSummary = engine ? summarize(conditions, (condition) => condition.engine) : undefined;
  const targets = engineSummary
    ? measuredTargets({
        unchanged: { target: '>= 99 % steps', value: engineSummary.unchangedStepPercent, met: (engineSummary.unchangedStepPercent ?? 0) >= 99 },
        layout: { target: '>= 95 % steps', value: engineSummary.layoutStepPercent, met: (engineSummary.layoutStepPercent ?? 0) >= 95 },
        themeScale: { target: '>= 90 % steps', value: engineSummary.themeScaleStepPercent, met: (engineSummary.themeScaleStepPercent ?? 0) >= 90 },
        wrongActions: { target: '0', value: engineSummary.wrongActions, met: engineSummary.wrongActions === 0 },
        overheadP50: { target: '<= 100 ms per step', value: engineSummary.overheadMsP50, met: engineSummary.overheadMsP50 !== null && engineSummary.overheadMsP50 <= 100 },
        ...speedTargets(speed),
      })
    : undefined;
  return {
    benchmark: 'replay',
    quick,
    cpus: cpus().length,
    durationMs: Date.now() - started,
    recording: recordings.every((note) => note.via === 'recorder') ? 'skillframe recorder (record --script)' : 'skillframe recorder where it worked; else scripted in the trajectory format with real screenshots (see recordings)',
    recordings,
    engine: engine ? 'replaySkill' : 'none',
    conditions,
    speed,
    summary: { ...(engineSummary ? { engine: engineSummary } : {}), naive, ...(targets ? { targets } : {}) },
    ...(desktop ? { desktop } : {}),
    errors,
  };
}


type Target = { target: string; value: number | null; met: boolean };

/**
 * Only the targets this run measured. A run that measures none of a target's conditions (the
 * many-app desktop run has its own figures under `desktop`) would otherwise print it as
 * "value null, not met", which says the product failed what was never tried.
 */
export function measuredTargets(targets: Record<string, Target>): Record<string, Target> {
  return Object.fromEntries(Object.entries(targets).filter(([, target]) => target.value !== null));
}

/** The speed targets of issue 19, on the unseen split: web ≤ 2× the Playwright script, ten X11 steps < 5 s. */
function speedTargets(speed: SpeedFigures[]): Record<string, Target> {
  const web = speed.find((figures) => figures.platform === 'web' && figures.split === 'unseen');
  const x11 = speed.find((figures) => figures.platform === 'x11' && figures.split === 'unseen');
  return {
    ...(web ? { webSpeedUnseen: { target: '<= 2x the Playwright script (median ratio, unseen tasks)', value: web.ratioP50, met: web.ratioP50 !== null && web.ratioP50 <= 2 } } : {}),
    ...(x11 ? { x11TenStepsUnseen: { target: '< 5000 ms for a 10-step desktop task (unseen app)', value: x11.tenStepTaskMs ?? null, met: x11.tenStepTaskMs !== null && x11.tenStepTaskMs !== undefined && x11.tenStepTaskMs < 5000 } } : {}),
  };
}
