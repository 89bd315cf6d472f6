import { randomUUID } from 'node:crypto';
import { basename, join } from 'node:path';
import { SkillframeError } from '../../../core/errors.ts';
import { rectContains } from '../../../core/geometry.ts';
import type { WindowInfo } from '../../../core/schemas/trajectory.ts';
import type { InputDriver, InputHooks } from '../../../native/input/input.ts';
import { createHooks } from '../../../native/input/index.ts';
import { formatChord, isPrintableKey } from '../../../native/input/keys.ts';
import { createScreen, type ScreenSource } from '../../../native/screen/index.ts';
import { countFrames, TrajectoryWriter } from '../../../skills-mm/trajectory/store.ts';
import { startScreenVideo, type ScreenVideo } from '../../../native/video/screen-video.ts';
import { createWindows, launchApp, sameXClient, type LaunchedApp, type WindowSystem } from '../../../native/window/index.ts';
import { appForWindow, appOrigin, describeAt, openAccessibility, popupNodes, type AccessibilitySession, type ReadNode } from '../accessibility.ts';
import type { AccessibleTarget } from '../../../core/schemas/trajectory.ts';
import { actionableRoles, usableExtents, walkNodes, type Accessibility, type AccessibleApp, type AccessibleNode, type AccessiblePathStep, type AccessibleRef } from '../../../native/a11y/index.ts';
import { sleep } from '../../../core/abort.ts';
import type { ScriptStep } from './script.ts';
import { redactDeep } from './privacy.ts';
import { RecordingSession, type Observation } from './session.ts';
import { recorderInfo, type CommonRecordOptions, type RecordResult } from './types.ts';

export interface X11RecordOptions extends CommonRecordOptions {
  /** Launch this command line … */
  app?: string;
  /** … or attach to a running window: a window id, "active", or a title regular expression. */
  attach?: string;
  /** Also record the screen to video.mp4. */
  video?: boolean;
  /** Leave a launched app running when the recording stops. */
  keepApp?: boolean;
  /** Replace real adapters (unit tests). */
  adapters?: { hooks?: InputHooks; screen?: ScreenSource; windows?: WindowSystem; input?: InputDriver; accessibility?: Accessibility };
}

/** Window titles that mean "a password is being typed here": typing is masked, the window blurred. */
const passwordWindow = /passw|passphrase|\bpin\b|authenticat|\bsudo\b|unlock|log ?in|sign ?in/i;

/**
 * Records an X11 app: global input through OS hooks (uiohook), screenshots before and after each
 * action, the active window's title and geometry, and optionally an mp4 of the session.
 */
