import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runProgram } from '../../native/process/run.ts';
import { runCli } from '../support/cli.ts';
import { openEmptyNote, startDesktopSession, type DesktopSession } from '../support/desktop.ts';

// Clicks inside one of the app's dialogs (dogfood, gedit's Find and Replace: its "Replace with"
// field and Close button). Replay mapped every recorded point through the app's main window, so a
// point recorded in a 433×276 dialog was read through a 900×600 window: "the window was resized",
// the template searched at the main window's scale, OCR's "Close" found at the very spot it was
// recorded counted as far from where it should be, and the step aborted even on an unchanged
// window. Here mousepad's Find and Replace (a dialog window of its own), no accessibility tree (the
// visual rungs alone), replayed on a moved window; the judge is the file mousepad saved.

let session: DesktopSession;
let env: NodeJS.ProcessEnv;
let note: string;
let skill: string;

const openNote = () => openEmptyNote(session, note);

/** The app's Find and Replace dialog once it shows. */
async function findDialog(pid: number) {
  return session.windows.waitFor({ pid, title: '^Find and Replace$' }, { timeoutMs: 20_000 });
}

before(async () => {
  session = await startDesktopSession();
  env = session.env;
  note = join(session.home.path, 'user', 'note.txt');
  const { app, windowId } = await openNote();
  try {
    const main = (await session.windows.info(windowId))!;
    // Where the dialog opens (centred on its window by the window manager): looked at once, closed.
    await session.windows.focus(windowId);
    await runProgram('xdotool', ['key', 'ctrl+r'], { env, timeoutMs: 10_000 });
    const probe = await findDialog(app.pid);
    await runProgram('xdotool', ['key', 'Escape'], { env, timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const at = (x: number, y: number) => ({ action: 'click', x: probe.geometry.x + x, y: probe.geometry.y + y });
    const script = [
      { action: 'click', x: main.geometry.x + Math.round(main.geometry.width / 2), y: main.geometry.y + Math.round(main.geometry.height / 2) },
      { action: 'type', text: 'colour' },
      { action: 'press', key: 'ctrl+r' },
      { action: 'wait', ms: 1000 },
      { action: 'type', text: 'colour' },
      at(256, 62), // the "Replace with" field, which shows no text of its own
      { action: 'type', text: 'color' },
      at(298, 256), // Replace
      { action: 'wait', ms: 500 },
      at(387, 256), // Close
      { action: 'wait', ms: 500 },
      { action: 'press', key: 'ctrl+s' },
    ];
    const scriptFile = join(session.home.path, 'script.json');
    writeFileSync(scriptFile, JSON.stringify(script));
    const recording = join(session.home.path, 'recording');
    const recorded = await runCli(['record', '--attach', windowId, '--out', recording, '--script', scriptFile, '--json'], { env, timeoutMs: 120_000 });
    assert.equal(recorded.code, 0, recorded.stderr);
    assert.equal(readFileSync(note, 'utf8').trim(), 'color', 'the recording itself replaced and saved');
    skill = join(session.home.path, 'skill');
    const built = await runCli(['build', recording, '--out', skill, '--name', 'replace-word', '--json'], { env, timeoutMs: 180_000 });
    assert.equal(built.code, 0, built.stderr);
    const plan = JSON.parse(readFileSync(join(skill, 'plan.json'), 'utf8'));
    const inDialog = plan.steps.filter((step: { target?: { window?: { title?: string } } }) => step.target?.window?.title === 'Find and Replace');
    assert.equal(inDialog.length, 3, `the three clicks were recorded in the dialog: ${JSON.stringify(plan.steps.map((step: { target?: { window?: unknown } }) => step.target?.window))}`);
  } finally {
    await app.dispose();
  }
});

after(async () => {
  await session?.dispose();
});

test('clicks recorded in a dialog are found in that dialog on a moved window; mousepad saves the replaced word', { timeout: 240_000 }, async () => {
  const { app, windowId } = await openNote();
  try {
    const window = (await session.windows.info(windowId))!;
    await session.windows.move(windowId, window.geometry.x - 120, window.geometry.y + 60);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const result = await runCli(['replay', skill, '--attach', '--confirm', 'auto', '--json'], { env, timeoutMs: 180_000 });
    const report = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}');
    assert.equal(result.code, 0, `${result.stderr}\n${JSON.stringify(report, null, 1)}`);
    assert.equal(readFileSync(note, 'utf8').trim(), 'color', 'mousepad saved the replaced word');
  } finally {
    await app.dispose();
  }
});
