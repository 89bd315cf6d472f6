import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SkillframeError } from '../../core/errors.ts';
import { openAtspi, startAccessibilityBus, usableExtents, walkNodes } from '../../native/a11y/index.ts';
import { startDisplay, type VirtualDisplay } from '../../native/display/xvfb.ts';
import { createInput } from '../../native/input/index.ts';
import { runProgram } from '../../native/process/run.ts';
import { createScreen } from '../../native/screen/index.ts';
import { launchApp, type LaunchedApp } from '../../native/window/index.ts';
import { splitWordsAtBars, type Ocr, type OcrLine } from '../../perception/ocr.ts';
import { calculatorLayouts, desktopApps, desktopConditionFamily, desktopConditions, desktopTasks, type DesktopAction, type DesktopApp, type DesktopCondition, type DesktopTask, type Split } from './desktop-apps.ts';
import { figures, loadEngine, round, type MethodFigures, type Sample } from './figures.ts';
import { runBenchChild } from './isolated.ts';
import { moveWindow, resizeWindow, windowGeometry } from './x11-drift.ts';
import { calculatorButtons, calculatorDisplay } from './x11-truth.ts';
import { naiveX11Replay } from './x11-run.ts';

/** The Chromium task page: a note whose File › Save and Download button save the text as a download. */
const notePage = fileURLToPath(new URL('../../testkit/fixtures/desktop/note.html', import.meta.url));

/**
 * How each app starts and which of its windows is the main one. `output`: where a task's saved
 * file appears when the app does not write the file it was opened with (Chromium downloads).
 */
export const desktopLaunchers: Record<string, { command: (file: string, home: string) => string; className: RegExp; base: { width?: number; height?: number }; output?: (home: string) => string; prepare?: (home: string) => void }> = {
  mousepad: { command: (file) => `mousepad ${file}`, className: /^mousepad$/i, base: { width: 900, height: 600 } },
  galculator: { command: () => 'galculator', className: /^galculator$/i, base: {} },
  xedit: { command: (file) => `xedit ${file}`, className: /^xedit$/i, base: { width: 760, height: 560 } },
  'gnome-calculator': { command: () => 'gnome-calculator', className: /calculator/i, base: {} },
  'gnome-text-editor': { command: (file) => `gnome-text-editor --standalone ${file}`, className: /text-?editor/i, base: { width: 900, height: 600 } },
  featherpad: { command: (file) => `featherpad --standalone ${file}`, className: /^featherpad$/i, base: { width: 900, height: 600 } },
  xcalc: { command: () => 'xcalc', className: /^xcalc$/i, base: {} },
  // Debian's IDLE (Tk) by its path: a python version manager's shim may come first on PATH.
  idle: { command: (file) => `/usr/bin/idle ${file}`, className: /idle|toplevel/i, base: { width: 900, height: 600 } },
  // Debian's Chromium as a desktop window (app mode: no tabs or address bar, like an Electron app),
  // its accessibility on, downloads saved without asking into the throwaway home.
  chromium: {
    command: (_file, home) => `/usr/bin/chromium --app=file://${notePage} --user-data-dir=${join(home, 'chromium')} --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-component-update --disable-sync --disable-features=DownloadBubble,DownloadBubbleV2 --force-renderer-accessibility --password-store=basic`,
    className: /^chromium$/i,
    base: { width: 900, height: 600 },
    output: (home) => join(home, 'Downloads', 'note.txt'),
    prepare: (home) => {
      mkdirSync(join(home, 'chromium', 'Default'), { recursive: true });
      mkdirSync(join(home, 'Downloads'), { recursive: true });
      writeFileSync(join(home, 'chromium', 'Default', 'Preferences'), JSON.stringify({ download: { default_directory: join(home, 'Downloads'), prompt_for_download: false } }));
    },
  },
};

export interface DesktopRunOptions {
  work: string;
  apps?: string[];
  conditions?: DesktopCondition[];
  split?: Split;
  /** Only these task names. */
  tasks?: string[];
  /** One task per app, three conditions. */
  quick?: boolean;
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
  /** Receives the result before the display is torn down (native X11 code may end the process then). */
  onResult?: (result: DesktopResult) => void;
}

