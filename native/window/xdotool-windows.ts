import { SkillframeError } from '../../core/errors.ts';
import type { WindowInfo } from '../../core/schemas/trajectory.ts';
import { ShellRunner } from '../process/shell-runner.ts';
import { watchActiveWindow, watchStacking, watchTitle, type PropertyWatch, type TitleWatch } from './title-watch.ts';
import { matchesQuery, type WindowQuery, type WindowSystem } from './window.ts';

/**
 * Windows of an X display through xdotool (EWMH: needs a window manager such as openbox for
 * focus and the active window) and xprop for WM_CLASS.
 */
export class XdotoolWindows implements WindowSystem {
  private readonly env: NodeJS.ProcessEnv;
  private readonly classes = new Map<string, string | undefined>();
  private readonly frames = new Map<string, { x: number; y: number }>();
  private readonly shell: ShellRunner;
  constructor(env: NodeJS.ProcessEnv = process.env) {
    if (!env.DISPLAY) throw new SkillframeError('unavailable', 'no X display: DISPLAY is not set');
    this.env = env;
    this.shell = new ShellRunner(env);
  }

  private async run(program: string, args: string[], signal?: AbortSignal): Promise<{ code: number | null; stdout: string; stderr: string }> {
    try {
      // Through one small shell: a replay asks several times per step, and a new process from a
      // Node that holds frames and models costs tens of milliseconds each (shell-runner.ts).
      return await this.shell.run(program, args, { timeoutMs: 10_000, signal });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new SkillframeError('unavailable', `${program} is not installed (apt-get install ${program === 'xprop' ? 'x11-utils' : program})`);
      if ((error as Error).name === 'AbortError') throw new SkillframeError('aborted', 'window lookup cancelled');
      throw error;
    }
  }

  async find(query: WindowQuery): Promise<WindowInfo[]> {
    let ids: string[];
    if (query.id !== undefined) ids = [query.id];
    else {
      const args = ['search', '--onlyvisible'];
      if (query.pid !== undefined) args.push('--pid', String(query.pid));
      else if (query.className !== undefined) args.push('--class', query.className);
      else args.push('--name', query.title ?? '.');
      const result = await this.run('xdotool', args);
      ids = result.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
    }
    const windows = await this.matching(ids, query);
    if (windows.length || query.id !== undefined || query.pid !== undefined || query.className !== undefined || query.title === undefined) return windows;
    // xdotool's --name reads WM_NAME only; a window that names itself in _NET_WM_NAME alone (KDE
    // Frameworks apps: kcalc's WM_NAME is empty) is found among the visible windows with a class,
    // by the title getwindowname reads.
    const classed = await this.run('xdotool', ['search', '--onlyvisible', '--class', '.']);
    return this.matching(classed.stdout.split('\n').map((line) => line.trim()).filter(Boolean), query);
  }

  private async matching(ids: readonly string[], query: WindowQuery): Promise<WindowInfo[]> {
    const windows: WindowInfo[] = [];
    for (const id of ids) {
      const window = await this.info(id);
      if (window && matchesQuery(window, query) && window.geometry.width > 1 && window.geometry.height > 1) windows.push(window);
    }
    return windows;
  }

  watchTitle(id: string): Promise<TitleWatch> {
    return watchTitle(this.env, id);
  }

  watchActive(onChange?: (id: string | null) => void): Promise<PropertyWatch<string | null>> {
    return watchActiveWindow(this.env, onChange ? { onChange } : {});
  }

  watchStacking(): Promise<PropertyWatch<readonly string[]>> {
    return watchStacking(this.env);
  }

  async active(): Promise<WindowInfo | undefined> {
    const id = await this.activeWindowId();
    return id ? this.info(id) : undefined;
  }

  async activeWindowId(): Promise<string | undefined> {
    const result = await this.run('xdotool', ['getactivewindow']);
    const id = result.stdout.trim();
    return result.code === 0 && id ? id : undefined;
  }

  async info(id: string): Promise<WindowInfo | undefined> {
    if (!/^\d+$/.test(id)) throw new SkillframeError('bad_input', `window id ${JSON.stringify(id)} is not a decimal X window id`);
    // One process for name + geometry; the pid comes last because it fails for windows without _NET_WM_PID.
    const result = await this.run('xdotool', ['getwindowname', id, 'getwindowgeometry', '--shell', id, 'getwindowpid', id]);
    const lines = result.stdout.split('\n');
    const title = lines[0] ?? '';
    const value = (name: string) => {
      const match = new RegExp(`^${name}=(-?\\d+)$`, 'm').exec(result.stdout);
      return match ? Number(match[1]) : undefined;
    };
    const x = value('X');
    const y = value('Y');
    const width = value('WIDTH');
    const height = value('HEIGHT');
    if (x === undefined || y === undefined || width === undefined || height === undefined) return undefined;
    const pidLine = lines.slice(7).find((line) => /^\d+$/.test(line.trim()));
    // Under a reparenting window manager xdotool adds the frame's offset twice (it reports the
    // client's absolute position plus its offset inside the frame): take that offset back off.
    const frame = await this.frameOffset(id);
    const window: WindowInfo = { id, title, geometry: { x: x - frame.x, y: y - frame.y, width, height } };
    if (pidLine) window.pid = Number(pidLine);
    const className = await this.className(id);
    if (className) window.className = className;
    return window;
  }

