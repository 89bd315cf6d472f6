import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { withDeadline } from '../../core/abort.ts';
import { SkillframeError } from '../../core/errors.ts';
import { runBenchChild } from '../../bench/replay/isolated.ts';

// An X11 bench run once hung for over 15 minutes at the start of an engine replay: an await that
// never resolved, node idle, SIGTERM without effect. A replay now runs under a deadline that turns
// such an await into a coded timeout saying where it was, and the benchmark's child process is
// killed when it reports no progress, even when its own signal handlers cannot run.

test('an await that never resolves ends as a coded timeout naming where it was, and its signal is aborted', async () => {
  let seen: AbortSignal | undefined;
  const started = Date.now();
  await assert.rejects(
    withDeadline((signal) => {
      seen = signal;
      return new Promise<never>(() => undefined);
    }, { ms: 200, what: 'engine replay of galculator-sum (dark-theme)', describe: () => 'step 1 grounding' }),
    (error: unknown) => error instanceof SkillframeError && error.code === 'timeout' && /galculator-sum \(dark-theme\) did not finish within 200 ms \(step 1 grounding\)/.test(error.message),
  );
  assert.ok(Date.now() - started < 5_000);
  assert.equal(seen?.aborted, true);
});

test('work that finishes, fails or is cancelled in time is passed through', async () => {
  assert.equal(await withDeadline(async () => 7, { ms: 1_000, what: 'work' }), 7);
  await assert.rejects(withDeadline(async () => Promise.reject(new SkillframeError('unsafe', 'no')), { ms: 1_000, what: 'work' }), /no/);
  const parent = new AbortController();
  const running = withDeadline((signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new SkillframeError('aborted', 'cancelled')))), { ms: 10_000, what: 'work', signal: parent.signal });
  parent.abort();
  await assert.rejects(running, (error: unknown) => error instanceof SkillframeError && error.code === 'aborted');
});

test('a bench child stuck in a native call (SIGTERM cannot run) is killed after its last progress and reported as a timeout', async () => {
  const work = mkdtempSync(join(tmpdir(), 'sf-bench-hang-'));
  try {
    const entry = join(work, 'stuck.mjs');
    // Reports progress once, then blocks its own event loop for good: its SIGTERM handler never runs.
    writeFileSync(entry, `process.on('SIGTERM', () => {});\nprocess.stderr.write(JSON.stringify({ progress: 0.1, message: 'x11 dark-theme galculator-sum' }) + '\\n');\nsetTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0), 50);\n`);
    const started = Date.now();
    await assert.rejects(
      runBenchChild(entry, {}, { stallMs: 4_000, graceMs: 500 }, 'the X11 benchmark'),
      // The last thing it reported is named ("starting" when a loaded machine took longer than that to start it).
      (error: unknown) => error instanceof SkillframeError && error.code === 'timeout' && /no progress for 4 s after "(x11 dark-theme galculator-sum|starting)"; stopped/.test(error.message),
    );
    assert.ok(Date.now() - started < 30_000);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