export interface DesktopConditionFigures {
  app: string;
  toolkit: string;
  split: Split;
  condition: DesktopCondition;
  family: ReturnType<typeof desktopConditionFamily>;
  engine?: MethodFigures;
  naive: MethodFigures;
}

export interface DesktopResult {
  apps: { name: string; toolkit: string; split: Split; tasks: number }[];
  conditions: DesktopConditionFigures[];
  summary: Record<Split, Record<string, { engine?: ReturnType<typeof pool>; naive: ReturnType<typeof pool> }>>;
  errors: string[];
}

export interface RunningDesktopApp {
  app: DesktopApp;
  env: NodeJS.ProcessEnv;
  file?: string;
  windowId: string;
  cover?: ChildProcess & { keys: () => string };
  dispose(): Promise<void>;
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** X resources are per display: every launch starts from none, then the condition's. */
async function setResources(env: NodeJS.ProcessEnv, text: string): Promise<void> {
  const file = join(env.HOME ?? '/tmp', '.Xresources-bench');
  writeFileSync(file, text);
  await runProgram('xrdb', ['-load', file], { env, timeoutMs: 10_000 });
}

async function findWindow(env: NodeJS.ProcessEnv, launched: LaunchedApp, className: RegExp, signal?: AbortSignal): Promise<string> {
  for (let attempt = 0; attempt < 150; attempt += 1) {
    if (signal?.aborted) throw new SkillframeError('aborted', 'benchmark cancelled');
    const byPid = await runProgram('xdotool', ['search', '--onlyvisible', '--pid', String(launched.pid)], { env, timeoutMs: 5_000 }).catch(() => ({ stdout: '' }));
    const byClass = await runProgram('xdotool', ['search', '--onlyvisible', '--class', className.source.replace(/[\^$]/g, '').replace(/\\/g, '')], { env, timeoutMs: 5_000 }).catch(() => ({ stdout: '' }));
    const ids = [...new Set(`${byPid.stdout}\n${byClass.stdout}`.trim().split('\n').filter(Boolean))];
    let best: { id: string; area: number } | undefined;
    for (const id of ids) {
      const info = await windowGeometry(env, id).catch(() => undefined);
      const area = info ? info.geometry.width * info.geometry.height : 0;
      if (info && info.geometry.width > 80 && info.geometry.height > 80 && (!best || area > best.area)) best = { id, area };
    }
    if (best) return best.id;
    await settle(200);
  }
  throw new SkillframeError('unavailable', `no window appeared: ${launched.stderr().slice(-300)}`);
}

/** Starts an app under a condition in a throwaway HOME, placed where the condition says. */
export async function launchDesktop(display: VirtualDisplay, busEnv: NodeJS.ProcessEnv, app: DesktopApp, condition: DesktopCondition, work: string, signal?: AbortSignal): Promise<RunningDesktopApp> {
  const launcher = desktopLaunchers[app.name];
  if (!launcher) throw new SkillframeError('unavailable', `no launcher for ${app.name}`);
  mkdirSync(work, { recursive: true });
  const home = mkdtempSync(join(work, `home-${app.name}-`));
  const config = join(home, '.config');
  mkdirSync(config, { recursive: true });
  // GTK 4 draws nothing under Xvfb with its GL renderer (a black window, no text to read): cairo.
  const env: NodeJS.ProcessEnv = { ...busEnv, HOME: home, XDG_CONFIG_HOME: config, XDG_DATA_HOME: join(home, '.local', 'share'), XDG_CACHE_HOME: join(home, '.cache'), GTK_THEME: 'Adwaita', GSK_RENDERER: 'cairo' };
  // Dark theme: GTK's dark Adwaita, another Qt style, dark X resources for Xaw and Tk.
  let resources = '';
  if (condition === 'dark-theme') {
    env.GTK_THEME = 'Adwaita:dark';
    env.QT_STYLE_OVERRIDE = 'Fusion';
    resources += '*background: #2b2b2b\n*foreground: #e6e6e6\n';
  }
  // Font +25 %: the display's DPI (Xft.dpi, read by GTK, Qt and Xft), GTK's and Qt's own scale.
  if (condition === 'large-font') {
    resources += 'Xft.dpi: 120\n';
    env.GDK_DPI_SCALE = '1.25';
    env.QT_FONT_DPI = '120';
  }
  await setResources(env, resources);
  const file = app.output === 'file' ? (launcher.output?.(home) ?? join(home, 'note.txt')) : undefined;
  if (file && !launcher.output) writeFileSync(file, '');
  launcher.prepare?.(home);
  const launched = await launchApp(launcher.command(file ?? '', home), { env, signal });
  let cover: RunningDesktopApp['cover'];
  try {
    const windowId = await findWindow(env, launched, launcher.className, signal);
    await settle(500);
    if (launcher.base.width && launcher.base.height) await resizeWindow(env, windowId, launcher.base.width, launcher.base.height);
    await moveWindow(env, windowId, 200, 120);
    const { geometry } = await windowGeometry(env, windowId);
    if (condition === 'moved') await moveWindow(env, windowId, 200 + 560, 120 + 300);
    if (condition === 'resized-smaller') await resizeWindow(env, windowId, Math.round(geometry.width * 0.8), Math.round(geometry.height * 0.8));
    if (condition === 'resized-larger') await resizeWindow(env, windowId, Math.round(geometry.width * 1.3), Math.round(geometry.height * 1.3));
    await runProgram('xdotool', ['windowactivate', windowId], { env, timeoutMs: 5_000 }).catch(() => undefined);
    if (condition === 'covered') {
      // Another window over the lower-right third, kept on top (like a sticky note); it logs
      // every key and click it gets, so input that lands on it is counted as a wrong action.
      const width = Math.round(geometry.width / 3);
      const height = Math.round(geometry.height / 3);
      const child = spawn('xev', ['-name', 'Cover', '-geometry', `${width}x${height}+${geometry.x + geometry.width - width}+${geometry.y + geometry.height - height}`, '-event', 'keyboard', '-event', 'button'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
      let log = '';
      child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      cover = Object.assign(child, { keys: () => log });
      const raise = setInterval(() => void runProgram('xdotool', ['search', '--name', '^Cover$', 'windowraise'], { env, timeoutMs: 3_000 }).catch(() => undefined), 150);
      child.once('exit', () => clearInterval(raise));
      await settle(700);
      await runProgram('xdotool', ['windowactivate', windowId], { env, timeoutMs: 5_000 }).catch(() => undefined);
    }
    await settle(400);
    return {
      app,
      env,
      file,
      windowId,
      cover,
      async dispose() {
        cover?.kill('SIGKILL');
        await launched.dispose();
        rmSync(home, { recursive: true, force: true });
      },
    };
  } catch (error) {
    cover?.kill('SIGKILL');
    await launched.dispose();
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Where a label is on screen, as a person finds it: read the window, take the exact line, else the
 * exact word; on a calculator whose glyph OCR cannot read ("=", "-"), the button where the app's
 * layout puts it; where OCR misread it and the app has an accessibility tree, the showing control
 * of that name.
 */
async function findLabel(ocr: Ocr, running: RunningDesktopApp, label: string, calculator: boolean): Promise<{ x: number; y: number }> {
  const screen = await createScreen(running.env);
  try {
    const capture = await screen.capture();
    const { lines } = await ocr.recognize(capture);
    const centre = (box: [number, number, number, number]) => ({ x: Math.round(box[0] + box[2] / 2), y: Math.round(box[1] + box[3] / 2) });
    const whole = lines.filter((line: OcrLine) => line.text.trim() === label);
    const words = lines.flatMap((line: OcrLine) => (line.words ?? []).filter((word) => word.text === label));
    // A row of Xaw buttons reads as one word with their borders as bars ("Quit|Save|Load"): the
    // label's part of it, by its characters' share of the width.
    const parts = lines.flatMap((line: OcrLine) => splitWordsAtBars((line.words ?? []).filter((word) => word.text.includes('|'))).filter((word) => word.text === label).map((word) => word.box));
    const found = [...whole.map((line) => line.box), ...words.map((word) => word.box), ...parts];
    const layout = calculatorLayouts[running.app.name];
    if (!found.length && layout) {
      const { geometry } = await windowGeometry(running.env, running.windowId);
      const button = (() => {
        try {
          return calculatorButtons(capture, geometry, layout, running.app.name).get(label);
        } catch {
          return undefined; // no button frames to find (GTK 4's flat buttons): the grid below
        }
      })();
      if (button) return centre([button.x, button.y, button.width, button.height]);
      const onGrid = gridPoint(lines, layout, label);
      if (onGrid) return onGrid;
    }
    // OCR misread it (featherpad's menu bar read as "Eile   Edit", at load ~29): a person still
    // sees "File"; where the app has an accessibility tree, the showing control of that name.
    if (!found.length && running.app.accessible) {
      const named = await findControl(running, undefined, label).catch(() => undefined);
      if (named) return named;
    }
    if (!found.length) throw new SkillframeError('not_found', `label ${JSON.stringify(label)} not on screen (read: ${lines.map((line) => line.text).join(' | ').slice(0, 400)})`);
    // A calculator shows its digits in the display too: the button is the lowest one.
    found.sort((a, b) => (calculator ? b[1] - a[1] : a[1] - b[1]));
    return centre(found[0]);
  } finally {
    screen.dispose();
  }
}

/**
 * Where a control that shows an icon, not a label, is, as a person finds it by the name its tooltip
 * shows: the app's accessible of that role and name (the smallest, where one button nests in
 * another). GTK 4 reports extents relative to its window's content (its frame at 0, 0), inside the
 * margin its client-side decorations leave around it in the X window: the frame is centred in the
 * window to map them onto the screen.
 */
export async function findControl(running: Pick<RunningDesktopApp, 'env' | 'windowId'>, role: string | undefined, name: string): Promise<{ x: number; y: number }> {
  const client = await openAtspi({ env: running.env, callTimeoutMs: 15_000 });
  try {
    const window = await windowGeometry(running.env, running.windowId);
    const { appForWindow, appOrigin } = await import('../../engine/computer/accessibility.ts');
    const app = await appForWindow(client, { title: window.title });
    if (!app) throw new SkillframeError('not_found', `no application on the accessibility bus has the window ${JSON.stringify(window.title)}`);
    const { root } = await client.tree(app.ref, { showingOnly: false, maxNodes: 4000, timeoutMs: 30_000 });
    // Any role (a label looked up by name): only what shows on screen.
    const matches = [...walkNodes(root)].filter((node) => (role === undefined ? node.states.includes('showing') : node.role === role) && node.name === name && usableExtents(node.extents));
    const box = matches.map((node) => node.extents!).sort((a, b) => a.width * a.height - b.width * b.height)[0];
    if (!box) throw new SkillframeError('not_found', `no ${role ?? 'showing control'} named ${JSON.stringify(name)} in ${app.name}'s tree`);
    // GTK 4 reports extents in its window's space (appOrigin).
    const origin = await appOrigin(client, app, window);
    return { x: Math.round(origin.x + box.x + box.width / 2), y: Math.round(origin.y + box.y + box.height / 2) };
  } finally {
    client.dispose();
  }
}

/**
 * Where `label` sits on a calculator's grid of buttons, from the labels OCR did read exactly: the
 * columns' and rows' positions fitted (least squares, evenly spaced) to every label that appears
 * once in the layout and was read once on screen. Undefined with fewer than 4 such labels over at
 * least 2 rows and 2 columns.
 */
export function gridPoint(lines: OcrLine[], layout: readonly (readonly string[])[], label: string): { x: number; y: number } | undefined {
  const cell = (text: string) => {
    const at = layout.flatMap((row, r) => row.map((name, c) => ({ name, r, c }))).filter((entry) => entry.name === text);
    return at.length === 1 ? at[0] : undefined;
  };
  const target = cell(label);
  if (!target) return undefined;
  const reads = new Map<string, [number, number, number, number][]>();
  for (const line of lines) for (const word of line.words?.length ? line.words : [{ text: line.text, box: line.box }]) reads.set(word.text.trim(), [...(reads.get(word.text.trim()) ?? []), word.box]);
  const anchors = [...reads].flatMap(([text, boxes]) => {
    const at = cell(text);
    return at && boxes.length === 1 ? [{ ...at, x: boxes[0][0] + boxes[0][2] / 2, y: boxes[0][1] + boxes[0][3] / 2 }] : [];
  });
  if (anchors.length < 4 || new Set(anchors.map((anchor) => anchor.r)).size < 2 || new Set(anchors.map((anchor) => anchor.c)).size < 2) return undefined;
  const fit = (pairs: [number, number][]) => {
    const n = pairs.length;
    const mean = (pick: (pair: [number, number]) => number) => pairs.reduce((sum, pair) => sum + pick(pair), 0) / n;
    const mx = mean((pair) => pair[0]);
    const my = mean((pair) => pair[1]);
    const slope = pairs.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0) / pairs.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
    return (at: number) => my + slope * (at - mx);
  };
  const x = fit(anchors.map((anchor) => [anchor.c, anchor.x]));
  const y = fit(anchors.map((anchor) => [anchor.r, anchor.y]));
  return { x: Math.round(x(target.c)), y: Math.round(y(target.r)) };
}

/** Does the task once by hand on a fresh app to learn its click points; the recording replays them. */
export async function learnScript(ocr: Ocr, running: RunningDesktopApp, task: DesktopTask, signal?: AbortSignal) {
  const input = await createInput('xdotool', { env: running.env, signal });
  const { geometry } = await windowGeometry(running.env, running.windowId);
  const script: ({ action: 'click'; x: number; y: number } | { action: 'type'; text: string } | { action: 'press'; key: string } | { action: 'wait'; ms: number })[] = [];
  try {
    for (const action of task.actions) {
      if (action.kind === 'wait') {
        await settle(action.ms);
        script.push({ action: 'wait', ms: action.ms });
        continue;
      }
      if (action.kind === 'click' || action.kind === 'click-text' || action.kind === 'click-control') {
        const point =
          action.kind === 'click-text'
            ? { x: Math.round(geometry.x + geometry.width / 2), y: Math.round(geometry.y + geometry.height * 0.55) }
            : action.kind === 'click-control'
              ? await findControl(running, action.role, action.name)
              : await findLabel(ocr, running, action.label, running.app.output !== 'file');
        await input.click(point.x, point.y);
        script.push({ action: 'click', ...point });
      } else if (action.kind === 'type') {
        await input.type(action.text);
        script.push({ action: 'type', text: action.text });
      } else {
        await input.press(action.key);
        script.push({ action: 'press', key: action.key });
      }
      await settle(action.kind === 'key' ? 700 : 400);
    }
  } finally {
    input.dispose();
  }
  return script;
}

/** The app's own output: the saved file, what it copied to the clipboard, or its display as it offers it for selection. */
export async function observe(running: RunningDesktopApp): Promise<string> {
  await settle(500);
  if (running.app.output === 'file') {
    // A download (Chromium) lands under its own name once complete: wait a little for it.
    for (let waited = 0; waited < 3000 && running.file && !existsSync(running.file); waited += 250) await settle(250);
    return running.file && existsSync(running.file) ? readFileSync(running.file, 'utf8').replace(/\n+$/, '') : '';
  }
  if (running.app.output === 'display-selection') return displaySelection(running);
  const clipboard = await runProgram('xclip', ['-o', '-selection', 'clipboard'], { env: running.env, timeoutMs: 5_000 }).catch(() => ({ stdout: '' }));
  return clipboard.stdout.trim();
}

/**
 * xcalc's display as xcalc itself hands it out: a click on the display makes xcalc own the primary
 * selection with the number shown (its manual's way to paste a result), read back with xclip.
 */
async function displaySelection(running: RunningDesktopApp): Promise<string> {
  const screen = await createScreen(running.env);
  try {
    const { geometry } = await windowGeometry(running.env, running.windowId);
    const display = calculatorDisplay(await screen.capture(), geometry);
    if (!display) return '';
    const input = await createInput('xdotool', { env: running.env });
    try {
      // The number's own strip, in the display frame's upper part (its lower part holds DEG and DEC, which select nothing).
      await input.click(Math.round(display.x + display.width / 2), Math.round(display.y + display.height * 0.3));
    } finally {
      input.dispose();
    }
    await settle(300);
    const selection = await runProgram('xclip', ['-o', '-selection', 'primary'], { env: running.env, timeoutMs: 5_000 }).catch(() => ({ stdout: '' }));
    return selection.stdout.trim();
  } finally {
    screen.dispose();
  }
}

/** Wrong actions seen by the world: input the cover window got, or an output that is neither the expected one nor untouched. */
function judge(task: DesktopTask, observed: string, running: RunningDesktopApp, stepsDone: number, replayOk: boolean | undefined) {
  const notes: string[] = [];
  let wrongActions = 0;
  const coverLog = running.cover?.keys() ?? '';
  const coverInput = (coverLog.match(/KeyPress|ButtonPress/g) ?? []).length;
  if (coverInput) {
    wrongActions += coverInput;
    notes.push(`${coverInput} input event(s) landed on the covering window`);
  }
  const succeeded = observed === task.expected;
  // A calculator judged by its display shows how far a run got: a run that stopped after the right
  // first presses shows their number, which is an abort, not a wrong action.
  const partial = running.app.output === 'display-selection' && displaysAlongTheWay(task).has(observed);
  if (!succeeded && observed !== '' && observed !== '0' && !partial) {
    wrongActions += 1;
    notes.push(`the app's output is ${JSON.stringify(observed.slice(0, 80))}, not ${JSON.stringify(task.expected)}`);
  } else if (!succeeded && replayOk) {
    wrongActions += 1;
    notes.push('replay reported success but the app shows no result');
  } else if (!succeeded) notes.push(`no result (${JSON.stringify(observed.slice(0, 40))})`);
  const steps = task.actions.filter((action) => action.kind !== 'wait').length;
  return { steps, stepsSucceeded: succeeded && !wrongActions ? steps : wrongActions ? 0 : Math.min(stepsDone, steps), taskSucceeded: succeeded && !wrongActions, wrongActions, repeatedActions: 0, notes };
}

/** What a calculator's display shows after each prefix of the task's presses done right (digits build the entry, operators keep it). */
export function displaysAlongTheWay(task: DesktopTask): Set<string> {
  const shown = new Set<string>();
  let entry = '';
  let fresh = true;
  for (const action of task.actions) {
    if (action.kind !== 'click') continue;
    if (/^\d$/.test(action.label)) {
      entry = fresh ? action.label : entry + action.label;
      fresh = false;
      shown.add(entry);
    } else fresh = true;
  }
  return shown;
}

function pool(rows: MethodFigures[]) {
  const sum = (pick: (row: MethodFigures) => number) => rows.reduce((total, row) => total + pick(row), 0);
  const steps = sum((row) => row.steps);
  const tasks = sum((row) => row.tasks);
  return {
    tasks,
    taskSuccessPercent: tasks ? round((100 * sum((row) => row.tasksSucceeded)) / tasks) : null,
    steps,
    stepSuccessPercent: steps ? round((100 * sum((row) => row.stepsSucceeded)) / steps) : null,
    wrongActions: sum((row) => row.wrongActions),
    overheadMsP50: rows.length ? Math.max(...rows.map((row) => row.overheadMsP50 ?? 0)) : null,
  };
}

/**
 * The many-app benchmark in this process (it holds X connections: run it in a process of its
 * own, see desktop-child.ts). Per app: learn the click points on a fresh instance, record with
 * Skillframe's recorder, build with OCR, then per condition replay (engine and naive baseline)
 * on a fresh instance and judge by the app's output.
 */
export async function runDesktopApps(options: DesktopRunOptions): Promise<DesktopResult> {
  const errors: string[] = [];
  const apps = desktopApps.filter((app) => (!options.apps?.length || options.apps.includes(app.name)) && (!options.tasks?.length || desktopTasks.some((task) => task.app === app.name && options.tasks!.includes(task.name))) && (!options.split || app.split === options.split));
  const conditions = options.conditions?.length ? options.conditions : options.quick ? (['unchanged', 'moved', 'resized-larger'] as DesktopCondition[]) : [...desktopConditions];
  const engine = await loadEngine(errors);
  const display = await startDisplay({ width: 1920, height: 1080 });
  process.env.DISPLAY = display.display;
  const bus = await startAccessibilityBus(display.env).catch((error: Error) => {
    errors.push(`accessibility bus: ${error.message}; the a11y rung has no tree`);
    return undefined;
  });
  const busEnv = bus?.env ?? display.env;
  if (bus?.env.DBUS_SESSION_BUS_ADDRESS) process.env.DBUS_SESSION_BUS_ADDRESS = bus.env.DBUS_SESSION_BUS_ADDRESS;
  const { createOcr } = await import('../../perception/ocr.ts');
  const ocr = await createOcr();
  const rows: DesktopConditionFigures[] = [];
  const tasksRun: DesktopResult['apps'] = [];
  const { recordX11 } = await import('../../engine/computer/recorder/x11-recorder.ts');
  const total = apps.length;
  let done = 0;
  try {
    for (const app of apps) {
      const tasks = desktopTasks.filter((task) => task.app === app.name && (!options.tasks?.length || options.tasks.includes(task.name))).slice(0, options.quick ? 1 : undefined);
      tasksRun.push({ name: app.name, toolkit: app.toolkit, split: app.split, tasks: tasks.length });
      if (tasks.some((task) => app.output === 'clipboard' && !task.actions.some((action) => action.kind === 'key'))) {
        errors.push(`${app.name}: not judged — the app cannot copy its result, so there is no output of its own to judge by`);
        continue;
      }
      const skills = new Map<string, { skill?: string; trajectory: string }>();
      for (const task of tasks) {
        try {
          const learning = await launchDesktop(display, busEnv, app, 'unchanged', join(options.work, 'homes'), options.signal);
          let script;
          try {
            script = await learnScript(ocr, learning, task, options.signal);
            const learned = await observe(learning);
            if (learned !== task.expected) throw new SkillframeError('internal', `doing ${task.name} by hand gave ${JSON.stringify(learned)}, not ${JSON.stringify(task.expected)}`);
          } finally {
            await learning.dispose();
          }
          const recording = await launchDesktop(display, busEnv, app, 'unchanged', join(options.work, 'homes'), options.signal);
          const trajectory = join(options.work, 'recordings', task.name);
          try {
            await recordX11({ attach: recording.windowId, out: trajectory, script, redactions: [], env: recording.env, stepGapMs: 600, signal: options.signal ?? new AbortController().signal });
            const recorded = await observe(recording);
            if (recorded !== task.expected) throw new SkillframeError('internal', `the recording of ${task.name} gave ${JSON.stringify(recorded)}`);
          } finally {
            await recording.dispose();
          }
          const built = engine ? await engine.build.buildSkill({ trajectoryDir: trajectory, outDir: join(options.work, 'skills', task.name), name: task.name, ocr, ...(options.signal ? { signal: options.signal } : {}) }) : undefined;
          skills.set(task.name, { trajectory, ...(built ? { skill: built.dir } : {}) });
          // Progress per step of the work, not per app: one app's seven conditions take longer than
          // the runner's stall watchdog on a loaded machine (Chromium: over 15 min at load 25).
          options.progress?.(done / total, `apps: ${app.name}: ${task.name} recorded`);
        } catch (error) {
          if (options.signal?.aborted) throw error;
          errors.push(`record ${task.name}: ${(error as Error).message.slice(0, 300)}`);
        }
      }
      for (const condition of conditions) {
        const engineSamples: Sample[] = [];
        const naiveSamples: Sample[] = [];
        for (const task of tasks) {
          const recorded = skills.get(task.name);
          if (!recorded) continue;
          for (const method of engine && recorded.skill ? (['engine', 'naive'] as const) : (['naive'] as const)) {
            let running: RunningDesktopApp | undefined;
            try {
              running = await launchDesktop(display, busEnv, app, condition, join(options.work, 'homes'), options.signal);
              if (method === 'engine' && engine && recorded.skill) {
                const title = (await windowGeometry(running.env, running.windowId)).title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
                const surface = await engine.x11.openX11Surface({ env: running.env, title: `^${title}$`, ...(options.signal ? { signal: options.signal } : {}) });
                try {
                  const evidence = join(options.work, 'evidence', condition, task.name);
                  const report = await engine.replay.replaySkill({ skillDirectory: recorded.skill, surface, confirm: 'auto', autoApproveTier: 'input', env: running.env, evidenceDirectory: evidence, ...(options.signal ? { signal: options.signal } : {}) });
                  // Which rung acted where, step by step: what a failed or wrong run is diagnosed from (kept with --keep).
                  mkdirSync(evidence, { recursive: true });
                  writeFileSync(join(evidence, 'report.json'), JSON.stringify(report, null, 1));
                  const judgement = judge(task, await observe(running), running, report.steps.filter((step) => step.status === 'done').length, report.ok);
                  if (!report.ok && report.error) judgement.notes.push(`replay: ${report.error.code}: ${report.error.message.slice(0, 200)}`);
                  engineSamples.push({ task: task.name, judgement, engineMs: report.steps.filter((step) => step.status === 'done' && typeof step.engineMs === 'number').map((step) => step.engineMs!), tiers: report.steps.filter((step) => step.status === 'done' && step.tier).map((step) => step.tier!) });
                } finally {
                  await surface.dispose();
                }
              } else {
                const { engineMs } = await naiveX11Replay(running, recorded.trajectory, options.signal, { afterInput: 400, afterKey: 700 });
                naiveSamples.push({ task: task.name, judgement: judge(task, await observe(running), running, Number.POSITIVE_INFINITY, undefined), engineMs, tiers: [] });
              }
            } catch (error) {
              if (options.signal?.aborted) throw error;
              errors.push(`${method} ${task.name} ${condition}: ${(error as Error).message.slice(0, 300)}`);
            } finally {
              await running?.dispose();
            }
          }
        }
        options.progress?.(done / total, `apps: ${app.name}: ${condition} replayed`);
        rows.push({ app: app.name, toolkit: app.toolkit, split: app.split, condition, family: desktopConditionFamily(condition), ...(engine ? { engine: figures(engineSamples, true) } : {}), naive: figures(naiveSamples, false) });
      }
      options.progress?.(++done / total, `apps: ${app.name} done`);
    }
    options.onResult?.(summarize(rows, tasksRun, errors, Boolean(engine)));
  } finally {
    await ocr.dispose();
    await bus?.dispose().catch(() => undefined);
    await setResources({ ...display.env, HOME: options.work }, '').catch(() => undefined);
    await display.dispose();
  }
  return summarize(rows, tasksRun, errors, Boolean(engine));
}

function summarize(rows: DesktopConditionFigures[], tasksRun: DesktopResult['apps'], errors: string[], engine: boolean): DesktopResult {
  const summary = {} as DesktopResult['summary'];
  for (const split of ['unseen', 'tune'] as const) {
    summary[split] = {};
    for (const family of ['all', 'unchanged', 'layout', 'theme-scale', 'covered']) {
      const chosen = rows.filter((row) => row.split === split && (family === 'all' || row.family === family));
      if (!chosen.length) continue;
      summary[split][family] = { ...(engine ? { engine: pool(chosen.flatMap((row) => (row.engine ? [row.engine] : []))) } : {}), naive: pool(chosen.map((row) => row.naive)) };
    }
  }
  return { apps: tasksRun, conditions: rows, summary, errors };
}

/** The many-app benchmark in a child process (desktop-child.ts), so the host outlives its display. */
export function runDesktopAppsIsolated(options: DesktopRunOptions): Promise<DesktopResult> {
  const { signal, progress, onResult: _onResult, ...payload } = options;
  return runBenchChild<DesktopResult>(fileURLToPath(new URL('./desktop-child.ts', import.meta.url)), payload, { ...(signal ? { signal } : {}), ...(progress ? { progress } : {}) }, 'the desktop-apps benchmark');
}
