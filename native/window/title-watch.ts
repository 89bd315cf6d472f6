import { spawn } from 'node:child_process';
import { SkillframeError } from '../../core/errors.ts';
import { lastAtOrBefore } from '../../core/timeline.ts';

/** A window property over time: each value it took and when (epoch ms, this process's clock). */
export interface PropertyWatch<T> {
  /** The value at `at` (the last one taken at or before it); undefined before the first. */
  valueAt(at: number): T | undefined;
  /** Every value it took, oldest first (bounded). */
  history(): { at: number; value: T }[];
  /** False once the watch stopped hearing notices (its xprop ended or was disposed): its last value may be stale. */
  live(): boolean;
  dispose(): void;
}

/** A window's title over time. */
export type TitleWatch = PropertyWatch<string>;

const maxEntries = 2000;

/** The title an xprop line sets, or undefined for other lines. `_NET_WM_NAME` (UTF-8) wins over `WM_NAME`. */
export function parseTitleLine(line: string): { property: '_NET_WM_NAME' | 'WM_NAME'; title: string } | undefined {
  const match = /^(_NET_WM_NAME|WM_NAME)\([A-Z0-9_]+\) = "(.*)"$/.exec(line);
  if (!match) return undefined;
  return { property: match[1] as '_NET_WM_NAME' | 'WM_NAME', title: match[2] };
}

/** The active window an xprop line of the root names (decimal id, as xdotool writes it); null: none. */
export function parseActiveLine(line: string): string | null | undefined {
  const match = /^_NET_ACTIVE_WINDOW\(WINDOW\): window id # (0x[0-9a-f]+)/i.exec(line);
  if (!match) return undefined;
  const id = Number.parseInt(match[1], 16);
  return id ? String(id) : null;
}

/**
 * The stacking order an xprop line of the root gives (`_NET_CLIENT_LIST_STACKING`, the window
 * manager's managed windows, bottom to top) as decimal ids, as xdotool writes them; undefined for
 * other lines.
 */
export function parseStackingLine(line: string): string[] | undefined {
  const match = /^_NET_CLIENT_LIST_STACKING\(WINDOW\): window id #(.*)$/i.exec(line);
  if (!match) return undefined;
  return [...match[1].matchAll(/0x[0-9a-f]+/gi)].map((id) => String(Number.parseInt(id[0], 16)));
}

/**
 * Follows X properties through their own change notifications (`xprop -spy`): no polling, and the
 * moment of each change is known. `read` folds each printed line into the current value (or
 * leaves it) and answers it.
 */
async function spyOn<T>(env: NodeJS.ProcessEnv, target: string[], properties: string[], read: (line: string) => T | undefined, options: { timeoutMs?: number; onChange?: (value: T) => void } = {}): Promise<PropertyWatch<T>> {
  const child = spawn('xprop', ['-spy', ...target, ...properties], { env: { ...env, LC_ALL: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'ignore'] });
  let running = true;
  child.once('exit', () => (running = false));
  child.once('error', () => (running = false));
  const entries: { at: number; value: T }[] = [];
  let pending = '';
  let lines = 0;
  const take = (line: string) => {
    lines += 1;
    const value = read(line.trim());
    if (value === undefined || (entries.length && entries[entries.length - 1].value === value)) return;
    entries.push({ at: Date.now(), value });
    if (entries.length > maxEntries) entries.splice(0, entries.length - maxEntries);
    options.onChange?.(value);
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) take(line);
  });
  // xprop prints the current values at once; without a line the window is gone or xprop is missing.
  await new Promise<void>((resolve, reject) => {
    const stop = (error?: Error) => {
      clearInterval(poll);
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => stop(lines ? undefined : new SkillframeError('timeout', `xprop printed nothing for ${target.join(' ')}`)), options.timeoutMs ?? 3000);
    const poll = setInterval(() => lines && stop(), 10);
    child.once('error', (error) => stop((error as NodeJS.ErrnoException).code === 'ENOENT' ? new SkillframeError('unavailable', 'xprop is not installed (apt-get install x11-utils)') : error));
    child.once('exit', () => !lines && stop(new SkillframeError('not_found', `no window to watch (${target.join(' ')})`)));
  }).catch((error) => {
    child.kill();
    throw error;
  });
  return {
    valueAt: (at) => lastAtOrBefore(entries, at)?.value,
    history: () => entries.slice(),
    live: () => running && child.exitCode === null && !child.killed,
    dispose: () => void child.kill(),
  };
}

/**
 * Follows a window's title as it changes, so a recording can tell what each action did to it (a
 * document's modified mark appearing while typing and going away on save).
 */
export async function watchTitle(env: NodeJS.ProcessEnv, windowId: string, options: { timeoutMs?: number } = {}): Promise<TitleWatch> {
  if (!/^\d+$/.test(windowId)) throw new SkillframeError('bad_input', `window id ${JSON.stringify(windowId)} is not a decimal X window id`);
  let net: string | undefined;
  let plain: string | undefined;
  const watch = await spyOn(
    env,
    ['-id', windowId],
    ['_NET_WM_NAME', 'WM_NAME'],
    (line) => {
      const parsed = parseTitleLine(line);
      if (parsed?.property === '_NET_WM_NAME') net = parsed.title;
      else if (parsed) plain = parsed.title;
      return net ?? plain;
    },
    options,
  );
  return watch;
}

/**
 * Follows which window is active (the window manager's _NET_ACTIVE_WINDOW on the root) as it
 * changes: each keystroke is attributed to the window active at the moment it was typed, not to
 * whatever is active when a lagging lookup gets to it. `onChange` hears each new window at once
 * (while it still exists). `null` values: no window was active.
 */
export function watchActiveWindow(env: NodeJS.ProcessEnv, options: { timeoutMs?: number; onChange?: (id: string | null) => void } = {}): Promise<PropertyWatch<string | null>> {
  return spyOn(env, ['-root'], ['_NET_ACTIVE_WINDOW'], (line) => parseActiveLine(line), options);
}

/**
 * Follows the window manager's stacking order (`_NET_CLIENT_LIST_STACKING` on the root, bottom to
 * top) as it changes: whether anything is stacked above a window is known without asking.
 */
export function watchStacking(env: NodeJS.ProcessEnv, options: { timeoutMs?: number } = {}): Promise<PropertyWatch<readonly string[]>> {
  let last: readonly string[] | undefined;
  return spyOn<readonly string[]>(
    env,
    ['-root'],
    ['_NET_CLIENT_LIST_STACKING'],
    (line) => {
      const order = parseStackingLine(line);
      if (!order) return undefined;
      // The same order again is no change (the watch keeps values that differ).
      if (last && last.length === order.length && last.every((id, index) => id === order[index])) return last;
      return (last = order);
    },
    options,
  );
}
