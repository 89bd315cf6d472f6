import { spawn } from 'node:child_process';
import { SkillframeError } from '../../core/errors.ts';
import { lastAtOrBefore } from '../../core/timeline.ts';

/** A window property over time: each value it took and when (epoch ms, this process's clock). */
export interface PropertyWatch<T> {
  /** The value at `at` (the last one taken at or before it); undefined before the first. */
  valueAt(at: number): T | undefined;
  /** Every value it took, oldest first (bounded). */
  history(): { at: number; value: T }[];
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
 * Follows X properties through their own change notifications (`xprop -spy`): no polling, and the
 * moment of each change is known. `read` folds each printed line into the current value (or
 * leaves it) and answers it.
 */
async function spyOn<T>(env: NodeJS.ProcessEnv, target: string[], properties: string[], read: (line: string) => T | undefined, options: { timeoutMs?: number; onChange?: (value: T) => void } = {}): Promise<PropertyWatch<T>> {
  const child = spawn('xprop', ['-spy', ...target, ...properties], { env: { ...env, LC_ALL: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'ignore'] });
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
