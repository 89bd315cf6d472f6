import { SkillframeError, rectContains } from '../../../core/index.ts';
import type { InputDriver } from '../../../native/input/input.ts';
import { createInput } from '../../../native/input/index.ts';
import { createScreen } from '../../../native/screen/index.ts';
import type { ScreenSource } from '../../../native/screen/screen.ts';
import { createWindows, launchApp, sameXClient, type LaunchedApp, type PropertyWatch, type WindowInfo, type WindowSystem } from '../../../native/window/index.ts';
import type { RgbaImage } from '../../../native/image.ts';
import { openAccessibility, WindowAccessibility, type AccessibilitySession } from '../accessibility.ts';
import type { Surface } from './surface.ts';
import type { KeyboardWindow } from '../../../core/schemas/skill.ts';
import { sleep } from '../../../core/abort.ts';
import { describeRecorded, keyboardWindowMismatch, keyboardWindowWaitMs } from './keyboard-window.ts';

export interface X11SurfaceOptions {
  env?: NodeJS.ProcessEnv;
  /** Launch this command (the caller asked for it) … */
  app?: string;
  /** … or attach to a running window matching this title (regular expression) or the active one. */
  title?: string;
  className?: string;
  signal?: AbortSignal;
  /** How long a launched app has to show its window. */
  timeoutMs?: number;
}

/**
 * An X11 app window as a replay surface: the screen is captured whole (plans are in screen
 * pixels), input goes through robotjs on this process's display or xdotool on another one.
 */
