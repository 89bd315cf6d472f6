import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkillframeError } from '../../core/errors.ts';
import type { WindowInfo } from '../../core/schemas/trajectory.ts';
import type { VirtualDisplay } from '../../native/display/xvfb.ts';
import { runProgram } from '../../native/process/run.ts';
import { launchApp, type LaunchedApp } from '../../native/window/index.ts';

/**
 * Generic drift for ANY X11 app under a window manager: where the window is, how big it is, the
 * GTK theme and the font size. The app itself is never changed; each launch gets a throwaway HOME
 * so its settings and files start clean.
 */
export const x11Conditions = ['unchanged', 'moved', 'resized', 'dark-theme', 'large-font'] as const;
export type X11Condition = (typeof x11Conditions)[number];

export function x11ConditionFamily(condition: X11Condition): 'unchanged' | 'layout' | 'theme-scale' {
  if (condition === 'unchanged') return 'unchanged';
  if (condition === 'moved' || condition === 'resized') return 'layout';
  return 'theme-scale';
}

export interface AppPlacement {
  /** Where the recording had the window (the unchanged condition). */
  base: { x: number; y: number; width?: number; height?: number };
  /** The moved condition's top-left. */
  moved: { x: number; y: number };
  /** The resized condition's size, as a factor of the base size. */
  resize: { width: number; height: number };
}

export const placements: Record<'galculator' | 'mousepad', AppPlacement> = {
  galculator: { base: { x: 500, y: 250 }, moved: { x: 1180, y: 560 }, resize: { width: 1.5, height: 1.3 } },
  mousepad: { base: { x: 300, y: 150, width: 900, height: 600 }, moved: { x: 880, y: 400 }, resize: { width: 1.4, height: 1.3 } },
};

/** The larger font of the large-font condition (GTK's default here is 10–11 pt). */
export const largeFont = 'DejaVu Sans 15';

export interface RunningApp {
  app: 'galculator' | 'mousepad';
  condition: X11Condition;
  env: NodeJS.ProcessEnv;
  home: string;
  /** mousepad: the file it edits (the ground truth of what was saved). */
  file?: string;
  process: LaunchedApp;
  windowId: string;
  window(): Promise<WindowInfo>;
  dispose(): Promise<void>;
}

async function xdotool(env: NodeJS.ProcessEnv, args: string[], signal?: AbortSignal): Promise<string> {
  const result = await runProgram('xdotool', args, { env, timeoutMs: 15_000, signal });
  if (result.code !== 0) throw new SkillframeError('unavailable', `xdotool ${args.join(' ')} failed: ${result.stderr.trim().slice(0, 200)}`);
  return result.stdout;
}

/**
 * The client area's true position and size. (xdotool's getwindowgeometry adds the window
 * manager's frame offsets to a reparented window's position under openbox: 1 px border and the
 * 20 px title bar too many. xwininfo's absolute corner is what the screen shows.)
 */
