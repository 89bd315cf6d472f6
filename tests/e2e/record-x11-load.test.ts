import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { desktopApps } from '../../bench/replay/desktop-apps.ts';
import { launchDesktop } from '../../bench/replay/desktop-run.ts';
import { windowGeometry } from '../../bench/replay/x11-drift.ts';
import type { TrajectoryEvent } from '../../core/schemas/trajectory.ts';
import { actionableInWindow, appForWindow, popupNodes } from '../../engine/computer/accessibility.ts';
import type { Accessibility, AccessibilityBus } from '../../native/a11y/index.ts';
import type { VirtualDisplay } from '../../native/display/xvfb.ts';
import { runProgram } from '../../native/process/run.ts';
import type { RgbaImage } from '../../native/image.ts';
import { decodePng } from '../../native/screen/image.ts';
import { runCli } from '../support/cli.ts';
import { startAccessibleDisplay, type AccessibleDisplay } from '../support/desktop.ts';
import { temporaryHome } from '../support/home.ts';

// A recording made while the machine is busy (CPU hogs beside it, as on a shared CI machine or a
// person's loaded desktop). The recorder's lookups (window, accessible, focus) lag seconds behind
// the input then; each step's frames and window must still be those of the moment its input came.
// Before the fix, a click on File › Save As… was read in the dialog it had opened, and the typing
// step's after-frame showed that dialog with the next step's path half typed in it.

let display: VirtualDisplay;
let bus: AccessibilityBus;
let client: Accessibility;
const home = temporaryHome();
const mousepad = desktopApps.find((app) => app.name === 'mousepad')!;

let desktop: AccessibleDisplay | undefined;

before(async () => {
  desktop = await startAccessibleDisplay({ width: 1280, height: 800 });
  ({ display, bus, client } = desktop);
});

after(async () => {
  await desktop?.dispose();
  home.dispose();
});

const centre = (box: { x: number; y: number; width: number; height: number }) => ({ x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) });

/** Share of pixels that differ in a box of two frames. */
function changedShare(a: RgbaImage, b: RgbaImage, box: { x: number; y: number; width: number; height: number }): number {
  let changed = 0;
  for (let y = box.y; y < box.y + box.height; y += 1) {
    for (let x = box.x; x < box.x + box.width; x += 1) {
      const at = (y * a.width + x) * 4;
      if (Math.abs(a.data[at] - b.data[at]) + Math.abs(a.data[at + 1] - b.data[at + 1]) + Math.abs(a.data[at + 2] - b.data[at + 2]) > 30) changed += 1;
    }
  }
  return changed / (box.width * box.height);
}

