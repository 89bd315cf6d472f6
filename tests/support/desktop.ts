import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openAtspi, startAccessibilityBus, type Accessibility, type AccessibilityBus } from '../../native/a11y/index.ts';
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
