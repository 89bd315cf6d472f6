import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SkillframeError } from '../../core/errors.ts';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs a benchmark section in a child process (X11 native code may end a process when its
 * display goes away; the host must outlive the benchmark's displays). The child gets its options
 * as one JSON argument, reports progress as JSON lines on stderr and its result as a JSON line
 * `{ "result": … }` on stdout; SIGTERM cancels it cleanly.
 */
export async function runBenchChild<T>(entry: string, payload: unknown, options: { signal?: AbortSignal; progress?: (fraction: number, message: string) => void; stallMs?: number; graceMs?: number }, what: string): Promise<T> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, JSON.stringify(payload)], { cwd: repositoryRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  // A child stuck where its own handlers cannot run (a native call that never returns holds its
  // event loop, so SIGTERM's handler never runs) is killed outright after a grace period.
  let killer: NodeJS.Timeout | undefined;
  const stop = () => {
    child.kill('SIGTERM');
    killer ??= setTimeout(() => child.kill('SIGKILL'), options.graceMs ?? 10_000);
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  // No progress for this long: the child is stuck. It is stopped and the run fails as a timeout
  // naming the last thing it reported.
  const stallMs = options.stallMs ?? 15 * 60_000;
  let lastProgress = 'starting';
  let stalled: SkillframeError | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  const watch = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      stalled = new SkillframeError('timeout', `${what} made no progress for ${Math.round(stallMs / 1000)} s after "${lastProgress}"; stopped`, { lastProgress });
      stop();
    }, stallMs);
  };
  watch();
  let result: T | undefined;
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      const parsed = JSON.parse(line) as { result?: T };
      if (parsed.result) result = parsed.result;
    } catch {
      /* not ours */
    }
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    try {
      const parsed = JSON.parse(line) as { progress?: number; message?: string };
      if (typeof parsed.progress === 'number') {
        lastProgress = parsed.message ?? lastProgress;
        watch();
        options.progress?.(parsed.progress, parsed.message ?? '');
        return;
      }
    } catch {
      /* plain text: keep the tail for the error message */
    }
    stderr = `${stderr}${line}\n`.slice(-2000);
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  clearTimeout(watchdog);
  clearTimeout(killer);
  options.signal?.removeEventListener('abort', stop);
  if (options.signal?.aborted) throw new SkillframeError('aborted', 'bench replay cancelled');
  if (stalled) throw new SkillframeError('timeout', `${stalled.message}: ${stderr.trim().slice(-600)}`, stalled.details);
  if (!result) throw new SkillframeError('internal', `${what} process ended (${code}) without a result: ${stderr.trim().slice(-600)}`);
  return result;
}
