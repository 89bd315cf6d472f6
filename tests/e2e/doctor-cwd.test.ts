import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';
import { startDisplay, type VirtualDisplay } from '../support/xvfb.ts';

// A user runs `skillframe doctor` from their own folder, not from Skillframe's. The robotjs probe
// used to `require('robotjs')` in a child started in that folder, so an installed robotjs (the one
// replay loads) was reported "missing: Cannot find module 'robotjs'".

let display: VirtualDisplay;
let home: ReturnType<typeof temporaryHome>;
let elsewhere: string;

before(async () => {
  display = await startDisplay({ windowManager: false });
  home = temporaryHome();
  elsewhere = mkdtempSync(join(tmpdir(), 'sf-doctor-cwd-'));
});

after(async () => {
  home?.dispose();
  if (elsewhere) rmSync(elsewhere, { recursive: true, force: true });
  await display?.dispose();
});

test('doctor finds the robotjs Skillframe loads when run from another folder', async () => {
  const result = await runCli(['doctor', '--json'], { env: { ...home.env, DISPLAY: display.display }, cwd: elsewhere, timeoutMs: 90_000 });
  const report = JSON.parse(result.stdout);
  const robotjs = report.checks.find((check: { name: string }) => check.name === 'robotjs');
  assert.equal(robotjs?.status, 'ok', JSON.stringify(robotjs));
  assert.match(robotjs.detail, /^loads, screen 1920x1080$/);
});
