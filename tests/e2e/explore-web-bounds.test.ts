import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isSkillframeError } from '../../core/errors.ts';
import { WebDriver } from '../../engine/computer/explore/web-driver.ts';
import { launchBrowser } from '../../native/browser/browser.ts';

/**
 * Every wait of the web driver on its browser is bounded: a browser that will not close is killed
 * (a benchmark once hung 16 minutes at 0 % CPU with a browser from its start still alive), and a
 * launch that does not answer fails with a coded `timeout`.
 */

/** Live processes this test process launched with an owner switch (owned-process.ts), and their states. */
function launchedHere(): { pid: number; state: string }[] {
  const found: { pid: number; state: string }[] = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(`--skillframe-owner=${process.pid}-`)) continue;
      const state = readFileSync(`/proc/${entry}/stat`, 'latin1').replace(/^.*\) /, '')[0];
      if (state !== 'Z') found.push({ pid: Number(entry), state });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

test('a browser that will not close (stopped) is killed by the driver\'s dispose, within its bound', async () => {
  const before = new Set(launchedHere().map((entry) => entry.pid));
  const driver = new WebDriver({ url: 'data:text/html,<button>Go</button>', loopbackOnly: true });
  try {
    await driver.reset(new AbortController().signal);
    const mine = launchedHere().filter((entry) => !before.has(entry.pid));
    assert.equal(mine.length, 1, 'one browser process carries the launch\'s owner switch');
    // Stopped, it reads nothing: close cannot answer (as a browser that froze).
    process.kill(-mine[0].pid, 'SIGSTOP');
    const started = Date.now();
    await driver.dispose();
    const took = Date.now() - started;
    assert.ok(took < 20_000, `dispose took ${took} ms`);
    assert.ok(await until(() => !launchedHere().some((entry) => entry.pid === mine[0].pid), 3_000), 'the stopped browser is gone after dispose');
  } finally {
    for (const entry of launchedHere().filter((entry) => !before.has(entry.pid))) process.kill(-entry.pid, 'SIGKILL');
  }
});

test('a launch that does not answer fails with a coded timeout, and what it started is ended', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'sf-silent-chromium-'));
  // A "browser" that starts and never answers on its pipe.
  const silent = join(folder, 'chromium');
  writeFileSync(silent, '#!/bin/sh\nsleep 300\n');
  chmodSync(silent, 0o755);
  const saved = process.env.SKILLFRAME_CHROMIUM;
  process.env.SKILLFRAME_CHROMIUM = silent;
  const before = new Set(launchedHere().map((entry) => entry.pid));
  try {
    const driver = new WebDriver({ url: 'data:text/html,<p>never</p>', launchTimeoutMs: 2_000 });
    const started = Date.now();
    await assert.rejects(driver.reset(new AbortController().signal), (error: unknown) => isSkillframeError(error) && error.code === 'timeout' && /did not start within 2000 ms/.test(error.message));
    assert.ok(Date.now() - started < 15_000, `the launch failed after ${Date.now() - started} ms`);
    await driver.dispose();
    // The persistent-context launch (replay's browser) is bounded the same way.
    await assert.rejects(launchBrowser({ launchTimeoutMs: 2_000 }), (error: unknown) => isSkillframeError(error) && error.code === 'timeout');
    assert.ok(await until(() => launchedHere().every((entry) => before.has(entry.pid)), 3_000), 'no silent launch is left running');
  } finally {
    if (saved === undefined) delete process.env.SKILLFRAME_CHROMIUM;
    else process.env.SKILLFRAME_CHROMIUM = saved;
    for (const entry of launchedHere().filter((entry) => !before.has(entry.pid))) process.kill(-entry.pid, 'SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  }
});
