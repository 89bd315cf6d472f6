import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDisplay, type VirtualDisplay } from '../../native/display/xvfb.ts';
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
