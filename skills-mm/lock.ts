import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { SkillframeError } from '../core/index.ts';
import { processIdentity, sameProcess, type ProcessIdentity } from '../native/process/identity.ts';

/**
 * A cross-process lock: a file created with O_EXCL holding its owner's identity (pid, start
 * time, command line). A lock whose owner is gone (or whose pid now names another process) is
 * stale and is taken over; a live owner is waited for up to `timeoutMs`.
 */
export function withFileLock<T>(path: string, run: () => T, options: { timeoutMs?: number } = {}): T {
  const release = acquire(path, options.timeoutMs ?? 30_000);
  try {
    return run();
  } finally {
    release();
  }
}

/** The same around async work (the lock is held across the awaits). */
export async function withFileLockAsync<T>(path: string, run: () => Promise<T>, options: { timeoutMs?: number } = {}): Promise<T> {
  const release = await acquireAsync(path, options.timeoutMs ?? 30_000);
  try {
    return await run();
  } finally {
    release();
  }
}

function tryTake(path: string): (() => void) | undefined {
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify(processIdentity() ?? { pid: process.pid }));
    } finally {
      closeSync(fd);
    }
    return () => rmSync(path, { force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  removeIfStale(path);
  return undefined;
}

/**
 * Removes the lock file when its owner is gone. The file's inode is compared before and after
 * judging it, so a waiter does not remove a fresh lock that another waiter took in between
 * (the window left is the instant between the last stat and the unlink).
 */
function removeIfStale(path: string) {
  try {
    const seen = statSync(path);
    let isStale: boolean;
    try {
      isStale = !sameProcess(JSON.parse(readFileSync(path, 'utf8')) as ProcessIdentity);
    } catch {
      // Created but not yet filled in, or garbage: stale once it has sat there a while.
      isStale = Date.now() - seen.mtimeMs > 5_000;
    }
    if (isStale && statSync(path).ino === seen.ino) rmSync(path, { force: true });
  } catch {
    /* gone already: the next try takes it */
  }
}

function busy(path: string, timeoutMs: number): SkillframeError {
  return new SkillframeError('timeout', `the library is locked by another process (${path}) for more than ${timeoutMs} ms`);
}

function acquire(path: string, timeoutMs: number): () => void {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const release = tryTake(path);
    if (release) return release;
    if (Date.now() > deadline) throw busy(path, timeoutMs);
    Atomics.wait(pause, 0, 0, 15);
  }
}

async function acquireAsync(path: string, timeoutMs: number): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const release = tryTake(path);
    if (release) return release;
    if (Date.now() > deadline) throw busy(path, timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}
