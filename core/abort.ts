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