export async function openX11Surface(options: X11SurfaceOptions): Promise<Surface & { windowId: string }> {
  const env = options.env ?? process.env;
  if (!env.DISPLAY) throw new SkillframeError('unavailable', 'replaying an X11 app needs a display: DISPLAY is not set (run under xvfb-run or on a desktop)');
  const windows: WindowSystem = await createWindows(env);
  let launched: LaunchedApp | undefined;
  let screen: ScreenSource | undefined;
  let input: InputDriver | undefined;
  // The accessibility bus of the desktop session, or — for an app launched here — a private one where
  // there is none (Xvfb, CI): the `a11y` rung needs the app to expose its tree; without a bus it
  // says so once and the ladder goes on visually.
  const accessibilitySession: AccessibilitySession = await openAccessibility(env, { startBus: Boolean(options.app) });
  try {
    let window: WindowInfo | undefined;
    if (options.app) {
      launched = await launchApp(options.app, { env: accessibilitySession.env, signal: options.signal });
      const byPid = windows.waitFor({ pid: launched.pid }, { timeoutMs: options.timeoutMs ?? 20_000, signal: options.signal });
      const exited = launched.exited.then((code) => {
        throw new SkillframeError('unavailable', `input.app: ${JSON.stringify(options.app)} exited (${code}) before showing a window: ${launched?.stderr().slice(-300)}`);
      });
      window = await Promise.race([byPid, exited]);
    } else {
      const query = { ...(options.title ? { title: options.title } : {}), ...(options.className ? { className: options.className } : {}) };
      window = Object.keys(query).length ? pickMainWindow(await windows.find(query), await windows.active()) : await windows.active();
      if (!window) throw new SkillframeError('not_found', `no window to attach to${options.title ? ` with a title like ${JSON.stringify(options.title)}` : ''}`);
    }
    const windowId = window.id;
    if (!windowId) throw new SkillframeError('unavailable', 'the window has no id');
    screen = await createScreen(env);
    input = await createInput(env.DISPLAY === process.env.DISPLAY ? 'robot' : 'xdotool', { env, signal: options.signal });
    const liveScreen = screen;
    const liveInput = input;
    const main = window;
    const accessibility = new WindowAccessibility(accessibilitySession, () => windows.info(windowId));
    // The window manager's own notices of which window is active (no lookup per click); where the
    // system cannot follow it, each click asks.
    // Likewise the stacking order: while nothing is stacked above the app, no other program's
    // window can cover a point of it, and a click needs no query of what lies above.
    // And the window's title, which verifies steps recorded as changing it (a save's mark going).
    const [activeWatch, stackingWatch, titleWatch] = await Promise.all([windows.watchActive?.().catch(() => undefined), windows.watchStacking?.().catch(() => undefined), windows.watchTitle?.(windowId).catch(() => undefined)]);
    const coverable = async () => !(await topOfStack(stackingWatch, windowId));
    const focus = async () => {
      if (activeWatch?.valueAt(Date.now()) === windowId) return;
      await windows.focus(windowId).catch(() => undefined);
    };
    // Keys go only where the replay is: the app is brought to the front once, at the start; after
    // that a window that takes the focus stops the replay instead of being overruled.
    await focus();
    // The window the last keys went to: the main window or one of its dialogs (Save As …).
    let keyTarget: WindowInfo | undefined;
    // Time spent in the safety checks before each input (the window in front, nothing covering the
    // point, keys to the replay's own window): engine work, not the input itself.
    let guardMs = 0;
    const guard = async (work: () => Promise<void>) => {
      const started = Date.now();
      try {
        await work();
      } finally {
        guardMs += Date.now() - started;
      }
    };
    const keysToOwnWindow = (recorded: KeyboardWindow | undefined) =>
      guard(async () => {
        // The window manager's own notice says the replay's window has the focus: no query needed
        // (its notices that are already waiting in the pipe are read first) — unless the keys were
        // recorded going to a dialog, which must be found.
        if (activeWatch) await new Promise((resolve) => setImmediate(resolve));
        keyTarget = recorded?.role !== 'dialog' && activeWatch?.valueAt(Date.now()) === windowId ? main : await assertKeyboardTarget(windows, main, recorded, { signal: options.signal });
      });
    return {
      kind: 'x11',
      windowId,
      capture: async (): Promise<RgbaImage> => {
        const capture = await liveScreen.capture();
        return capture;
      },
      captureRegion: async (region): Promise<RgbaImage> => {
        const capture = await liveScreen.capture({ x: region[0], y: region[1], width: region[2], height: region[3] });
        return capture;
      },
      guardMs: () => guardMs,
      click: async (point, clickOptions = {}) => {
        await guard(async () => {
          await focus();
          if (await coverable()) await assertNotCovered(windows, main, point);
        });
        await liveInput.click(Math.round(point.x), Math.round(point.y), { button: clickOptions.button ?? 'left', double: clickOptions.count === 2 });
      },
      type: async (text, typeOptions) => {
        await keysToOwnWindow(typeOptions?.window);
        await liveInput.type(text);
      },
      press: async (chord, pressOptions) => {
        await keysToOwnWindow(pressOptions?.window);
        await liveInput.press(chord);
      },
      scroll: async (point, dx, dy) => {
        await liveInput.scroll(dx, dy, point);
      },
      hover: async (point) => {
        await guard(focus);
        await liveInput.move(Math.round(point.x), Math.round(point.y));
      },
      select: async () => {
        throw new SkillframeError('unavailable', 'choosing a list-box option by value needs a DOM; on X11 record the clicks that open the list and pick the item');
      },
      drag: async () => {
        throw new SkillframeError('unavailable', 'drag is not replayed on X11 yet: the input driver has no press-move-release');
      },
      uncover: async (point) => ((await coverable()) ? uncover(windows, main, point) : undefined),
      window: async () => windows.info(windowId),
      title: async () => (await heardValue(titleWatch)) ?? (await windows.info(windowId).catch(() => undefined))?.title,
      dialogTitled: (title) => activeOwnDialog(windows, main, title),
      activeDialog: () => activeOwnDialog(windows, main),
      keyboardDialog: async () => (keyTarget?.id && keyTarget.id !== windowId ? windows.info(keyTarget.id).catch(() => undefined) : undefined),
      accessibility,
      alive: async () => Boolean(await windows.info(windowId).catch(() => undefined)),
      dispose: async () => {
        activeWatch?.dispose();
        stackingWatch?.dispose();
        titleWatch?.dispose();
        liveInput.dispose();
        liveScreen.dispose();
        windows.dispose();
        await launched?.dispose();
        await accessibility.dispose();
      },
    };
  } catch (error) {
    input?.dispose();
    screen?.dispose();
    windows.dispose();
    await launched?.dispose();
    await accessibilitySession.dispose();
    throw error;
  }
}

/**
 * Whether the window manager's own notices say the window is the top of the stacking order, so
 * that no other program's window can cover any point of it. Notices already waiting in the pipe are
 * read first; no notice yet, or a watch that stopped hearing them, proves nothing (false: ask).
 */
export async function topOfStack(watch: PropertyWatch<readonly string[]> | undefined, windowId: string): Promise<boolean> {
  const order = await heardValue(watch);
  return order !== undefined && order.length > 0 && order[order.length - 1] === windowId;
}

/**
 * What a watch's notices say now, those already waiting in the pipe read first; undefined when it
 * has heard none, or stopped hearing them (its last value may be stale): then ask instead.
 */
