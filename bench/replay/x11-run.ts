import { SkillframeError } from '../../core/errors.ts';
import type { TrajectoryEvent } from '../../core/schemas/trajectory.ts';
import type { VirtualDisplay } from '../../native/display/xvfb.ts';
import { createInput } from '../../native/input/index.ts';
import { runProgram } from '../../native/process/run.ts';
import { createScreen, encodePng, type Capture, type ScreenSource } from '../../native/screen/index.ts';
import { readTrajectory, TrajectoryWriter } from '../../skills-mm/trajectory/store.ts';
import { judgeX11, type TaskJudgement } from './judge.ts';
import type { Rect } from '../../core/geometry.ts';
import type { X11Task } from './tasks.ts';
import { launchUnderCondition, type RunningApp, type X11Condition } from './x11-drift.ts';
import { galculatorButtons, galculatorValue, mousepadSaved, mousepadTextArea, targetBox, type ClickLog } from './x11-truth.ts';

/** The app's own settle time after each input (not engine time). */
const settleMs = 150;

export interface TargetBoxes {
  buttons?: Map<string, Rect>;
  text?: Rect;
}

/** Where the intended targets truly are in this condition, from the live pixels. */
export async function locateTargets(app: RunningApp, screen: ScreenSource): Promise<{ boxes: TargetBoxes; capture: Capture }> {
  // The pointer, a hover highlight or a tooltip would cover what we measure: park it in a corner.
  await runProgram('xdotool', ['mousemove', '--sync', '0', '0'], { env: app.env, timeoutMs: 5_000 });
  await new Promise((resolve) => setTimeout(resolve, 600));
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const capture = await screen.capture();
      const { geometry } = await app.window();
      if (app.app === 'galculator') return { boxes: { buttons: galculatorButtons(capture, geometry) }, capture };
      return { boxes: { text: mousepadTextArea(capture, geometry) }, capture };
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw lastError;
}

function centre(box: Rect): { x: number; y: number } {
  return { x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) };
}

/**
 * The scripted recording on the unchanged app, in the recorder's trajectory format with real
 * screenshots (stands in for `skillframe record --script` until the recorder lands). Like the
 * X11 recorder, it stores the pointer, the pointer in the window and the window — not labels.
 */
export async function recordX11Task(display: VirtualDisplay, task: X11Task, directory: string, workDirectory: string, signal?: AbortSignal): Promise<string> {
  const app = await launchUnderCondition(display, task.app, 'unchanged', workDirectory, signal);
  const screen = await createScreen(app.env);
  const input = await createInput('xdotool', { env: app.env, signal });
  try {
    const size = await screen.size();
    const window = await app.window();
    const writer = TrajectoryWriter.create(directory, {
      version: 1,
      id: `${task.name}-${Date.now()}`,
      kind: 'x11',
      app: { name: task.app, command: task.app, pid: app.process.pid, window: { ...window, className: task.app === 'galculator' ? 'Galculator' : 'Mousepad' } },
      screen: size,
      started: new Date().toISOString(),
      mode: 'script',
      recorder: { name: 'bench-replay-script', version: '1' },
    });
    let frameIndex = 0;
    const shot = async () => writer.writeFrame(`frame-${String(frameIndex++).padStart(3, '0')}.png`, await encodePng(await screen.capture()));
    let before = await shot();
    writer.updateMeta({ startFrame: before });
    const { boxes } = await locateTargets(app, screen);
    for (const action of task.actions) {
      const at = Date.now();
      const now = await app.window();
      const common = { at, window: now, source: 'hook' as const };
      let event: Omit<TrajectoryEvent, 'seq' | 't' | 'masked' | 'frames'>;
      if (action.kind === 'click' || action.kind === 'click-text') {
        const box = targetBox(task.app, action, boxes);
        if (!box) throw new SkillframeError('internal', `${task.name}: no box for ${JSON.stringify(action)}`);
        const point = centre(box);
        await input.click(point.x, point.y);
        event = { ...common, kind: 'click', button: 'left', pointer: point, pointerInWindow: { x: point.x - now.geometry.x, y: point.y - now.geometry.y }, target: { box: now.geometry } };
      } else if (action.kind === 'type') {
        await input.type(action.text);
        event = { ...common, kind: 'type', text: action.text };
      } else {
        await input.press(action.key);
        event = { ...common, kind: 'key', key: action.key };
      }
      await new Promise((resolve) => setTimeout(resolve, settleMs + (action.kind === 'key' ? 350 : 0)));
      const after = await shot();
      writer.append({ ...event, frames: { before, after } });
      before = after;
    }
    writer.close();
    const observed = task.app === 'galculator' ? await galculatorValue(app) : mousepadSaved(app);
    if (observed !== task.expected) throw new SkillframeError('internal', `recording of ${task.name} did not reach its outcome: ${JSON.stringify(observed)}`);
    return directory;
  } finally {
    input.dispose();
    screen.dispose();
    await app.dispose();
  }
}

