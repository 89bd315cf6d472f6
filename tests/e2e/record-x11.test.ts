import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodePng, meanDifference } from '../../native/screen/image.ts';
import { readTrajectory } from '../../skills-mm/trajectory/store.ts';
import { launchApp } from '../../native/window/launch.ts';
import { XdotoolWindows } from '../../native/window/xdotool-windows.ts';
import { binPath, repoRoot, runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';
import { startDisplay, type VirtualDisplay } from '../support/xvfb.ts';

let display: VirtualDisplay;
let home: ReturnType<typeof temporaryHome>;
let env: NodeJS.ProcessEnv;

before(async () => {
  display = await startDisplay({ width: 1280, height: 800 });
  home = temporaryHome();
  const userHome = join(home.path, 'user');
  mkdirSync(userHome, { recursive: true });
  // A private HOME keeps the apps' saved settings (window size, mode) out of the test and vice versa.
  env = { ...display.env, SKILLFRAME_HOME: home.path, HOME: userHome, NO_AT_BRIDGE: '1' };
});

after(async () => {
  await display?.dispose();
  home?.dispose();
});

/** galculator's default layout, from the window's top-left (client area). */
// (From the client area's true top-left: xdotool's frame offset is no longer counted twice.)
const buttons = { seven: [35, 200], eight: [100, 200], plus: [230, 319], equals: [295, 300] } as const;

test('a scripted galculator session (attached window) records real clicks through the OS hooks', async () => {
  const app = await launchApp('galculator', { env });
  try {
    const windows = new XdotoolWindows(env);
    const window = await windows.waitFor({ pid: app.pid }, { timeoutMs: 20_000 });
    const at = (name: keyof typeof buttons) => ({ action: 'click', x: window.geometry.x + buttons[name][0], y: window.geometry.y + buttons[name][1] });
    const script = join(home.path, 'galculator.json');
    writeFileSync(script, JSON.stringify([at('seven'), at('plus'), at('eight'), at('equals'), { action: 'type', text: '*2' }, { action: 'press', key: 'Return' }]));
    const out = join(home.path, 'galculator-recording');
    const result = await runCli(['record', '--attach', 'galculator', '--out', out, '--script', script, '--step-gap', '500', '--json'], { env, timeoutMs: 90_000 });
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout);
    assert.equal(output.kind, 'x11');

    const { meta, events } = readTrajectory(out);
    assert.equal(meta.status, 'complete');
    assert.equal(meta.app?.window?.className, 'Galculator');
    assert.equal(meta.app?.command, undefined, 'attached, not launched');
    assert.deepEqual({ width: meta.screen.width, height: meta.screen.height }, { width: 1280, height: 800 });
    assert.deepEqual(events.map((event) => event.kind), ['click', 'click', 'click', 'click', 'type', 'key']);
    const clicks = events.filter((event) => event.kind === 'click');
    for (const [index, name] of (['seven', 'plus', 'eight', 'equals'] as const).entries()) {
      const click = clicks[index];
      assert.equal(click.source, 'hook');
      assert.equal(click.button, 'left');
      assert.equal(click.window?.title, 'galculator');
      assert.deepEqual(click.pointerInWindow, { x: buttons[name][0], y: buttons[name][1] });
    }
    assert.equal(events[4].text, '*2');
    assert.equal(events[5].key, 'Enter');
    // "=" changed the display: its after frame differs from its before frame in the display area.
    const equals = clicks[3];
    const before = await decodePng(readFileSync(join(out, equals.frames!.before!)));
    const afterFrame = await decodePng(readFileSync(join(out, equals.frames!.after!)));
    assert.ok(meanDifference(before, afterFrame) > 0, 'the result appeared on screen');
    for (const event of events) assert.ok(existsSync(join(out, event.frames!.after!)));
  } finally {
    await app.dispose();
  }
});

