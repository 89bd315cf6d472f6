import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SkillframeError } from '../../core/errors.ts';
import { withDeadline } from '../../core/abort.ts';
import type { Surface } from '../../engine/computer/replay/surface.ts';
import type { ReplayReport } from '../../engine/computer/replay/types.ts';
import { startDisplay } from '../../native/display/xvfb.ts';
import { createScreen } from '../../native/screen/index.ts';
import { runBenchChild } from './isolated.ts';
import { engineSample, figures, loadEngine, type ConditionFigures, type RecordingNote, type Sample } from './figures.ts';
import { x11Tasks, type X11Task } from './tasks.ts';
import { x11ConditionFamily, x11Conditions, type X11Condition } from './x11-drift.ts';
import { judgeX11Run, locateTargets, naiveX11Replay, openConditionApp, recordX11Task, recordX11TaskWithRecorder } from './x11-run.ts';
import { timedEngineRun, type TimedRun } from './speed.ts';
import { startClickLog } from './x11-truth.ts';

/**
 * The longest one engine replay of a task may take (a 7-step task takes 5–15 s, 60 s on a machine
 * loaded twentyfold): past it the replay is stopped and counted as a failed task, with the step it
 * was at, instead of holding the benchmark.
 */
const replayDeadlineMs = 180_000;

export interface X11SectionOptions {
  quick: boolean;
  naiveOnly: boolean;
  /** Only these task names / conditions (all by default), to reproduce one case. */
  tasks?: string[];
  conditions?: string[];
  /** Work folder (recordings, skills, homes, evidence go under it). */
  work: string;
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
  /**
   * Make the benchmark's display this process's DISPLAY: the recorder's input hooks only listen
   * on their own process's display. Only for a process that exists for this run (x11-child.ts).
   */
  adoptDisplay?: boolean;
  /**
   * Receives the result before the display is torn down: native X11 code (uiohook's record
   * thread, robotjs) may crash the process once its display is gone.
   */
  onResult?: (result: X11SectionResult) => void;
}

export interface X11SectionResult {
  conditions: ConditionFigures[];
  errors: string[];
  recordings: RecordingNote[];
  /** Wall times of the engine and of its peer (the raw xdotool script), per task and condition. */
  timing: { engine: TimedRun[]; peer: TimedRun[] };
}

export function chosenX11(quick: boolean, filter: { tasks?: string[]; conditions?: string[] } = {}): { tasks: X11Task[]; conditions: readonly X11Condition[] } {
  const chosen = quick ? { tasks: x11Tasks.filter((task) => task.name === 'galculator-sum'), conditions: ['unchanged', 'moved'] as const } : { tasks: x11Tasks, conditions: x11Conditions };
  return {
    tasks: filter.tasks ? chosen.tasks.filter((task) => filter.tasks!.includes(task.name)) : chosen.tasks,
    conditions: filter.conditions ? chosen.conditions.filter((condition) => filter.conditions!.includes(condition)) : chosen.conditions,
  };
}

/**
 * The X11 half: its own Xvfb + openbox, real galculator and mousepad, the click log. Runs in the
 * process that calls it — which then holds an in-process X connection (robotjs) and exits with
 * code 1 once its display is gone, so hosts run it through runX11SectionIsolated.
 */