export async function heardValue<T>(watch: PropertyWatch<T> | undefined): Promise<T | undefined> {
  if (!watch?.live()) return undefined;
  await new Promise((resolve) => setImmediate(resolve));
  return watch.live() ? watch.valueAt(Date.now()) : undefined;
}

/**
 * A click lands on whatever window is on top there: one of another program stacked over the app
 * at the point (a note kept on top, a notification) would take it. `unsafe`, with that window
 * named. The app's own windows (its dialogs) are its to click.
 */
export async function assertNotCovered(windows: WindowSystem, main: WindowInfo, point: { x: number; y: number }): Promise<void> {
  if (!windows.stackedAbove || !main.id) return;
  const above = await windows.stackedAbove(main.id).catch(() => []);
  const cover = above.find((window) => rectContains(window.geometry, point) && !(main.pid !== undefined && window.pid === main.pid));
  if (cover) throw new SkillframeError('unsafe', `the click at (${Math.round(point.x)},${Math.round(point.y)}) would land on another program's window, ${JSON.stringify(cover.title)}${cover.pid === undefined ? '' : ` (pid ${cover.pid})`}, stacked over the app`, { point, window: cover });
}

/** Room left around the app's client area for its own frame (title bar, borders) when it is placed. */
const frameRoom = 40;

/**
 * Moves the app's window clear of other programs' windows stacked over it, when one covers
 * `point`: to the free place on screen nearest to where it is (candidates: beside each such
 * window, or against a screen edge). Answers what it did; undefined when nothing covered the
 * point or no place is free.
 */
export async function uncover(windows: WindowSystem, main: WindowInfo, point: { x: number; y: number }): Promise<string | undefined> {
  if (!windows.stackedAbove || !main.id) return undefined;
  // One query in the common case (nothing stacked above the app).
  const others = (await windows.stackedAbove(main.id).catch(() => [])).filter((window) => !(main.pid !== undefined && window.pid === main.pid));
  const covering = others.find((window) => rectContains(window.geometry, point));
  if (!covering) return undefined;
  const now = await windows.info(main.id).catch(() => undefined);
  if (!now) return undefined;
  const screen = await windows.screenSize().catch(() => undefined);
  if (!screen) return undefined;
  const { width, height, x, y } = now.geometry;
  const xs = [x, frameRoom, screen.width - width - frameRoom, ...others.flatMap((other) => [other.geometry.x + other.geometry.width + frameRoom, other.geometry.x - width - frameRoom])];
  const ys = [y, frameRoom, screen.height - height - frameRoom, ...others.flatMap((other) => [other.geometry.y + other.geometry.height + frameRoom, other.geometry.y - height - frameRoom])];
  const overlaps = (left: number, top: number) =>
    others.some((other) => left - frameRoom < other.geometry.x + other.geometry.width && other.geometry.x < left + width + frameRoom && top - frameRoom < other.geometry.y + other.geometry.height && other.geometry.y < top + height + frameRoom);
  const places = xs.flatMap((left) => ys.map((top) => ({ left, top })))
    .filter(({ left, top }) => left >= frameRoom && top >= frameRoom && left + width + frameRoom <= screen.width && top + height + frameRoom <= screen.height && !overlaps(left, top))
    .sort((a, b) => Math.hypot(a.left - x, a.top - y) - Math.hypot(b.left - x, b.top - y));
  const place = places[0];
  if (!place) return undefined;
  await windows.move(main.id, place.left, place.top);
  // The app repaints what the move exposed before anything is read off the screen.
  await new Promise((resolve) => setTimeout(resolve, 250));
  const moved = await windows.info(main.id).catch(() => undefined);
  if (!moved || (moved.geometry.x === x && moved.geometry.y === y)) return undefined;
  return `another program's window, ${JSON.stringify(covering.title)}, covered (${Math.round(point.x)},${Math.round(point.y)}): moved the app's window from (${x},${y}) to (${moved.geometry.x},${moved.geometry.y})`;
}

/**
 * Of the windows that match (an app may own tooltips and popups with the same title and class),
 * the active one if it matches, else the biggest: the app's main window.
 */
export function pickMainWindow(candidates: WindowInfo[], active: WindowInfo | undefined): WindowInfo | undefined {
  if (active && candidates.some((candidate) => candidate.id === active.id)) return active;
  return [...candidates].sort((a, b) => b.geometry.width * b.geometry.height - a.geometry.width * a.geometry.height)[0];
}

