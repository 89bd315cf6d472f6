import { SkillframeError } from './errors.ts';

/**
 * Cancellation helpers, once. Long work checks its signal often; waiting is always abortable so the
 * kill switch and deadlines never wait out a timer.
 */

/** Throws the signal's reason when it is a SkillframeError, else an `aborted` error naming the work. */
export function throwIfAborted(signal: AbortSignal | undefined, what = 'the operation'): void {
  if (!signal?.aborted) return;
  throw signal.reason instanceof SkillframeError ? signal.reason : new SkillframeError('aborted', `${what} was cancelled`);
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts (with the same error as throwIfAborted). */
export function sleep(ms: number, signal?: AbortSignal, what = 'waiting'): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      try {
        throwIfAborted(signal, what);
      } catch (error) {
        reject(error);
      }
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      try {
        throwIfAborted(signal, what);
      } catch (error) {
        reject(error);
      }
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `work` with a signal that aborts at the deadline (or when `parent` does), and ends the wait
 * at the deadline even if the work never looks at its signal: an await that never resolves becomes
 * a coded `timeout` naming the work and, from `describe`, where it was. The work may still be
 * running then; its signal is aborted so it stops at its next check.
 */
export function withDeadline<T>(work: (signal: AbortSignal) => Promise<T>, options: { ms: number; what: string; signal?: AbortSignal; describe?: () => string | undefined }): Promise<T> {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onParentAbort();
  else options.signal?.addEventListener('abort', onParentAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const where = options.describe?.();
      const error = new SkillframeError('timeout', `${options.what} did not finish within ${options.ms} ms${where ? ` (${where})` : ''}`, where ? { where } : undefined);
      controller.abort(error);
      reject(error);
    }, options.ms);
  });
  let running: Promise<T>;
  try {
    running = work(controller.signal);
  } catch (error) {
    running = Promise.reject(error);
  }
  return Promise.race([running, deadline]).finally(() => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onParentAbort);
  });
}
