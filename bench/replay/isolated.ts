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
export async function runBenchChild<T>(entry: string, payload: unknown, options: { signal?: AbortSignal; progress?: (fraction: number, message: string) => void }, what: string): Promise<T> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, JSON.stringify(payload)], { cwd: repositoryRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const onAbort = () => child.kill('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });
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
        options.progress?.(parsed.progress, parsed.message ?? '');
        return;
      }
    } catch {
      /* plain text: keep the tail for the error message */
    }
    stderr = `${stderr}${line}\n`.slice(-2000);
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  options.signal?.removeEventListener('abort', onAbort);
  if (options.signal?.aborted) throw new SkillframeError('aborted', 'bench replay cancelled');
  if (!result) throw new SkillframeError('internal', `${what} process ended (${code}) without a result: ${stderr.trim().slice(-600)}`);
  return result;
}