/**
 * Before a key reaches the keyboard: the active window must be the replay's window or a dialog of
 * the same app (transient for one of its windows, e.g. Save As). Anything else — another app, a
 * second main window of the app, no active window at all — is `unsafe`, with both windows named.
 * Where the step recorded which window its keys went to (`recorded`), the active one must also play
 * the same part: a dialog of the app (whose title agrees by its words) for keys typed into a dialog,
 * the main window for keys typed there. A dialog may still be opening, or closing: that is waited
 * for (`waitMs`), then the keys are refused with what was expected and what is active.
 * Answers the window the keys will go to.
 */
export async function assertKeyboardTarget(windows: WindowSystem, main: WindowInfo, recorded?: KeyboardWindow, options: { waitMs?: number; signal?: AbortSignal } = {}): Promise<WindowInfo> {
  // The common case in one query; the active window is described only when it is another one.
  if (recorded?.role !== 'dialog' && main.id && (await windows.activeWindowId().catch(() => undefined)) === main.id) return main;
  const waitMs = recorded ? (options.waitMs ?? keyboardWindowWaitMs) : 0;
  const started = Date.now();
  for (;;) {
    const active = await windows.active().catch(() => undefined);
    const part = active && active.id === main.id ? 'main' : active && (await isOwnDialog(windows, main, active)) ? 'dialog' : undefined;
    const waited = Date.now() - started;
    // Another program's window (or a second window of the app that is no dialog of it) has the keyboard.
    if (!part && (active || waited >= waitMs)) {
      const now = await windows.info(main.id ?? '').catch(() => undefined);
      throw new SkillframeError(
        'unsafe',
        `refusing to type: the active window is ${active ? describeWindow(active) : 'unknown (no window manager reports one)'}, not the replay's window ${describeWindow(now ?? main)} or one of its dialogs`,
        { expected: now ?? main, active: active ?? null },
      );
    }
    if (active && part) {
      if (!recorded) return active;
      const mainNow = part === 'main' ? active : await windows.info(main.id ?? '').catch(() => undefined);
      const mismatch = keyboardWindowMismatch(recorded, part, active, [mainNow?.title ?? main.title]);
      if (!mismatch) return active;
      if (waited >= waitMs) {
        throw new SkillframeError('unsafe', `refusing to type: ${mismatch} — the active window is ${part === 'main' ? "the app's main window" : "the app's dialog"} ${describeWindow(active)} (waited ${waited} ms for ${describeRecorded(recorded)})`, { expected: recorded, active, waitedMs: waited });
      }
    }
    await sleep(100, options.signal);
  }
}

/** Whether `window` is one of the app's own dialogs: transient for one of its windows (Save As, Find and Replace). */
async function isOwnDialog(windows: WindowSystem, main: WindowInfo, window: WindowInfo): Promise<boolean> {
  if (!window.id || window.id === main.id) return false;
  const owner = await windows.transientFor(window.id).catch(() => undefined);
  if (owner && sameApp(window, main)) return true;
  // Tk and Motif set no _NET_WM_PID, and Tk gives its file dialog a class of its own (TkFDialog
  // beside tkcon's Tkcon): a dialog that names no process, declares itself the replay window's
  // own (WM_TRANSIENT_FOR) and was made by the same X client is the app's.
  return owner !== undefined && owner === main.id && window.pid === undefined && sameXClient(window.id, main.id);
}

/**
 * The app's dialog titled `title` (any title when none is given) when it is the active window: a
 * step recorded in a dialog is found in that dialog, not through the main window.
 */
export async function activeOwnDialog(windows: WindowSystem, main: WindowInfo, title?: string): Promise<WindowInfo | undefined> {
  if (main.id && (await windows.activeWindowId().catch(() => undefined)) === main.id) return undefined;
  const active = await windows.active().catch(() => undefined);
  return active && (title === undefined || active.title === title) && (await isOwnDialog(windows, main, active)) ? active : undefined;
}

function sameApp(window: WindowInfo, main: WindowInfo): boolean {
  if (window.pid !== undefined && main.pid !== undefined) return window.pid === main.pid;
  return Boolean(window.className && main.className && window.className === main.className);
}

function describeWindow(window: WindowInfo): string {
  return `${JSON.stringify(window.title)} (id ${window.id ?? '?'}${window.className ? `, class ${window.className}` : ''}${window.pid !== undefined ? `, pid ${window.pid}` : ''})`;
}