export async function recordX11(options: X11RecordOptions): Promise<RecordResult> {
  const env = options.env ?? process.env;
  if (!env.DISPLAY) throw new SkillframeError('unavailable', 'recording an X11 app needs a display: DISPLAY is not set (run under a desktop or xvfb-run)');
  if (!options.app && !options.attach) throw new SkillframeError('bad_input', 'input.app: give --app "CMD" or --attach WINDOW');
  for (const [index, step] of (options.script ?? []).entries()) {
    if (step.action === 'click' && 'selector' in step) throw new SkillframeError('bad_input', `script[${index}]: a CSS selector click needs --url (web); on X11 click by "x" and "y"`);
  }
  const warnings: string[] = [];
  const log = (level: 'info' | 'warn', message: string) => {
    if (level === 'warn') warnings.push(message);
    options.onLog?.(level, message);
  };
  const started = Date.now();
  const disposers: (() => Promise<void> | void)[] = [];
  const windows = options.adapters?.windows ?? (await createWindows(env));
  disposers.push(() => windows.dispose());
  let launched: LaunchedApp | undefined;
  let session: RecordingSession | undefined;
  let writer: TrajectoryWriter | undefined;
  let hooks: InputHooks | undefined;
  let video: ScreenVideo | undefined;
  let stoppedBy: RecordResult['stoppedBy'] = options.script ? 'script' : 'signal';
  let accessibility: AccessibilitySession | undefined;
  try {
    // The accessibility tree names what each click hit (role, name, path) for replay's first rung.
    // An app Skillframe launches itself gets a private bus where the session has none (Xvfb, CI);
    // an attached app keeps the bus it started with. Where there is none, say so once.
    accessibility = await openAccessibility(env, options.adapters?.accessibility ? { client: options.adapters.accessibility } : { startBus: Boolean(options.app) });
    const a11y = accessibility;
    disposers.push(() => a11y.dispose());
    if (accessibility.warning) log('warn', `${accessibility.warning.code}: ${accessibility.warning.message}`);
    let window: WindowInfo;
    if (options.app) {
      const existing = new Set((await windows.find({})).map((item) => item.id));
      launched = await launchApp(options.app, { env: accessibility.env });
      const app = launched;
      disposers.push(() => (options.keepApp ? undefined : app.dispose()));
      window = await waitForAppWindow(windows, app, existing, options.signal);
    } else {
      window = await attachWindow(windows, options.attach as string, options.signal);
    }
    if (window.id) await windows.focus(window.id).catch(() => log('warn', `could not focus window ${window.id}`));
    await sleep(300, options.signal);
    window = (window.id ? await windows.info(window.id) : undefined) ?? window;
    // The window's title as it changes: what a step does to it (a modified mark going on save) is
    // evidence replay can check where the screen shows nothing of it.
    const recordedId = window.id;
    const titles = recordedId && windows.watchTitle ? await windows.watchTitle(recordedId).catch((error: Error) => void log('warn', `the window's title is not followed (${error.message}); steps get no title expectation`)) : undefined;
    if (titles) disposers.push(() => titles.dispose());
    // Started before the first frame is taken: input is recorded from then on.
    // Keystrokes go to the window that was active the moment they were typed: the window manager's
    // active window is followed as it changes (each new one read at once, while it exists), so a
    // lookup that lags behind fast typing no longer hands keys to whatever is active by then — a
    // Save As dialog's path to the editor after Enter closed it, or worse. Clicks read the window
    // live (its geometry maps the click).
    // With whether it is a dialog of another window (WM_TRANSIENT_FOR), read once per window: replay
    // types only into a window playing the same part (the main window, or a dialog of the app).
    const infos = new Map<string, Promise<WindowInfo | undefined>>();
    const infoOf = (id: string) => {
      let info = infos.get(id);
      if (!info) {
        const owner = windows.transientFor(id).catch(() => undefined);
        infos.set(id, (info = windows.info(id).then(async (found) => (found && (await owner) ? { ...found, transientFor: await owner } : found), () => undefined)));
      }
      return info;
    };
    const activeWindows = windows.watchActive ? await windows.watchActive((id) => void (id && infoOf(id))).catch((error: Error) => void log('warn', `the active window is not followed (${error.message}); keystrokes are attributed by lookup`)) : undefined;
    if (activeWindows) disposers.push(() => activeWindows.dispose());
    const size = await windows.screenSize();
    const screen = options.adapters?.screen ?? (await createScreen(env));
    disposers.push(() => screen.dispose());

    writer = TrajectoryWriter.create(options.out, {
      version: 1,
      id: randomUUID(),
      kind: 'x11',
      app: {
        name: appName(options.app, window),
        ...(options.app ? { command: options.app } : {}),
        ...(launched ? { pid: launched.pid } : window.pid ? { pid: window.pid } : {}),
        window,
      },
      screen: size,
      started: new Date().toISOString(),
      status: 'recording',
      mode: options.script ? 'script' : 'person',
      privacy: { passwordMasking: true, redact: options.redactions.map((pattern) => pattern.name) },
      recorder: recorderInfo,
    });
    const trajectory = writer;

    let currentWindow: WindowInfo | undefined = window;
    session = new RecordingSession(
      trajectory,
      {
        capture: async () => {
          const capture = await screen.capture();
          const mask = currentWindow && passwordWindow.test(currentWindow.title) ? [currentWindow.geometry] : [];
          return { capture, mask };
        },
      },
      {
        source: 'hook',
        redactions: options.redactions,
        settleMs: options.settleMs,
        onEvent: options.onEvent,
        onError: (error) => log('warn', `recording step failed: ${(error as Error).message}`),
        heardInput: true,
      },
    );
    await session.start();

    if (options.video) {
      try {
        video = await startScreenVideo({ path: join(options.out, 'video.mp4'), width: size.width, height: size.height, env });
        trajectory.updateMeta({ video: 'video.mp4' });
      } catch (error) {
        log('warn', `no video: ${(error as Error).message}`);
      }
    }

    const accessibleUnderPointer = accessibleLookup(accessibility.client, log);
    disposers.push(() => accessibleUnderPointer.dispose());
    // Hook events arrive on this thread in order; the window lookup is async, so a chain keeps order.
    const recordingSession = session;
    let lookups: Promise<void> = Promise.resolve();
    let down: { at: number; x: number; y: number; button: 'left' | 'right' | 'middle'; accessible: Promise<AccessibleTarget | undefined> } | undefined;
    // Every keystroke is attributed to the window active when it is handled, never to one seen
    // earlier (a password prompt can pop up between two keys). Lookups run in order behind the
    // hook, so focus that moved with no click in between moved at an unknown moment: the first
    // keystroke seen in the new window is masked, as is one whose window cannot be read.
    let known: WindowInfo | undefined = window;
    const recordedPid = window.pid ?? launched?.pid;
    let previousWindowId: string | undefined = window.id;
    const windowAt = async (at: number, live = false): Promise<WindowInfo | undefined> => {
      const id = activeWindows?.valueAt(at);
      if (!id) return undefined;
      // A pointer's window is read again (its geometry maps the click; a person may have moved it),
      // unless it is gone since: then as it was first read.
      const first = await infoOf(id);
      const info = (live ? await windows.info(id).catch(() => undefined) : undefined) ?? first;
      const title = id === recordedId ? titles?.valueAt(at) : undefined;
      const transientFor = first?.transientFor;
      return info && { ...info, ...(title !== undefined ? { title } : {}), ...(transientFor ? { transientFor } : {}) };
    };
    // Which field has the keyboard focus, read once per focus change (a click, a key that is not
    // text: Tab, arrows, Enter, chords) when the first character after it is typed — at that
    // moment, from the hook, not when the lagging lookup chain gets to it. A "password text" field
    // masks what is typed into it whatever the window's title says.
    let focusRead: Promise<string | undefined> | undefined;
    const withWindow = (observation: Observation, accessible?: Promise<AccessibleTarget | undefined>, focusedRole?: Promise<string | undefined>) => {
      lookups = lookups.then(async () => {
        const typing = observation.kind === 'char' || observation.kind === 'value' || (observation.kind === 'key' && observation.key !== undefined && isPrintableKey(observation.key));
        // The window active when the input came, not when this lagging chain reaches it: under load a
        // click on Save As was read seconds later, in the dialog it had opened.
        const followed = activeWindows !== undefined && (typing || activeWindows.live());
        const found = followed ? ((await windowAt(observation.startedAt ?? observation.at, !typing)) ?? (typing ? undefined : await windows.active().catch(() => undefined))) : await windows.active().catch(() => undefined);
        // Asked for at the press; the session waits for it when it writes the event, not here.
        if (accessible) observation.accessible = accessible;
        const active = found ?? known;
        if (found) known = found;
        if (active) {
          currentWindow = active;
          observation.window = active;
          observation.targetKey = `window:${active.id}`;
        }
        if (typing) {
          // A dialog of the recorded app itself (Save As, Find: same process) that is no password
          // prompt by its title is where a person types ordinary text — a path, a word. Focus taken
          // by another process's window, or one that cannot be read, stays unsure.
          const switched = previousWindowId !== undefined && found !== undefined && found.id !== previousWindowId;
          // Motif and Xt apps (nedit) set no _NET_WM_PID: their Save As dialog names no process, but
          // declares itself the recorded window's dialog (WM_TRANSIENT_FOR) and comes from the same X
          // client: the same app.
          const samePid = found !== undefined && recordedPid !== undefined && found.pid === recordedPid;
          const ownDialog = samePid || (switched && found?.pid === undefined && found?.id !== undefined && recordedId !== undefined && sameXClient(found.id, recordedId) && (await windows.transientFor(found.id).catch(() => undefined)) === recordedId);
          const unsure = !found || (switched && !ownDialog);
          if (unsure || (active && passwordWindow.test(active.title))) observation.masked = true;
          if ((await focusedRole) === 'password text') observation.masked = true;
        }
        previousWindowId = found?.id;
        recordingSession.observe(observation);
      });
    };
    hooks = options.adapters?.hooks ?? (await createHooks(env));
    await hooks.start((event) => {
      switch (event.type) {
        case 'mousedown':
          recordingSession.heard(event.at, 'click');
          // Asked at the press, before the click changes the UI (a menu that closes on release).
          down = { ...event, accessible: accessibleUnderPointer.describe(currentWindow, { x: event.x, y: event.y }) };
          return;
        case 'mouseup': {
          const start = down && down.button === event.button ? down : undefined;
          down = undefined;
          const moved = start && Math.hypot(event.x - start.x, event.y - start.y) > 8;
          if (moved && start) {
            withWindow({ kind: 'drag', at: start.at, startedAt: start.at, button: event.button, pointer: { x: start.x, y: start.y }, pointerEnd: { x: event.x, y: event.y } });
            return;
          }
          const kind = event.button === 'right' ? 'right_click' : event.button === 'middle' ? 'middle_click' : 'click';
          focusRead = undefined;
          withWindow({ kind, at: event.at, ...(start ? { startedAt: start.at } : {}), button: event.button, pointer: { x: event.x, y: event.y } }, start?.accessible);
          accessibleUnderPointer.settled(currentWindow, start?.accessible);
          return;
        }
        case 'wheel':
          recordingSession.heard(event.at, 'scroll');
          withWindow({ kind: 'scroll', at: event.at, pointer: { x: event.x, y: event.y }, scroll: { dx: event.dx, dy: event.dy } });
          return;
        case 'keydown': {
          if (event.isModifier) return;
          const chorded = event.modifiers.ctrl || event.modifiers.alt || event.modifiers.meta;
          recordingSession.heard(event.at, event.text !== undefined && !chorded ? 'char' : 'key');
          if (event.text !== undefined && !chorded) {
            focusRead ??= accessibleUnderPointer.focusedRole(currentWindow);
            withWindow({ kind: 'char', at: event.at, text: event.text }, undefined, focusRead);
            return;
          }
          const modifiers = (['ctrl', 'alt', 'shift', 'meta'] as const).filter((name) => event.modifiers[name]);
          const key = formatChord({ modifiers, key: event.key });
          // A printable key typed as a key event (masked typing stores it as text) reads the focus like a character.
          const printable = !chorded && isPrintableKey(key);
          if (printable) focusRead ??= accessibleUnderPointer.focusedRole(currentWindow);
          else focusRead = undefined;
          withWindow({ kind: 'key', at: event.at, key }, undefined, printable ? focusRead : undefined);
          return;
        }
        default:
          return;
      }
    });
    disposers.push(() => hooks?.dispose());

    const ended = waitForEnd(options, launched);
    if (options.script) {
      const input = options.adapters?.input ?? new (await import('../../../native/input/xdotool-input.ts')).XdotoolInput({ env, signal: options.signal });
      disposers.push(() => input.dispose());
      const outcome = await Promise.race([runX11Script(options.script, input, options.signal, options.stepGapMs ?? 700).then(() => 'script' as const), ended]);
      stoppedBy = outcome === 'script' ? 'script' : outcome;
      // Let the last step settle into its event before the hooks go quiet.
      if (stoppedBy === 'script') await sleep((options.settleMs ?? 450) + 900).catch(() => undefined);
    } else {
      stoppedBy = await ended;
    }
    await lookups;
    hooks.stop();
    await lookups;
    await session.close();
    if (titles) trajectory.updateMeta({ titles: redactDeep(titles.history().map(({ at, value }) => ({ at, title: value })), options.redactions).value });
    if (video) {
      const result = await video.stop();
      if (!result.ok) log('warn', 'the screen video did not finish cleanly');
    }
    trajectory.close();
    return {
      dir: options.out,
      kind: 'x11',
      events: trajectory.eventCount,
      frames: countFrames(options.out),
      durationMs: Date.now() - started,
      stoppedBy,
      ...(video ? { video: 'video.mp4' } : {}),
      warnings: [...warnings, ...session.errors.map((error) => String((error as Error).message ?? error))].filter((item, index, all) => all.indexOf(item) === index),
    };
  } finally {
    session?.abandon();
    hooks?.stop();
    video?.dispose();
    for (const dispose of disposers.reverse()) {
      try {
        await dispose();
      } catch {
        /* keep disposing the rest */
      }
    }
  }
}

