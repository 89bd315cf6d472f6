import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { caretSized, findCaret } from '../../perception/blink.ts';
import { frameDifference } from '../../perception/diff.ts';
import { boxesOverlap, type Box, type RgbaImage } from '../../native/image.ts';
import { startDisplay, type VirtualDisplay } from '../../native/display/xvfb.ts';
import { createInput } from '../../native/input/index.ts';
import { runProgram } from '../../native/process/run.ts';
import { FfmpegScreen } from '../../native/screen/ffmpeg-screen.ts';
import { encodePng } from '../../native/screen/index.ts';
import { launchApp, type LaunchedApp } from '../../native/window/launch.ts';
import { XdotoolWindows } from '../../native/window/xdotool-windows.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { TrajectoryWriter } from '../../skills-mm/trajectory/store.ts';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

// The caret case of issue 12 on a real GTK editor (mousepad). The recording's only proof of the
// click into the empty text area is the 1-px caret appearing (its "before" frame is taken in the
// caret's off phase). Replay runs with the caret steady (GTK's cursor blink off), so the click
// changes no pixel at all: one diff says "nothing changed". Verification must instead see the
// caret — and a click that truly changes nothing must still abort.
// Replay runs through the CLI and this process grabs frames with ffmpeg: an in-process X
// connection (robotjs) would end this process when the test's display goes away.

let display: VirtualDisplay;
const home = temporaryHome();
let windows: XdotoolWindows;

/** A private mousepad on an empty note.txt; `blink` chooses GTK's caret blink. */
async function openEditor(name: string, blink: boolean): Promise<{ app: LaunchedApp; env: NodeJS.ProcessEnv; id: string; file: string }> {
  const user = join(home.path, name);
  const config = join(user, '.config');
  mkdirSync(join(config, 'gtk-3.0'), { recursive: true });
  // GTK stops blinking (caret on) after gtk-cursor-blink-timeout seconds idle: keep it blinking.
  writeFileSync(join(config, 'gtk-3.0', 'settings.ini'), `[Settings]\ngtk-cursor-blink = ${blink}\ngtk-cursor-blink-timeout = 3600\ngtk-enable-animations = false\n`);
  // One path for every editor: the window title the recording stores is the one replay attaches to.
  const file = join(home.path, 'note.txt');
  writeFileSync(file, '');
  const env: NodeJS.ProcessEnv = { ...display.env, HOME: user, XDG_CONFIG_HOME: config, XDG_DATA_HOME: join(user, '.local'), XDG_CACHE_HOME: join(user, '.cache'), NO_AT_BRIDGE: '1', GTK_THEME: 'Adwaita' };
  delete env.DBUS_SESSION_BUS_ADDRESS;
  const app = await launchApp(`mousepad ${file}`, { env });
  const window = await windows.waitFor({ pid: app.pid }, { timeoutMs: 30_000 });
  const id = window.id!;
  await runProgram('xdotool', ['windowmove', '--sync', id, '100', '80'], { env, timeoutMs: 5_000 }).catch(() => undefined);
  await runProgram('xdotool', ['windowsize', '--sync', id, '640', '480'], { env, timeoutMs: 5_000 }).catch(() => undefined);
  await runProgram('xdotool', ['windowactivate', '--sync', id], { env, timeoutMs: 5_000 }).catch(() => undefined);
  await runProgram('xdotool', ['mousemove', '0', '0'], { env, timeoutMs: 5_000 });
  await new Promise((resolve) => setTimeout(resolve, 800));
  return { app, env, id, file };
}


/**
 * Finds the caret by its blink and returns a frame in its off phase plus where it shows. The
 * caret is the one caret-sized change between two captures of an otherwise idle window; the off
 * frame is the one of the pair without a stroke there. (Searching a fixed corner of the window for
 * a stroke instead mistakes a letter of the menu bar for the caret.)
 */
async function caretOffPhase(screen: FfmpegScreen, window: Box): Promise<{ off: RgbaImage; caret: Box }> {
  let previous: RgbaImage | undefined;
  for (let attempt = 0; attempt < 60; attempt += 1) {
    const frame = await screen.capture();
    if (previous) {
      const changes = frameDifference(previous, frame).boxes.filter((box) => boxesOverlap(box, window));
      if (changes.length === 1 && caretSized(changes[0])) {
        const near = padBox(changes[0], 4);
        const off = [previous, frame].find((image) => !findCaret(image, near));
        if (off) return { off, caret: changes[0] };
      }
    }
    previous = frame;
  }
  throw new Error('no caret blink seen in the window in 60 captures');
}

const padBox = (box: Box, margin: number): Box => [box[0] - margin, box[1] - margin, box[2] + 2 * margin, box[3] + 2 * margin];

/**
 * Records one click the way the X11 recorder stores it, with the "before" frame captured at a
 * controlled phase: the caret off (found by watching the caret blink on the live screen).
 */
