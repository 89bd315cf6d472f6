import { SkillframeError } from '../../core/errors.ts';
import type { WindowInfo } from '../../core/schemas/trajectory.ts';
import { matchesQuery, type WindowQuery, type WindowSystem } from './window.ts';

/** Windows in memory, for unit tests of code that finds, moves and focuses windows. */
export class FakeWindows implements WindowSystem {
  readonly windows: WindowInfo[] = [];
  activeId: string | undefined;
  constructor(windows: WindowInfo[] = [], readonly screen = { width: 1280, height: 800 }) {
    this.windows.push(...windows);
    this.activeId = windows[0]?.id;
  }
  async find(query: WindowQuery): Promise<WindowInfo[]> {
    return this.windows.filter((window) => matchesQuery(window, query)).map((window) => structuredClone(window));
  }
  async active(): Promise<WindowInfo | undefined> {
    return this.activeId ? this.info(this.activeId) : undefined;
  }
  async activeWindowId(): Promise<string | undefined> {
    return this.activeId;
  }
  async info(id: string): Promise<WindowInfo | undefined> {
    const window = this.windows.find((candidate) => candidate.id === id);
    return window ? structuredClone(window) : undefined;
  }
  async waitFor(query: WindowQuery, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<WindowInfo> {
    const deadline = Date.now() + (options.timeoutMs ?? 1000);
    for (;;) {
      const [found] = await this.find(query);
      if (found) return found;
      if (options.signal?.aborted) throw new SkillframeError('aborted', 'stopped while waiting for a window');
      if (Date.now() > deadline) throw new SkillframeError('timeout', `no window matching ${JSON.stringify(query)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  private get(id: string): WindowInfo {
    const window = this.windows.find((candidate) => candidate.id === id);
    if (!window) throw new SkillframeError('not_found', `no window ${id}`);
    return window;
  }
  async focus(id: string): Promise<void> {
    this.get(id);
    this.activeId = id;
  }
  /** Dialogs by id → the window they belong to. */
  readonly transients = new Map<string, string>();
  async transientFor(id: string): Promise<string | undefined> {
    return this.transients.get(id);
  }
  async move(id: string, x: number, y: number): Promise<void> {
    Object.assign(this.get(id).geometry, { x, y });
  }
  async resize(id: string, width: number, height: number): Promise<void> {
    Object.assign(this.get(id).geometry, { width, height });
  }
  async screenSize(): Promise<{ width: number; height: number }> {
    return this.screen;
  }
  dispose(): void {}
}