async function runX11Script(steps: readonly ScriptStep[], input: InputDriver, signal: AbortSignal, gapMs: number): Promise<void> {
  for (const step of steps) {
    if (signal.aborted) return;
    switch (step.action) {
      case 'click':
        if ('x' in step) await input.click(step.x, step.y, { button: step.button, double: step.double });
        break;
      case 'type':
        await input.type(step.text);
        break;
      case 'press':
        await input.press(step.key);
        break;
      case 'wait':
        await sleep(step.ms, signal);
        break;
    }
    await sleep(gapMs, signal);
  }
}

/** Resolves with why the recording should end (the script path races this). */
function waitForEnd(options: X11RecordOptions, launched: LaunchedApp | undefined): Promise<'signal' | 'app_exit' | 'max_duration'> {
  return new Promise((resolve) => {
    if (options.signal.aborted) return resolve('signal');
    options.signal.addEventListener('abort', () => resolve('signal'), { once: true });
    launched?.exited.then(() => resolve('app_exit'));
    if (options.maxDurationMs) setTimeout(() => resolve('max_duration'), options.maxDurationMs).unref();
  });
}

async function waitForAppWindow(windows: WindowSystem, app: LaunchedApp, existing: Set<string | undefined>, signal: AbortSignal): Promise<WindowInfo> {
  const deadline = Date.now() + 20_000;
  let exited = false;
  app.exited.then(() => (exited = true));
  for (;;) {
    if (signal.aborted) throw new SkillframeError('aborted', 'stopped while waiting for the app window');
    const own = await windows.find({ pid: app.pid });
    if (own.length) return own[0];
    // Apps that hand off to another process (single-instance launchers) show a window with another pid.
    const fresh = (await windows.find({})).filter((window) => !existing.has(window.id));
    if (fresh.length && Date.now() > deadline - 17_000) return fresh[0];
    if (exited && !fresh.length) throw new SkillframeError('unavailable', `input.app: ${JSON.stringify(app.command)} exited before showing a window: ${app.stderr().trim().slice(-300)}`);
    if (Date.now() > deadline) throw new SkillframeError('timeout', `input.app: ${JSON.stringify(app.command)} showed no window within 20 s`);
    await sleep(150, signal);
  }
}