async function recordClick(name: string, point: (geometry: { x: number; y: number; width: number; height: number }) => { x: number; y: number }): Promise<string> {
  const editor = await openEditor(`record-${name}`, true);
  const screen = new FfmpegScreen(editor.env);
  const input = await createInput('xdotool', { env: editor.env });
  try {
    const window = (await windows.info(editor.id))!;
    const { off, caret } = await caretOffPhase(screen, [window.geometry.x, window.geometry.y, window.geometry.width, window.geometry.height]);
    const directory = join(home.path, `${name}-recording`);
    const writer = TrajectoryWriter.create(directory, {
      version: 1,
      id: `${name}-${Date.now()}`,
      kind: 'x11',
      app: { name: 'mousepad', command: 'mousepad', pid: editor.app.pid, window: { ...window, className: 'Mousepad' } },
      screen: { width: off.width, height: off.height },
      started: new Date().toISOString(),
      mode: 'script',
      recorder: { name: 'caret-test', version: '1' },
    });
    const beforeFrame = writer.writeFrame('frame-000.png', await encodePng(off));
    writer.updateMeta({ startFrame: beforeFrame });
    const at = point(window.geometry);
    await input.click(at.x, at.y);
    // GTK shows the caret again on a click (where it was: the note is empty); take the frame that shows it.
    let shown: RgbaImage | undefined;
    for (let attempt = 0; attempt < 60 && !shown; attempt += 1) {
      const frame = await screen.capture();
      if (findCaret(frame, padBox(caret, 4))) shown = frame;
    }
    assert.ok(shown, 'the caret shows after the click');
    const afterFrame = writer.writeFrame('frame-001.png', await encodePng(shown));
    writer.append({ kind: 'click', at: Date.now(), button: 'left', pointer: at, pointerInWindow: { x: at.x - window.geometry.x, y: at.y - window.geometry.y }, window, source: 'hook', frames: { before: beforeFrame, after: afterFrame } });
    writer.close();
    const built = await buildSkill({ trajectoryDir: directory, outDir: join(home.path, `${name}-skill`), name: `mousepad-${name}` });
    return built.dir;
  } finally {
    input.dispose();
    screen.dispose();
    await editor.app.dispose();
  }
}

let intoText: string;
let onMenuBar: string;


before(async () => {
  display = await startDisplay({ width: 1024, height: 700 });
  windows = new XdotoolWindows(display.env);
  intoText = await recordClick('into-text', (geometry) => ({ x: geometry.x + Math.round(geometry.width / 2), y: geometry.y + Math.round(geometry.height / 2) }));
  // The same blink, recorded as the "result" of a click on the empty end of the menu bar.
  onMenuBar = await recordClick('menu-bar-blank', (geometry) => ({ x: geometry.x + geometry.width - 30, y: geometry.y + 12 }));
});

after(async () => {
  windows?.dispose();
  await display?.dispose();
  home.dispose();
});

function onlyStep(skill: string) {
  const plan = JSON.parse(readFileSync(join(skill, 'plan.json'), 'utf8'));
  return plan.steps[0];
}

test('the recording proves the click only by the caret appearing', () => {
  const step = onlyStep(intoText);
  assert.equal(step.action, 'click');
  assert.ok(step.expected.changed_region, 'a changed region was recorded');
  assert.ok(caretSized(step.expected.changed_region), `the recorded change is caret-sized: ${JSON.stringify(step.expected.changed_region)}`);
  assert.deepEqual(step.expected.ocr_text_appears, []);
});

async function replay(skill: string, env: NodeJS.ProcessEnv) {
  const result = await runCli(['replay', skill, '--attach', '--confirm', 'auto', '--json'], { env: { ...env, SKILLFRAME_HOME: home.path }, timeoutMs: 180_000 });
  return { code: result.code, report: JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}'), stderr: result.stderr };
}

test('a click into the empty text area verifies with the caret steady, where one diff sees nothing', async () => {
  const editor = await openEditor('replay-into-text', false);
  const screen = new FfmpegScreen(editor.env);
  try {
    const window = (await windows.info(editor.id))!;
    const before = await screen.capture();
    const { code, report, stderr } = await replay(intoText, editor.env);
    assert.equal(code, 0, `${stderr}\n${JSON.stringify(report)}`);
    assert.equal(report.steps[0].verified, true);
    assert.match(report.steps[0].reason ?? '', /caret/, 'verified by the caret, not by a diff');
    // One diff would have said "nothing changed": in the window, nothing but a caret differs.
    const afterFrame = await screen.capture();
    const inWindow = frameDifference(before, afterFrame).boxes.filter((box) => box[0] < window.geometry.x + window.geometry.width && box[1] < window.geometry.y + window.geometry.height && box[0] + box[2] > window.geometry.x && box[1] + box[3] > window.geometry.y);
    assert.ok(inWindow.every((box) => caretSized(box)), `the click changed no pixel beyond a caret: ${JSON.stringify(inWindow)}`);
    // The world: the text area has the focus, so typed text lands in the file.
    await runProgram('xdotool', ['type', 'caret ok'], { env: editor.env, timeoutMs: 10_000 });
    await runProgram('xdotool', ['key', 'ctrl+s'], { env: editor.env, timeoutMs: 5_000 });
    let saved = '';
    for (let attempt = 0; attempt < 50 && saved !== 'caret ok'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      saved = readFileSync(editor.file, 'utf8').trim();
    }
    assert.equal(saved, 'caret ok');
  } finally {
    screen.dispose();
    await editor.app.dispose();
  }
});

test('a click that truly changes nothing still aborts, though a caret shows elsewhere', async () => {
  const editor = await openEditor('replay-menu-bar', false);
  try {
    // The search bar takes the focus: no caret in the text area, one in the search field.
    await runProgram('xdotool', ['key', 'ctrl+f'], { env: editor.env, timeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    const { code, report } = await replay(onMenuBar, editor.env);
    assert.notEqual(code, 0);
    assert.equal(report.ok, false, JSON.stringify(report));
    assert.equal(report.error?.code, 'unsafe');
    assert.equal(report.steps[0].status, 'aborted');
    assert.match(report.steps[0].reason ?? '', /nothing changed/);
  } finally {
    await editor.app.dispose();
  }
});