test('a mousepad session launched with --app records typing, chords, redaction and a video', async () => {
  const script = join(home.path, 'mousepad.json');
  writeFileSync(
    script,
    JSON.stringify([
      { action: 'type', text: 'Meeting notes: ask carol@example.com!' },
      { action: 'press', key: 'Enter' },
      { action: 'type', text: 'Total = 42 (approx)' },
      { action: 'press', key: 'ctrl+a' },
      { action: 'wait', ms: 200 },
    ]),
  );
  const out = join(home.path, 'mousepad-recording');
  const result = await runCli(['record', '--app', 'mousepad', '--out', out, '--script', script, '--video', '--step-gap', '350', '--json'], { env, timeoutMs: 90_000 });
  assert.equal(result.code, 0, result.stderr);
  const output = JSON.parse(result.stdout);
  assert.equal(output.video, 'video.mp4');
  const { meta, events } = readTrajectory(out);
  assert.equal(meta.app?.command, 'mousepad');
  assert.equal(meta.app?.window?.className, 'Mousepad');
  assert.deepEqual(events.map((event) => `${event.kind}:${event.text ?? event.key}`), [
    'type:Meeting notes: ask [email]!',
    'key:Enter',
    'type:Total = 42 (approx)',
    'key:ctrl+a',
  ]);
  assert.deepEqual(events[0].redactions, ['email']);
  assert.match(events[0].window?.title ?? '', /Mousepad/);
  assert.ok(!readFileSync(join(out, 'events.jsonl'), 'utf8').includes('carol@'));
  assert.ok(statSync(join(out, 'video.mp4')).size > 1000, 'the video has content');
  // The launched app is closed when the recording ends.
  assert.throws(() => process.kill(meta.app!.pid!, 0));
});

test('without --script it records a person (input from another process) until Ctrl+C, then exits 0 with the result', async () => {
  const out = join(home.path, 'person-recording');
  const child = spawn(process.execPath, [binPath, 'record', '--app', 'galculator', '--out', out, '--json'], { env, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  try {
    const started = Date.now();
    while (!existsSync(join(out, 'trajectory.json')) && Date.now() - started < 30_000) await new Promise((resolve) => setTimeout(resolve, 100));
    const startFrameDeadline = Date.now() + 10_000;
    while (!JSON.parse(readFileSync(join(out, 'trajectory.json'), 'utf8')).startFrame && Date.now() < startFrameDeadline) await new Promise((resolve) => setTimeout(resolve, 100));
    // The "person": xdotool in its own process, as a keyboard would be.
    const person = spawn('xdotool', ['type', '--delay', '60', '9-4'], { env });
    await new Promise((resolve) => person.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 400));
    const enter = spawn('xdotool', ['key', 'Return'], { env });
    await new Promise((resolve) => enter.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    const output = JSON.parse(stdout);
    assert.equal(output.stoppedBy, 'signal');
    const { meta, events } = readTrajectory(out);
    assert.equal(meta.mode, 'person');
    assert.equal(meta.status, 'complete');
    assert.deepEqual(events.map((event) => `${event.kind}:${event.text ?? event.key}`), ['type:9-4', 'key:Enter']);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

test('kill -9 of a real recording loses at most the step in flight, and the next open repairs the folder', async () => {
  const script = join(home.path, 'crash.json');
  writeFileSync(script, JSON.stringify([{ action: 'type', text: '12' }, { action: 'press', key: 'Return' }, { action: 'type', text: '*3' }, { action: 'press', key: 'Return' }, { action: 'wait', ms: 60_000 }]));
  const out = join(home.path, 'crash-recording');
  const child = spawn(process.execPath, [binPath, 'record', '--app', 'galculator', '--out', out, '--script', script, '--step-gap', '350', '--json'], { env, cwd: repoRoot, stdio: 'ignore' });
  let appPid: number | undefined;
  try {
    const eventsFile = join(out, 'events.jsonl');
    const deadline = Date.now() + 60_000;
    const lines = () => (existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean).length : 0);
    while (lines() < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(lines() >= 4, 'the recording wrote its events before the kill');
    appPid = JSON.parse(readFileSync(join(out, 'trajectory.json'), 'utf8')).app.pid;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const written = lines();
    assert.equal(JSON.parse(readFileSync(join(out, 'trajectory.json'), 'utf8')).status, 'recording', 'a killed recorder never closed the folder');

    const shown = await runCli(['record', 'show', out, '--json'], { env });
    assert.equal(shown.code, 0, shown.stderr);
    const { meta, events, repair } = JSON.parse(shown.stdout);
    assert.equal(repair.repaired, true);
    assert.equal(meta.status, 'repaired');
    assert.ok(meta.ended);
    assert.equal(events.length, written, 'every event written before the kill survives');
    assert.deepEqual(events.map((event: { kind: string; text?: string; key?: string }) => `${event.kind}:${event.text ?? event.key}`), ['type:12', 'key:Enter', 'type:*3', 'key:Enter']);
    for (const event of events) for (const frame of Object.values(event.frames ?? {})) assert.ok(existsSync(join(out, frame as string)));
    assert.equal(existsSync(join(out, 'recording.lock')), false);
    // Opening again finds nothing left to repair.
    assert.equal(readTrajectory(out).repair.repaired, false);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // The app was launched in its own process group by the killed recorder: end it here.
    if (appPid) {
      try {
        process.kill(-appPid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
});