async function attachWindow(windows: WindowSystem, attach: string, signal: AbortSignal): Promise<WindowInfo> {
  if (attach === 'active') {
    const active = await windows.active();
    if (!active) throw new SkillframeError('not_found', 'input.attach: there is no active window');
    return active;
  }
  if (/^\d+$/.test(attach)) {
    const window = await windows.info(attach);
    if (!window) throw new SkillframeError('not_found', `input.attach: no window with id ${attach}`);
    return window;
  }
  return windows.waitFor({ title: attach }, { timeoutMs: 5000, signal }).catch((error) => {
    if (error instanceof SkillframeError && error.code === 'timeout') throw new SkillframeError('not_found', `input.attach: no visible window whose title matches ${JSON.stringify(attach)}`);
    throw error;
  });
}

function appName(command: string | undefined, window: WindowInfo): string {
  if (command) {
    const first = command.trim().split(/\s+/)[0];
    return basename(first);
  }
  return window.className ?? window.title;
}

/**
 * Describes the accessible under the pointer in the recorded window's app (bounded to 10 s: a slow
 * tree must not hold up recording). A menu opened by one action closes at the release of the click
 * on its item, often before that click is reported: the menus' items are read twice after every
 * action (`settled`; a slow app maps its menu late), and the next press is described from what
 * they showed first. Failures are logged once and the recording goes on with the visual descriptors.
 */