export async function windowGeometry(env: NodeJS.ProcessEnv, id: string): Promise<WindowInfo> {
  const result = await runProgram('xwininfo', ['-id', id], { env, timeoutMs: 10_000 });
  if (result.code !== 0) throw new SkillframeError('unavailable', `xwininfo -id ${id} failed: ${result.stderr.trim().slice(0, 200)}`);
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(-?\\d+)`).exec(result.stdout)?.[1]);
  const title = /Window id: \S+ "(.*)"/.exec(result.stdout)?.[1] ?? '';
  return { id, title, geometry: { x: field('Absolute upper-left X'), y: field('Absolute upper-left Y'), width: field('Width'), height: field('Height') } };
}

async function settleGeometry(env: NodeJS.ProcessEnv, id: string, want: (info: WindowInfo) => boolean): Promise<WindowInfo> {
  let info = await windowGeometry(env, id);
  for (let attempt = 0; attempt < 20 && !want(info); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    info = await windowGeometry(env, id);
  }
  return info;
}

/** Moves the window so its client area's top-left lands at (x, y), whatever the frame adds. */
export async function moveWindow(env: NodeJS.ProcessEnv, id: string, x: number, y: number): Promise<WindowInfo> {
  await xdotool(env, ['windowmove', '--sync', id, String(x), String(y)]).catch(() => xdotool(env, ['windowmove', id, String(x), String(y)]));
  let info = await settleGeometry(env, id, () => true);
  // Window managers apply the position to the frame; correct once by what the client ended up at.
  const dx = x - info.geometry.x;
  const dy = y - info.geometry.y;
  if (dx !== 0 || dy !== 0) {
    await xdotool(env, ['windowmove', id, String(x + dx), String(y + dy)]);
    info = await settleGeometry(env, id, (now) => now.geometry.x === x && now.geometry.y === y);
  }
  return info;
}

export async function resizeWindow(env: NodeJS.ProcessEnv, id: string, width: number, height: number): Promise<WindowInfo> {
  await xdotool(env, ['windowsize', id, String(width), String(height)]);
  return settleGeometry(env, id, (now) => now.geometry.width === width && now.geometry.height === height);
}

/**
 * Starts the app under a condition: a clean HOME, the theme or font in the environment or in
 * gtk-3.0/settings.ini, then the window placed as the condition says.
 */
export async function launchUnderCondition(display: VirtualDisplay, app: 'galculator' | 'mousepad', condition: X11Condition, workDirectory: string, signal?: AbortSignal): Promise<RunningApp> {
  mkdirSync(workDirectory, { recursive: true });
  const home = mkdtempSync(join(workDirectory, `home-${app}-`));
  const config = join(home, '.config');
  mkdirSync(join(config, 'gtk-3.0'), { recursive: true });
  if (condition === 'large-font') writeFileSync(join(config, 'gtk-3.0', 'settings.ini'), `[Settings]\ngtk-font-name=${largeFont}\n`);
  const env: NodeJS.ProcessEnv = { ...display.env, HOME: home, XDG_CONFIG_HOME: config, XDG_DATA_HOME: join(home, '.local', 'share'), XDG_CACHE_HOME: join(home, '.cache'), NO_AT_BRIDGE: '1', GTK_THEME: condition === 'dark-theme' ? 'Adwaita:dark' : 'Adwaita' };
  // A private app instance: no session bus, so mousepad cannot hand the file to another instance.
  delete env.DBUS_SESSION_BUS_ADDRESS;
  let file: string | undefined;
  let command = 'galculator';
  if (app === 'mousepad') {
    file = join(home, 'note.txt');
    writeFileSync(file, '');
    command = `mousepad ${file}`;
  }
  const launched = await launchApp(command, { env, signal });
  try {
    const title = app === 'galculator' ? '^galculator$' : 'note\\.txt';
    // The first match can be a transient window the app replaces while starting: take a window
    // that still exists and has a real size.
    let windowId = '';
    for (let attempt = 0; attempt < 100 && !windowId; attempt += 1) {
      if (signal?.aborted) throw new SkillframeError('aborted', 'benchmark cancelled');
      const result = await runProgram('xdotool', ['search', '--onlyvisible', '--name', title], { env, timeoutMs: 5_000 });
      for (const id of result.stdout.trim().split('\n').filter(Boolean).reverse()) {
        const info = await windowGeometry(env, id).catch(() => undefined);
        if (info && info.geometry.width > 50 && info.geometry.height > 50) {
          windowId = id;
          break;
        }
      }
      if (!windowId) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!windowId) throw new SkillframeError('unavailable', `${app} showed no window in 10 s: ${launched.stderr().slice(-300)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (!(await windowGeometry(env, windowId).catch(() => undefined))) throw new SkillframeError('unavailable', `${app}'s window ${windowId} went away while starting`);
    const placement = placements[app];
    if (placement.base.width && placement.base.height) await resizeWindow(env, windowId, placement.base.width, placement.base.height);
    await moveWindow(env, windowId, placement.base.x, placement.base.y);
    if (condition === 'resized') {
      const { geometry } = await windowGeometry(env, windowId);
      await resizeWindow(env, windowId, Math.round(geometry.width * placement.resize.width), Math.round(geometry.height * placement.resize.height));
    }
    if (condition === 'moved') await moveWindow(env, windowId, placement.moved.x, placement.moved.y);
    await xdotool(env, ['windowactivate', '--sync', windowId]).catch(() => xdotool(env, ['windowfocus', windowId]));
    await new Promise((resolve) => setTimeout(resolve, 400));
    return {
      app,
      condition,
      env,
      home,
      file,
      process: launched,
      windowId,
      window: () => windowGeometry(env, windowId),
      async dispose() {
        await launched.dispose();
        rmSync(home, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await launched.dispose();
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
}