/**
 * The naive baseline: the recorded screen coordinates and keystrokes, no grounding at all — a raw
 * xdotool script with fixed pauses, which is also the X11 speed peer (`stepMs`: each action with
 * its pause, wall time).
 */
export async function naiveX11Replay(app: Pick<RunningApp, 'env'>, trajectoryDirectory: string, signal?: AbortSignal, pause = { afterInput: settleMs, afterKey: settleMs + 350 }): Promise<{ engineMs: number[]; stepMs: number[]; totalMs: number }> {
  const { events } = readTrajectory(trajectoryDirectory);
  const input = await createInput('xdotool', { env: app.env, signal });
  const engineMs: number[] = [];
  const stepMs: number[] = [];
  const started = performance.now();
  try {
    for (const event of events) {
      if (signal?.aborted) throw new SkillframeError('aborted', 'benchmark cancelled');
      const stepStarted = performance.now();
      if (event.kind === 'click' && event.pointer) await input.click(event.pointer.x, event.pointer.y);
      else if (event.kind === 'type' && event.text !== undefined) await input.type(event.text);
      else if (event.kind === 'key' && event.key) await input.press(event.key);
      else continue;
      engineMs.push(performance.now() - stepStarted);
      await new Promise((resolve) => setTimeout(resolve, event.kind === 'key' ? pause.afterKey : pause.afterInput));
      stepMs.push(performance.now() - stepStarted);
    }
  } finally {
    input.dispose();
  }
  return { engineMs, stepMs, totalMs: performance.now() - started };
}

/** Reads the app's ground truth after a run and judges the clicks the display saw. */
export async function judgeX11Run(task: X11Task, app: RunningApp, boxes: TargetBoxes, clicks: ClickLog): Promise<TaskJudgement> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  const observed = task.app === 'galculator' ? await galculatorValue(app) : mousepadSaved(app);
  const steps = task.actions.map((action) => {
    if (action.kind === 'click') return { kind: 'click' as const, label: action.button, box: targetBox(task.app, action, boxes) };
    if (action.kind === 'click-text') return { kind: 'click' as const, label: 'text area', box: boxes.text };
    return { kind: action.kind };
  });
  return judgeX11(steps, [...clicks.clicks], observed === task.expected, observed);
}

export async function openConditionApp(display: VirtualDisplay, task: X11Task, condition: X11Condition, workDirectory: string, signal?: AbortSignal): Promise<RunningApp> {
  return launchUnderCondition(display, task.app, condition, workDirectory, signal);
}

/**
 * The recording through Skillframe's own X11 recorder (`record --attach --script`): OS hooks,
 * settled frames, window info — the script clicks the centres of the buttons located on the
 * unchanged app.
 */
export async function recordX11TaskWithRecorder(display: VirtualDisplay, task: X11Task, directory: string, workDirectory: string, signal?: AbortSignal): Promise<string> {
  const { recordX11 } = await import('../../engine/computer/recorder/x11-recorder.ts');
  const app = await launchUnderCondition(display, task.app, 'unchanged', workDirectory, signal);
  const screen = await createScreen(app.env);
  const controller = new AbortController();
  const abort = () => controller.abort();
  signal?.addEventListener('abort', abort, { once: true });
  try {
    const { boxes } = await locateTargets(app, screen);
    const script = task.actions.map((action) => {
      if (action.kind === 'click' || action.kind === 'click-text') {
        const box = targetBox(task.app, action, boxes);
        if (!box) throw new SkillframeError('internal', `${task.name}: no box for ${JSON.stringify(action)}`);
        return { action: 'click' as const, ...centre(box) };
      }
      return action.kind === 'type' ? { action: 'type' as const, text: action.text } : { action: 'press' as const, key: action.key };
    });
    await recordX11({ attach: app.windowId, out: directory, script, redactions: [], signal: controller.signal, env: app.env, stepGapMs: 600 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const observed = task.app === 'galculator' ? await galculatorValue(app) : mousepadSaved(app);
    if (observed !== task.expected) throw new SkillframeError('internal', `recording of ${task.name} did not reach its outcome: ${JSON.stringify(observed)}`);
    return directory;
  } finally {
    signal?.removeEventListener('abort', abort);
    screen.dispose();
    await app.dispose();
  }
}