function accessibleLookup(client: Accessibility | undefined, log: (level: 'info' | 'warn', message: string) => void) {
  let warned = false;
  let generation = 0;
  /** Items seen showing since the last action (the union of its reads), and the reads. */
  let seen = new Map<string, ReadNode>();
  let allReads: Promise<void> = Promise.resolve();
  /** The last click opened (or may have opened) a menu: wait for both reads before describing the next. */
  /** Whether the last press opened a menu: true, false, or undefined when it could not be read. */
  let menuOpened: boolean | undefined = false;
  let lastDescribe: Promise<unknown> = Promise.resolve();
  /**
   * Parts of the UI the app announced it added or showed since the last press (AT-SPI
   * children-changed "add": a web page's disclosure menu, an expander; state-changed "visible": a
   * GTK 3 popover, whose push buttons are already in the tree, hidden, and only become visible;
   * state-changed "expanded": a GTK 4 menu button, whose popover menu is put under it as it opens):
   * their controls are read with the menus after a click, so the next press is described from what
   * showed — by the time a scripted press is reported, the click has often closed them (Chromium's
   * File menu answered the text area under it, and replay clicked that; gedit's ☰ › Save As… and
   * gnome-text-editor's ≡ › Save were recorded as their text views).
   */
  let announced: AccessibleRef[] = [];
  const stopListening = client?.listen
    ?.((event) => {
      const added = event.kind === 'Object:ChildrenChanged' && event.detail?.startsWith('add');
      const shown = event.kind === 'Object:StateChanged' && (event.detail === 'visible' || event.detail === 'expanded') && event.value === 1;
      if ((!added && !shown) || announced.length >= 32) return;
      if (!announced.some((ref) => ref.bus === event.bus && ref.path === event.path)) announced.push({ bus: event.bus, path: event.path });
    })
    .catch(() => undefined);
  /** Each app's menu bars, found once: later reads start there. */
  const menuBars = new Map<string, AccessibleNode[]>();
  const apps = new Map<string, Promise<Awaited<ReturnType<typeof appForWindow>>>>();
  const appOf = async (window: WindowInfo): Promise<AccessibleApp | undefined> => {
    const key = `${window.pid ?? ''}:${window.id ?? window.title}`;
    let app = apps.get(key);
    if (!app) apps.set(key, (app = appForWindow(client as Accessibility, window)));
    const found = await app;
    if (!found) apps.delete(key); // it may register later
    return found;
  };
  const fail = (error: unknown) => {
    if (!warned) log('warn', `accessibility lookup failed (${(error as Error).message}); recording continues with the visual descriptors`);
    warned = true;
    return undefined;
  };
  return {
    /** Stops hearing the apps' announcements. */
    async dispose(): Promise<void> {
      (await stopListening)?.();
    },
    /**
     * After a click: when what it hit opens a menu, read the menus once the UI had a moment to show
     * them, and again a little later (a loaded machine maps menus late). Other clicks read nothing.
     */
    settled(window: WindowInfo | undefined, clicked: Promise<AccessibleTarget | undefined> | undefined): void {
      if (!client || !window) return;
      const mine = (generation += 1);
      const items = (seen = new Map());
      const added = announced;
      let emptyReads = 0;
      const read = async () => {
        const app = mine === generation && (menuOpened !== false || added.length) ? await appOf(window) : undefined;
        if (!app || mine !== generation) return;
        if (menuOpened !== false) {
          const key = `${app.ref.bus}${app.ref.path}`;
          const found = await popupNodes(client, app, { from: menuBars.get(key) });
          if (!menuBars.has(key) && found.menuBars.length) menuBars.set(key, found.menuBars);
          for (const node of found.items) items.set(`${node.ref.bus}${node.ref.path}`, node);
          // Not known whether the click opened a menu (its press could not be described): two reads
          // in a row that find none showing say it opened none, and the next press is read normally.
          emptyReads = found.items.length ? 0 : emptyReads + 1;
          if (menuOpened === undefined && emptyReads >= 2 && mine === generation) menuOpened = false;
        }
        // A toolkit menu is read above, its items with the parents the toolkit gives them; what else
        // the app added is read when the click opened no such menu.
        else for (const node of await announcedControls(client, added.filter((ref) => ref.bus === app.ref.bus).slice(-6))) items.set(`${node.ref.bus}${node.ref.path}`, node);
      };
      // Then again every 700 ms until the next press (at most 8 s): a loaded machine can map a menu
      // seconds late, and an item read nowhere leaves its click to the visual rungs.
      const reads = async () => {
        await clicked;
        await sleep(300);
        await read();
        for (const started = Date.now(); mine === generation && Date.now() - started < 8000; ) {
          await sleep(700);
          if (mine !== generation) return;
          await read();
        }
      };
      allReads = reads().catch(() => undefined);
    },
    /**
     * The role of the node with the keyboard focus in the window's application (in its active
     * top-level window when one says so); undefined when the app exposes no tree or none has focus.
     */
    async focusedRole(window: WindowInfo | undefined): Promise<string | undefined> {
      if (!client || !window) return undefined;
      try {
        const app = await appOf(window);
        if (!app) return undefined;
        const tree = await client.tree(app.ref, { maxNodes: 4000, timeoutMs: 3000 });
        const tops = tree.root.children.filter((top) => top.states.includes('active'));
        let role: string | undefined;
        for (const top of tops.length ? tops : tree.root.children) {
          for (const node of walkNodes(top)) if (node.states.includes('focused')) role = node.role;
        }
        return role;
      } catch (error) {
        return fail(error);
      }
    },
    describe(window: WindowInfo | undefined, point: { x: number; y: number }): Promise<AccessibleTarget | undefined> {
      if (!client || !window) return Promise.resolve(undefined);
      // What showed before this press (a menu this click may close), not what shows after it; the
      // reads after the last click stop here (the one under way finishes).
      const items = seen;
      const reads = allReads;
      // Controls the app added after the last click are being read: this press waits for that read.
      const addedSince = announced.length > 0;
      announced = [];
      generation += 1;
      // One press at a time: whether the previous press opened a menu decides how this one is read.
      const prior = lastDescribe;
      const result = prior.then(async (): Promise<AccessibleTarget | undefined> => {
        // After a click that opened a menu (or one that could not be read: it may have), a press the
        // menu's items do not explain is not described by the window's hit test: the menu over it
        // may have closed since, and the text area under it is not what was clicked.
        const careful = menuOpened !== false;
        menuOpened = undefined;
        try {
          const app = await appOf(window);
          if (!app) return undefined;
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 10_000)));
          const described = await Promise.race([
            (careful || addedSince ? reads : Promise.resolve()).then(async () => {
              const popups = [...items.values()];
              // The app's space: GTK 4 answers hit tests and extents in its window's (appOrigin).
              const origin = await appOrigin(client, app, window).catch(() => ({ x: 0, y: 0 }));
              const local = { x: point.x - origin.x, y: point.y - origin.y };
              if (careful && !popups.some((node) => node.extents !== undefined && rectContains(node.extents, local))) return 'unexplained' as const;
              return describeAt(client, app, point, popups, origin);
            }),
            timeout,
          ]).finally(() => clearTimeout(timer));
          // A press the items do not explain closed the menu, and may have opened another (File in
          // the menu bar, when the last click could not be described): whether it did is unknown
          // until the reads after it tell. Taken as "no menu", the item clicked next was hit-tested
          // after its menu closed (kwrite under load: File › New recorded as the Save As button under it).
          if (described === 'unexplained') {
            menuOpened = undefined;
            return undefined;
          }
          menuOpened = described ? ['menu', 'menu item', 'popup menu', 'combo box'].includes(described.node.role) && described.node.childCount > 0 : undefined;
          return described?.target;
        } catch (error) {
          return fail(error);
        }
      });
      lastDescribe = result.catch(() => undefined);
      return result;
    },
  };
}


/**
 * The controls (actionable roles, showing, with extents) inside parts of the UI an app announced it
 * added, bounded per part (GTK 4 answers slowly: its ≡ popover, ~80 nodes, took over 1.5 s on an
 * idle machine): what a person saw and may press next. Each carries its path from the
 * application, read now: the click that presses it may close the part, and its nodes go with it.
 */
export async function announcedControls(client: Accessibility, refs: readonly AccessibleRef[]): Promise<ReadNode[]> {
  const controls: ReadNode[] = [];
  for (const ref of refs) {
    const [tree, rootPath] = await Promise.all([client.tree(ref, { maxNodes: 300, timeoutMs: 4000 }).catch(() => undefined), client.pathOf(ref).catch(() => undefined)]);
    if (!tree || !rootPath) continue;
    const visit = (node: AccessibleNode, path: AccessiblePathStep[]) => {
      if (actionableRoles.has(node.role) && node.states.includes('showing') && usableExtents(node.extents)) controls.push({ ...node, pathFromApp: path });
      for (const child of node.children) visit(child, [...path, { role: child.role, name: child.name, index: child.index }]);
    };
    visit(tree.root, rootPath);
  }
  return controls;
}
