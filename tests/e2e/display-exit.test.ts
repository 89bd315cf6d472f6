import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

// A benchmark stopped by a signal ends through process.exit (bench explore's handler, the CLI):
// the display server and the accessibility buses it started must go with it, not linger.

const module = (path: string) => JSON.stringify(pathToFileURL(join(import.meta.dirname, '../..', path)).href);

test('a process that exits without disposing leaves no Xvfb and no accessibility bus running', { timeout: 60_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'sf-display-exit-'));
  try {
    const script = join(work, 'child.mjs');
    writeFileSync(
      script,
      [
        `const { startDisplay } = await import(${module('native/display/xvfb.ts')});`,
        `const { startAccessibilityBus } = await import(${module('native/a11y/index.ts')});`,
        'const display = await startDisplay({ width: 640, height: 480 });',
        'const bus = await startAccessibilityBus(display.env);',
        'console.log(JSON.stringify({ display: display.display, session: bus.env.DBUS_SESSION_BUS_ADDRESS, accessibility: bus.address }));',
        'process.exit(0);',
      ].join('\n'),
    );
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 40_000 });
    const started = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { display?: string; session?: string; accessibility?: string };
    assert.ok(started.display && started.session && started.accessibility, `the child did not start them: ${child.stdout} ${child.stderr}`);
    const alive = () => ({
      display: spawnSync('xdpyinfo', ['-display', started.display as string], { stdio: 'ignore' }).status === 0,
      session: spawnSync('dbus-send', [`--bus=${started.session}`, '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.ListNames'], { stdio: 'ignore', timeout: 5_000 }).status === 0,
      accessibility: spawnSync('dbus-send', [`--bus=${started.accessibility}`, '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.ListNames'], { stdio: 'ignore', timeout: 5_000 }).status === 0,
    });
    // They get the signal as the child exits and stop a moment later.
    let left = alive();
    for (let attempt = 0; attempt < 20 && Object.values(left).some(Boolean); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      left = alive();
    }
    assert.deepEqual(left, { display: false, session: false, accessibility: false });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
