import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

// A benchmark stopped by a signal ends through process.exit (bench explore's handler, the CLI):
// the display server and the accessibility buses it started must go with it, not linger. One
// killed with SIGKILL runs no handler at all, and they must still go.

const module = (path: string) => JSON.stringify(pathToFileURL(join(import.meta.dirname, '../..', path)).href);

interface Started {
  display?: string;
  session?: string;
  accessibility?: string;
  runtime?: string;
}

/** Starts a child that starts a display and the buses, prints where they are and then ends as `end` says. */
async function startChild(work: string, end: 'exit' | 'wait'): Promise<{ started: Started; child: ReturnType<typeof spawn> }> {
  const script = join(work, `child-${end}.mjs`);
  writeFileSync(
    script,
    [
      `const { startDisplay } = await import(${module('native/display/xvfb.ts')});`,
      `const { startAccessibilityBus } = await import(${module('native/a11y/index.ts')});`,
      'const display = await startDisplay({ width: 640, height: 480 });',
      'const bus = await startAccessibilityBus(display.env);',
      'console.log(JSON.stringify({ display: display.display, session: bus.env.DBUS_SESSION_BUS_ADDRESS, accessibility: bus.address, runtime: display.env.XDG_RUNTIME_DIR }));',
      end === 'exit' ? 'process.exit(0);' : 'setInterval(() => undefined, 1000);',
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started = await new Promise<Started>((resolve) => {
    const timer = setTimeout(() => resolve({}), 40_000);
    const look = () => {
      const line = output.split('\n').find((text) => text.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as Started);
    };
    child.stdout.on('data', look);
    child.once('exit', () => {
      look();
      clearTimeout(timer);
      resolve({});
    });
  });
  assert.ok(started.display && started.session && started.accessibility, `the child did not start them: ${output}`);
  return { started, child };
}

/** Waits up to `seconds` for the display and both buses to stop answering; returns what still answers. */
async function leftRunning(started: Started, seconds: number): Promise<Record<string, boolean>> {
  const bus = (address: string) =>
    spawnSync('dbus-send', [`--bus=${address}`, '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.ListNames'], { stdio: 'ignore', timeout: 5_000 }).status === 0;
  const alive = () => ({
    display: spawnSync('xdpyinfo', ['-display', started.display as string], { stdio: 'ignore' }).status === 0,
    session: bus(started.session as string),
    accessibility: bus(started.accessibility as string),
    runtime: existsSync(started.runtime as string),
  });
  let left = alive();
  for (let waited = 0; waited < seconds * 1000 && Object.values(left).some(Boolean); waited += 250) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    left = alive();
  }
  return left;
}

const none = { display: false, session: false, accessibility: false, runtime: false };

test('a process that exits without disposing leaves no Xvfb and no accessibility bus running', { timeout: 60_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'sf-display-exit-'));
  try {
    const { started } = await startChild(work, 'exit');
    // They get the signal as the child exits and stop a moment later.
    assert.deepEqual(await leftRunning(started, 5), none);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('a process killed with SIGKILL leaves no Xvfb and no accessibility bus running', { timeout: 60_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'sf-display-kill-'));
  try {
    const { started, child } = await startChild(work, 'wait');
    child.kill('SIGKILL');
    // Nothing runs in the child: the watcher sees it gone within half a second, then signals them.
    assert.deepEqual(await leftRunning(started, 10), none);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('a test or benchmark killed with SIGKILL leaves no redis-server running', { timeout: 60_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'sf-redis-kill-'));
  try {
    const script = join(work, 'child-redis.mjs');
    writeFileSync(
      script,
      [`const { startRedis } = await import(${module('testkit/redis.ts')});`, 'const redis = await startRedis();', 'console.log(redis.port);', 'setInterval(() => undefined, 1000);'].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the child did not start redis in 30 s')), 30_000);
      child.stdout.once('data', (chunk: Buffer) => {
        clearTimeout(timer);
        resolve(chunk.toString().trim());
      });
    });
    const answers = () => spawnSync('redis-cli', ['-p', port, 'ping'], { encoding: 'utf8', timeout: 5_000 }).stdout.trim() === 'PONG';
    assert.ok(answers(), `redis on port ${port} did not answer`);
    child.kill('SIGKILL');
    let alive = answers();
    for (let waited = 0; waited < 10_000 && alive; waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      alive = answers();
    }
    assert.equal(alive, false, `redis on port ${port} still answers after its owner was killed`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