export async function runX11Section(options: X11SectionOptions): Promise<X11SectionResult> {
  const { quick, work, signal } = options;
  const errors: string[] = [];
  const conditions: ConditionFigures[] = [];
  const recordings: RecordingNote[] = [];
  const timing: X11SectionResult['timing'] = { engine: [], peer: [] };
  const engine = options.naiveOnly ? undefined : await loadEngine(errors);
  const { tasks, conditions: chosenConditions } = chosenX11(quick, { ...(options.tasks ? { tasks: options.tasks } : {}), ...(options.conditions ? { conditions: options.conditions } : {}) });
  const total = tasks.length * (chosenConditions.length + 1);
  let done = 0;
  const tick = (message: string) => options.progress?.(Math.min(1, ++done / total), message);
  const check = () => {
    if (signal?.aborted) throw new SkillframeError('aborted', 'bench replay cancelled');
  };
  const display = await startDisplay();
  if (options.adoptDisplay) process.env.DISPLAY = display.display;
  const clicks = await startClickLog(display.env).catch(async (error) => {
    await display.dispose();
    throw error;
  });
  let ocr: Awaited<ReturnType<typeof import('../../perception/ocr.ts')['createOcr']>> | undefined;
  try {
    const skills = new Map<string, string>();
    for (const task of tasks) {
      check();
      const directory = join(work, 'recordings', task.name);
      let trajectory: string;
      try {
        trajectory = await recordX11TaskWithRecorder(display, task, directory, join(work, 'homes'), signal);
        recordings.push({ task: task.name, via: 'recorder' });
      } catch (error) {
        if (error instanceof SkillframeError && error.code === 'aborted') throw error;
        rmSync(directory, { recursive: true, force: true });
        trajectory = await recordX11Task(display, task, directory, join(work, 'homes'), signal);
        recordings.push({ task: task.name, via: 'scripted', reason: (error as Error).message.slice(0, 200) });
      }
      if (engine) {
        try {
          // OCR gives X11 steps their labels and anchors; the full run pays for it once per skill.
          if (!quick && !ocr) ocr = await (await import('../../perception/ocr.ts')).createOcr();
          const built = await engine.build.buildSkill({ trajectoryDir: trajectory, outDir: join(work, 'skills', task.name), name: task.name, signal, ...(ocr ? { ocr } : {}) });
          skills.set(task.name, built.dir);
        } catch (error) {
          errors.push(`build ${task.name}: ${(error as Error).message.slice(0, 300)}`);
        }
      }
      tick(`recorded ${task.name}`);
    }
    for (const condition of chosenConditions) {
      const engineSamples: Sample[] = [];
      const naiveSamples: Sample[] = [];
      for (const task of tasks) {
        check();
        const methods: ('engine' | 'naive')[] = engine && skills.has(task.name) ? ['engine', 'naive'] : ['naive'];
        for (const method of methods) {
          const app = await openConditionApp(display, task, condition, join(work, 'homes'), signal);
          const screen = await createScreen(app.env);
          try {
            const { boxes } = await locateTargets(app, screen);
            clicks.clear();
            if (method === 'engine' && engine) {
              let surface: Surface | undefined;
              // Where the replay is, for the evidence of a replay that never ends.
              let where = 'opening the window';
              const started = Date.now();
              try {
                const report = await withDeadline(
                  async (bounded) => {
                    surface = await engine.x11.openX11Surface({ env: app.env, title: task.app === 'galculator' ? '^galculator$' : 'note\\.txt', signal: bounded });
                    where = 'before step 1';
                    return engine.replay.replaySkill({ skillDirectory: skills.get(task.name)!, surface, confirm: 'auto', autoApproveTier: 'input', signal: bounded, env: app.env, evidenceDirectory: join(work, 'evidence', condition, task.name), onStep: (step) => void (where = `step ${step.index} ${step.reason === 'grounding' ? 'grounding' : step.status}`) });
                  },
                  { ms: replayDeadlineMs, what: `engine replay of ${task.name} (${condition})`, signal, describe: () => where },
                ).catch((error: unknown) => {
                  if (!(error instanceof SkillframeError) || error.code !== 'timeout') throw error;
                  // A replay that never ends is a failed task with its evidence, not a missing one.
                  errors.push(`engine ${task.name} ${condition}: ${error.message}`);
                  return { ok: false, steps: [], totalMs: Date.now() - started, error: { code: error.code, message: error.message } } satisfies ReplayReport;
                });
                const judgement = await judgeX11Run(task, app, boxes, clicks);
                engineSamples.push(engineSample(task.name, judgement, report));
                timing.engine.push(timedEngineRun(task, condition, judgement.taskSucceeded && report.ok, report));
              } finally {
                await (surface as Surface | undefined)?.dispose();
              }
            } else {
              const naive = await naiveX11Replay(app, join(work, 'recordings', task.name), signal);
              const judgement = await judgeX11Run(task, app, boxes, clicks);
              naiveSamples.push({ task: task.name, judgement, engineMs: naive.engineMs, tiers: [] });
              timing.peer.push({ task: task.name, split: task.split, condition, succeeded: judgement.taskSucceeded, totalMs: naive.totalMs, stepMs: naive.stepMs });
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
    options.onResult?.({ conditions, errors, recordings, timing });
  } finally {
    await ocr?.dispose();
    await clicks.dispose();
    await display.dispose();
  }
  return { conditions, errors, recordings, timing };
}

const childEntry = fileURLToPath(new URL('./x11-child.ts', import.meta.url));

/**
 * Runs the X11 half in a child process: X11 native code (robotjs) may end a process when its
 * display goes away, and the host must outlive the benchmark's displays.
 */
export function runX11SectionIsolated(options: X11SectionOptions): Promise<X11SectionResult> {
  return runBenchChild<X11SectionResult>(childEntry, { quick: options.quick, naiveOnly: options.naiveOnly, work: options.work, tasks: options.tasks, conditions: options.conditions }, options, 'the X11 benchmark');
}