test('under CPU load, each step keeps the frames and the window of the moment its input came (mousepad: typing, then File › Save As…, a path, Enter)', { timeout: 400_000 }, async () => {
  const work = join(home.path, 'work');
  mkdirSync(work, { recursive: true });
  const running = await launchDesktop(display, bus.env, mousepad, 'unchanged', work);
  const hogs: ChildProcess[] = [];
  try {
    const window = { ...(await windowGeometry(running.env, running.windowId)), pid: undefined };
    let nodes: Awaited<ReturnType<typeof actionableInWindow>> = [];
    for (let tries = 0; tries < 60 && !(nodes.some((node) => node.name === 'File') && nodes.some((node) => node.role === 'text')); tries += 1) {
      nodes = await actionableInWindow(client, window).catch(() => []);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const text = nodes.find((node) => node.role === 'text')!;
    const file = centre(nodes.find((node) => node.name === 'File')!.extents);
    // Where the menu shows "Save As…", read from the open menu before the recording (then closed).
    await runProgram('xdotool', ['mousemove', String(file.x), String(file.y), 'click', '1'], { env: running.env, timeoutMs: 10_000 });
    const app = await appForWindow(client, { ...window, title: window.title });
    let saveAs: { x: number; y: number } | undefined;
    for (let tries = 0; tries < 40 && !saveAs; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const item = (await popupNodes(client, app!)).items.find((node) => /^Save As/.test(node.name.trim()));
      if (item?.extents) saveAs = centre(item.extents);
    }
    assert.ok(saveAs, 'the File menu shows Save As…');
    await runProgram('xdotool', ['key', 'Escape'], { env: running.env, timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The dialog opens in the note's folder with the name's stem selected: a new stem saves there.
    const target = join(dirname(running.file!), 'saved.txt');
    const textSpot = centre(text.extents);
    const script = [
      { action: 'click', ...textSpot },
      { action: 'type', text: 'hello' },
      { action: 'click', ...file },
      { action: 'wait', ms: 600 },
      { action: 'click', ...saveAs },
      { action: 'wait', ms: 2000 },
      { action: 'type', text: 'saved' },
      { action: 'press', key: 'Return' },
    ];
    writeFileSync(join(work, 'script.json'), JSON.stringify(script));
    // Busy loops beside the recorder: the machine's load, not a clock, makes its lookups late.
    for (let index = 0; index < 6; index += 1) hogs.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
    const out = join(work, 'recording');
    const recorded = await runCli(['record', '--attach', running.windowId, '--out', out, '--script', join(work, 'script.json'), '--json'], { env: { ...running.env, SKILLFRAME_HOME: home.path }, timeoutMs: 300_000 });
    for (const hog of hogs) hog.kill('SIGKILL');
    assert.equal(recorded.code, 0, recorded.stderr);
    const events = readFileSync(join(out, 'events.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as TrajectoryEvent);
    // The app's own output: the note went where the recording typed.
    for (let waited = 0; waited < 10_000 && !existsSync(target); waited += 250) await new Promise((resolve) => setTimeout(resolve, 250));
    assert.ok(existsSync(target), `nothing saved at ${target}; recorded ${JSON.stringify(events.map((event) => [event.kind, event.text ?? event.key, event.window?.title]))}`);
    assert.equal(readFileSync(target, 'utf8').replace(/\n+$/, ''), 'hello');
    assert.deepEqual(events.map((event) => event.kind), ['click', 'type', 'click', 'click', 'type', 'key'], JSON.stringify(events.map((event) => [event.kind, event.window?.title])));
    const [, typed, openMenu, saveClick, path, enter] = events;
    // Both menu clicks were made in the editor's window, at their spots in it.
    for (const [click, spot] of [[openMenu, file], [saveClick, saveAs]] as const) {
      assert.doesNotMatch(click.window?.title ?? '', /^Save As/, `a click read in the dialog it opened: ${JSON.stringify(click.window)}`);
      assert.deepEqual(click.pointerInWindow, { x: spot.x - window.geometry.x, y: spot.y - window.geometry.y });
    }
    // The path and the Enter that saved it went to the dialog.
    assert.match(path.window?.title ?? '', /^Save As/);
    assert.match(enter.window?.title ?? '', /^Save As/, `Enter read after the dialog closed: ${JSON.stringify(enter.window)}`);
    // Typing a word changes a sliver of the screen, the File menu a little more; the dialog (larger
    // than the editor, over the bare screen around it) much of it. The typing step's after-frame does not show the dialog (it opened two steps
    // later), nor does the Save As click's before-frame (the menu it clicked in); the file name's
    // after-frame does.
    const frame = async (name: string | undefined) => decodePng(readFileSync(join(out, name!)));
    const typedBefore = await frame(typed.frames?.before);
    const share = async (name: string | undefined) => changedShare(typedBefore, await frame(name), { x: 0, y: 0, width: typedBefore.width, height: typedBefore.height });
    assert.ok((await share(typed.frames?.after)) < 0.02, `the typing step's after-frame shows another moment (${await share(typed.frames?.after)} of the screen changed)`);
    assert.ok((await share(saveClick.frames?.before)) < 0.1, `the Save As step's before-frame shows another moment (${await share(saveClick.frames?.before)})`);
    assert.ok((await share(path.frames?.after)) > 0.2, `the dialog shows after the file name was typed (${await share(path.frames?.after)})`);
  } finally {
    for (const hog of hogs) hog.kill('SIGKILL');
    await running.dispose();
  }
});