  /** The client's offset inside its window-manager frame (xwininfo's "Relative upper-left"), per window. */
  private async frameOffset(id: string): Promise<{ x: number; y: number }> {
    const known = this.frames.get(id);
    if (known) return known;
    const result = await this.run('xwininfo', ['-id', id]).catch(() => undefined);
    const read = (name: string) => Number(new RegExp(`Relative upper-left ${name}:\\s+(-?\\d+)`).exec(result?.stdout ?? '')?.[1] ?? 0);
    const offset = { x: read('X'), y: read('Y') };
    // Not cached while unmapped or unframed yet (0, 0): the window manager may still reparent it.
    if (offset.x || offset.y) this.frames.set(id, offset);
    return offset;
  }

  private async className(id: string): Promise<string | undefined> {
    if (this.classes.has(id)) return this.classes.get(id);
    const result = await this.run('xprop', ['-id', id, 'WM_CLASS']).catch(() => undefined);
    const match = result && /WM_CLASS\(STRING\) = "[^"]*", "([^"]*)"/.exec(result.stdout);
    const name = match ? match[1] : undefined;
    this.classes.set(id, name);
    return name;
  }

  async waitFor(query: WindowQuery, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<WindowInfo> {
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    for (;;) {
      if (options.signal?.aborted) throw new SkillframeError('aborted', 'stopped while waiting for a window');
      const found = await this.find(query);
      // An app maps helper windows too (GTK's small leader and popup windows share its title and
      // pid): the one a person means is its largest.
      if (found.length > 0) return found.reduce((best, window) => (area(window) > area(best) ? window : best));
      if (Date.now() > deadline) throw new SkillframeError('timeout', `no window matching ${JSON.stringify(query)} appeared within ${options.timeoutMs ?? 15_000} ms`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  // xdotool's --sync waits for an X event that never comes when nothing changes (the window is
  // already there, already that size), so these poll for the result themselves.
  async focus(id: string): Promise<void> {
    // Already in front (the common case between two steps of a replay): one query, no activation.
    if ((await this.activeWindowId()) === id) return;
    await this.run('xdotool', ['windowactivate', id]);
    await this.until(async () => (await this.run('xdotool', ['getactivewindow'])).stdout.trim() === id);
  }
  async stackedAbove(id: string): Promise<WindowInfo[]> {
    const result = await this.run('xprop', ['-root', '_NET_CLIENT_LIST_STACKING']);
    const ids = [...result.stdout.matchAll(/0x[0-9a-f]+/gi)].map((match) => String(Number.parseInt(match[0], 16)));
    const at = ids.indexOf(id);
    if (at < 0) return [];
    const above = await Promise.all(ids.slice(at + 1).map((other) => this.info(other).then((window) => window && this.withFrame(window)).catch(() => undefined)));
    return above.filter((window): window is WindowInfo => Boolean(window));
  }

  /**
   * The window grown by its window-manager frame (_NET_FRAME_EXTENTS: left, right, top, bottom):
   * a click on another window's title bar or border lands on that window as surely as one on its
   * content (openbox's title bar is 21 px above the client geometry `info` reports).
   */
  private async withFrame(window: WindowInfo): Promise<WindowInfo> {
    const result = await this.run('xprop', ['-id', window.id ?? '', '_NET_FRAME_EXTENTS']).catch(() => undefined);
    const match = result && /=\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+)/.exec(result.stdout);
    if (!match) return window;
    const [left, right, top, bottom] = match.slice(1, 5).map(Number);
    const { x, y, width, height } = window.geometry;
    return { ...window, geometry: { x: x - left, y: y - top, width: width + left + right, height: height + top + bottom } };
  }
  async transientFor(id: string): Promise<string | undefined> {
    if (!/^\d+$/.test(id)) throw new SkillframeError('bad_input', `window id ${JSON.stringify(id)} is not a decimal X window id`);
    const result = await this.run('xprop', ['-id', id, 'WM_TRANSIENT_FOR']).catch(() => undefined);
    const match = result && /window id # (0x[0-9a-f]+)/i.exec(result.stdout);
    return match ? String(Number.parseInt(match[1], 16)) : undefined;
  }
  async move(id: string, x: number, y: number): Promise<void> {
    await this.run('xdotool', ['windowmove', id, String(Math.round(x)), String(Math.round(y))]);
    await this.until(async () => {
      const window = await this.info(id);
      return Boolean(window && Math.abs(window.geometry.x - x) <= 2 && Math.abs(window.geometry.y - y) <= 40);
    });
  }
  async resize(id: string, width: number, height: number): Promise<void> {
    await this.run('xdotool', ['windowsize', id, String(Math.round(width)), String(Math.round(height))]);
    await this.until(async () => {
      const window = await this.info(id);
      return Boolean(window && Math.abs(window.geometry.width - width) <= 2 && Math.abs(window.geometry.height - height) <= 2);
    });
  }

  /** Polls for up to a second; windows that refuse (fixed-size dialogs) are not an error. */
  private async until(check: () => Promise<boolean>): Promise<boolean> {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      if (await check()) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }
  async screenSize(): Promise<{ width: number; height: number }> {
    const result = await this.run('xdotool', ['getdisplaygeometry']);
    const [width, height] = result.stdout.trim().split(/\s+/).map(Number);
    if (!width || !height) throw new SkillframeError('unavailable', `cannot read the size of display ${this.env.DISPLAY}`);
    return { width, height };
  }
  dispose(): void {
    this.classes.clear();
    this.shell.dispose();
  }
}

function area(window: WindowInfo): number {
  return window.geometry.width * window.geometry.height;
}
