import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openAtspi, startAccessibilityBus, usableExtents, type Accessibility, type AccessibilityBus, type AccessibleNode } from '../../native/a11y/index.ts';
import { actionableInWindow, appForWindow } from '../../engine/computer/accessibility.ts';
import { runProgram } from '../../native/process/run.ts';
import type { WindowInfo } from '../../native/window/window.ts';
import { startDisplay, type VirtualDisplay } from '../../native/display/xvfb.ts';
import { launchApp, type LaunchedApp } from '../../native/window/launch.ts';
import { XdotoolWindows } from '../../native/window/xdotool-windows.ts';
import { temporaryHome } from './home.ts';

export interface DesktopSession {
  display: VirtualDisplay;
  home: ReturnType<typeof temporaryHome>;
  /** DISPLAY, a throwaway SKILLFRAME_HOME and a user HOME of its own (apps write their config there). */
  env: NodeJS.ProcessEnv;
  windows: XdotoolWindows;
  dispose(): Promise<void>;
}

/**
 * An Xvfb display with a window manager, a throwaway home and a window system for one e2e file.
 * Accessibility stays off unless asked for: these files test the visual rungs.
 */
export async function startDesktopSession(options: { width?: number; height?: number; accessibility?: boolean } = {}): Promise<DesktopSession> {
  const home = temporaryHome();
  const display = await startDisplay({ width: options.width ?? 1280, height: options.height ?? 800 });
  const user = join(home.path, 'user');
  mkdirSync(user, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...display.env, SKILLFRAME_HOME: home.path, HOME: user, ...(options.accessibility ? {} : { NO_AT_BRIDGE: '1' }) };
  const windows = new XdotoolWindows(env);
  return {
    display,
    home,
    env,
    windows,
    async dispose() {
      windows.dispose();
      await display.dispose();
      home.dispose();
    },
  };
}

export interface AccessibleDisplay {
  display: VirtualDisplay;
  bus: AccessibilityBus;
  client: Accessibility;
  dispose(): Promise<void>;
}

/** An Xvfb display with a private accessibility bus and an AT-SPI client on it, for e2e files that read the tree. */
export async function startAccessibleDisplay(options: { width?: number; height?: number } = {}): Promise<AccessibleDisplay> {
  const display = await startDisplay({ width: options.width ?? 1280, height: options.height ?? 800 });
  const bus = await startAccessibilityBus(display.env);
  const client = await openAtspi({ env: bus.env, callTimeoutMs: 15_000 });
  return {
    display,
    bus,
    client,
    async dispose() {
      client.dispose();
      await bus.dispose();
      await display.dispose();
    },
  };
}

/** mousepad on `file`, emptied first, once its window shows and has laid out its text area. */
export async function openEmptyNote(session: DesktopSession, file: string): Promise<{ app: LaunchedApp; windowId: string }> {
  writeFileSync(file, '');
  const app = await launchApp(`mousepad ${file}`, { env: session.env });
  const window = await session.windows.waitFor({ pid: app.pid }, { timeoutMs: 30_000 });
  // A window that has mapped may still be laying out its text area.
  await new Promise((resolve) => setTimeout(resolve, 800));
  return { app, windowId: window.id! };
}

/** What the accessible editor helpers need: the display's environment (its accessibility bus), an AT-SPI client and the window system. */
export interface AccessibleDesk {
  env: NodeJS.ProcessEnv;
  client: Accessibility;
  windows: XdotoolWindows;
}

/**
 * An editor (`command`) launched on the desk, placed at (100, 80) at 760×520, once its tree shows a
 * File menu and a text area; the launched app is pushed to `running` at once (disposed by the caller).
 */
export async function openAccessibleEditor(desk: AccessibleDesk, command: string, running: LaunchedApp[]): Promise<{ launched: LaunchedApp; window: WindowInfo; nodes: Awaited<ReturnType<typeof actionableInWindow>> }> {
  const launched = await launchApp(command, { env: desk.env });
  running.push(launched);
  const window = await desk.windows.waitFor({ pid: launched.pid }, { timeoutMs: 30_000 });
  await desk.windows.move(window.id!, 100, 80);
  await desk.windows.resize(window.id!, 760, 520);
  for (let tries = 0; tries < 60; tries += 1) {
    const live = (await desk.windows.info(window.id!))!;
    const app = await appForWindow(desk.client, live);
    const nodes = app ? await actionableInWindow(desk.client, live) : [];
    if (nodes.some((node) => node.name === 'File') && nodes.some((node) => node.role === 'text')) return { launched, window: live, nodes };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${command}: no File menu and text area in its accessibility tree`);
}

export const centre = (box: { x: number; y: number; width: number; height: number }) => ({ x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) });

/** Where the File menu's item named like `item` shows once File (at `file`) is open: read from the tree, the menu closed again after. */
export async function menuItemPoint(desk: AccessibleDesk, file: { x: number; y: number }, windowId: string, pid: number, item: RegExp): Promise<{ x: number; y: number }> {
  await runProgram('xdotool', ['mousemove', String(file.x), String(file.y), 'click', '1'], { env: desk.env, timeoutMs: 5_000 });
  try {
    for (let tries = 0; tries < 30; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const live = (await desk.windows.info(windowId))!;
      const app = (await appForWindow(desk.client, { ...live, pid }))!;
      const tops = await desk.client.children(app.ref);
      for (const top of tops.filter((node) => node.states.includes('showing'))) {
        const tree = await desk.client.tree(top.ref);
        const stack: AccessibleNode[] = [tree.root];
        while (stack.length) {
          const node = stack.pop()!;
          stack.push(...node.children);
          const box = usableExtents(node.extents);
          if (item.test(node.name) && node.role.includes('menu item') && box && node.states.includes('showing')) return centre(box);
        }
      }
    }
    throw new Error(`no menu item like ${item} showed`);
  } finally {
    await runProgram('xdotool', ['key', 'Escape'], { env: desk.env, timeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/**
 * The note task as a recorder script: click into the text, type `note`, File › Save As…, type
 * `name` into the dialog (after `beforeName`, e.g. ctrl+a over a name the dialog offers), `saveWith`.
 */
export function saveAsScript(points: { text: { x: number; y: number }; file: { x: number; y: number }; saveAs: { x: number; y: number } }, note: string, name: string, options: { saveWith?: string; beforeName?: string[] } = {}) {
  return [
    { action: 'click', x: points.text.x, y: points.text.y },
    { action: 'type', text: note },
    { action: 'click', x: points.file.x, y: points.file.y },
    { action: 'wait', ms: 500 },
    { action: 'click', x: points.saveAs.x, y: points.saveAs.y },
    { action: 'wait', ms: 1500 },
    ...(options.beforeName ?? []).map((key) => ({ action: 'press', key })),
    { action: 'type', text: name },
    { action: 'press', key: options.saveWith ?? 'Return' },
    { action: 'wait', ms: 800 },
  ];
}
