import { spawn } from 'node:child_process';
import { SkillframeError } from '../../core/errors.ts';

/** A window's title over time: each value it took and when (epoch ms, this process's clock). */
export interface TitleWatch {
  /** The title at `at` (the last value taken at or before it); undefined before the first. */
  titleAt(at: number): string | undefined;
  /** Every value it took, oldest first (bounded). */
  history(): { at: number; title: string }[];
  dispose(): void;
}

const maxEntries = 2000;

/** The title an xprop line sets, or undefined for other lines. `_NET_WM_NAME` (UTF-8) wins over `WM_NAME`. */
export function parseTitleLine(line: string): { property: '_NET_WM_NAME' | 'WM_NAME'; title: string } | undefined {
  const match = /^(_NET_WM_NAME|WM_NAME)\([A-Z0-9_]+\) = "(.*)"$/.exec(line);
  if (!match) return undefined;
  return { property: match[1] as '_NET_WM_NAME' | 'WM_NAME', title: match[2] };
}

/**
 * Follows a window's title through its own property changes (`xprop -spy`): no polling, and the
 * moment of each change is known, so a recording can tell what each action did to the title (a
 * document's modified mark appearing while typing and going away on save).
 */
export async function watchTitle(env: NodeJS.ProcessEnv, windowId: string, options: { timeoutMs?: number } = {}): Promise<TitleWatch> {
  if (!/^\d+$/.test(windowId)) throw new SkillframeError('bad_input', `window id ${JSON.stringify(windowId)} is not a decimal X window id`);
  const child = spawn('xprop', ['-spy', '-id', windowId, '_NET_WM_NAME', 'WM_NAME'], { env: { ...env, LC_ALL: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'ignore'] });
  const entries: { at: number; title: string }[] = [];
  let net: string | undefined;
  let plain: string | undefined;
  let pending = '';
  const take = (line: string) => {
    const parsed = parseTitleLine(line.trim());
    if (!parsed) return;
    if (parsed.property === '_NET_WM_NAME') net = parsed.title;
    else plain = parsed.title;
    const title = net ?? plain ?? '';
    if (entries.at(-1)?.title === title) return;
    entries.push({ at: Date.now(), title });
    if (entries.length > maxEntries) entries.splice(0, entries.length - maxEntries);
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) take(line);
  });
  // The first values arrive at once; without them the window is gone or xprop is missing.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => (entries.length ? resolve() : reject(new SkillframeError('timeout', `xprop printed no title for window ${windowId}`))), options.timeoutMs ?? 3000);
    const poll = setInterval(() => {
      if (!entries.length) return;
      clearInterval(poll);
      clearTimeout(timer);
      resolve();
    }, 10);
    child.once('error', (error) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject((error as NodeJS.ErrnoException).code === 'ENOENT' ? new SkillframeError('unavailable', 'xprop is not installed (apt-get install x11-utils)') : error);
    });
    child.once('exit', () => {
      clearInterval(poll);
      if (!entries.length) {
        clearTimeout(timer);
        reject(new SkillframeError('not_found', `no window ${windowId} to watch`));
      }
    });
  }).catch((error) => {
    child.kill();
    throw error;
  });
  return {
    titleAt(at) {
      let found: string | undefined;
      for (const entry of entries) {
        if (entry.at > at) break;
        found = entry.title;
      }
      return found;
    },
    history: () => entries.slice(),
    dispose: () => void child.kill(),
  };
}
