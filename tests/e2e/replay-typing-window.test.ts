import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { PlanFile } from '../../core/schemas/skill.ts';
import { runProgram } from '../../native/process/run.ts';
import type { LaunchedApp } from '../../native/window/launch.ts';
import { XdotoolWindows } from '../../native/window/xdotool-windows.ts';
import { runCli } from '../support/cli.ts';
import { centre, menuItemPoint, openAccessibleEditor, saveAsScript, startAccessibleDisplay, type AccessibleDesk, type AccessibleDisplay } from '../support/desktop.ts';
import { temporaryHome } from '../support/home.ts';

// Issue 12, item 6 (featherpad, seen once at load 24): the File › Save As click landed but no Save
// As dialog was open when the file name was typed, and the name went into the document — the
// keyboard check only asked whether the active window was the app's. Here the note task on
// mousepad (GTK, accessibility on) is recorded, and at replay the Save As dialog is closed the
// moment it becomes active (a person's stray Escape, a dialog that fails to come up). Replay must
// stop `unsafe` and the document must not hold the file name: the judge is the note saved from the
// editor afterwards (ctrl+s by this test), read from disk.

let desktop: AccessibleDisplay;
let desk: AccessibleDesk;
let skill: string;
const home = temporaryHome();
const running: LaunchedApp[] = [];
const user = join(home.path, 'user');
const note = join(user, 'note.txt');
const target = join(user, 'typed-name.txt');

async function openNote() {
  writeFileSync(note, '');
  return openAccessibleEditor(desk, `mousepad ${note}`, running);
}

before(async () => {
  desktop = await startAccessibleDisplay();
  mkdirSync(user, { recursive: true });
  const env = { ...desktop.bus.env, SKILLFRAME_HOME: home.path, HOME: user };
  desk = { env, client: desktop.client, windows: new XdotoolWindows(env) };
  const editor = await openNote();
  const file = centre(editor.nodes.find((node) => node.name === 'File')!.extents);
  const text = centre(editor.nodes.find((node) => node.role === 'text')!.extents);
  const saveAs = await menuItemPoint(desk, file, editor.window.id!, editor.launched.pid, /^Save As/);
  const script = join(home.path, 'script.json');
  // GTK's dialog offers the file's own name, its stem selected: the whole name is replaced (ctrl+a).
  writeFileSync(script, JSON.stringify(saveAsScript({ text, file, saveAs }, 'hello', target, { beforeName: ['ctrl+a'] })));
  const recording = join(home.path, 'recording');
  const recorded = await runCli(['record', '--attach', editor.window.id!, '--out', recording, '--script', script, '--json'], { env, timeoutMs: 120_000 });
  assert.equal(recorded.code, 0, recorded.stderr);
  const events = () => readFileSync(join(recording, 'events.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line)).map((event) => ({ kind: event.kind, text: event.text, key: event.key, window: event.window?.title, owner: event.window?.transientFor }));
  for (let tries = 0; tries < 25 && !existsSync(target); tries += 1) await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(existsSync(target) && readFileSync(target, 'utf8').trim(), 'hello', `the recording itself saved the note under the typed name: ${JSON.stringify(events())}; the note holds ${JSON.stringify(readFileSync(note, 'utf8'))}`);
  rmSync(target);
  skill = join(home.path, 'skill');
  const built = await runCli(['build', recording, '--out', skill, '--name', 'save-note-as', '--skip-ocr', '--json'], { env, timeoutMs: 180_000 });
  assert.equal(built.code, 0, built.stderr);
  await running.pop()!.dispose();
  const plan = JSON.parse(readFileSync(join(skill, 'plan.json'), 'utf8')) as PlanFile;
  // The typed path is a parameter (its recorded value the default): the last type step.
  const typedName = plan.steps.filter((step) => step.action === 'type').at(-1);
  assert.equal(typedName?.action === 'type' && typedName.keyboard_window?.role, 'dialog', `the file name was recorded going to the Save As dialog: ${JSON.stringify(plan.steps.map((step) => ('keyboard_window' in step ? step.keyboard_window : step.action)))}`);
  assert.ok(plan.steps.some((step) => step.expected?.dialog_shown), 'the click on Save As… was recorded as opening the dialog');
});

after(async () => {
  for (const app of running) await app.dispose();
  desk?.windows.dispose();
  await desktop?.dispose();
  home.dispose();
});

/** Closes the app's Save As dialog the moment it becomes the active window, for as long as it runs. */
async function closeSaveAsOnSight(pid: number) {
  let closed = 0;
  const watch = await desk.windows.watchActive!((id) => {
    if (!id) return;
    void desk.windows.info(id).then(async (window) => {
      if (window?.pid !== pid || !/^Save As/.test(window.title)) return;
      await runProgram('xdotool', ['key', 'Escape'], { env: desk.env, timeoutMs: 5_000 });
      closed += 1;
    });
  });
  return { closed: () => closed, dispose: () => watch.dispose() };
}

/** Replays `skillDirectory` on a fresh editor whose Save As dialog closes on sight; then saves the editor's document (ctrl+s) and answers the report and the note's text as saved. */
async function replayWithoutDialog(skillDirectory: string) {
  const editor = await openNote();
  const closer = await closeSaveAsOnSight(editor.launched.pid);
  try {
    const replayed = await runCli(['replay', skillDirectory, '--attach', '--confirm', 'auto', '--json'], { env: desk.env, timeoutMs: 180_000 });
    const report = JSON.parse(replayed.stdout.trim().split('\n').pop() ?? '{}');
    assert.ok(closer.closed() > 0, `the Save As dialog was opened and closed: ${JSON.stringify(report.steps, null, 1)}`);
    // What the document holds now, saved by the editor itself to the file it was opened on.
    await desk.windows.focus(editor.window.id!);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await runProgram('xdotool', ['key', 'ctrl+s'], { env: desk.env, timeoutMs: 5_000 });
    let saved = '';
    for (let tries = 0; tries < 50 && !saved.includes('hello'); tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      saved = readFileSync(note, 'utf8');
    }
    console.log(JSON.stringify({ error: report.error, steps: report.steps?.map((step: { index: number; status: string; reason?: string }) => `${step.index} ${step.status}${step.reason ? `: ${step.reason.slice(0, 200)}` : ''}`) }));
    return { code: replayed.code, report, saved };
  } finally {
    closer.dispose();
    await running.pop()!.dispose();
  }
}

test('the Save As dialog closed before the file name is typed: replay stops unsafe, the name is not typed into the note', { timeout: 240_000 }, async () => {
  const { code, report, saved } = await replayWithoutDialog(skill);
  assert.notEqual(code, 0, JSON.stringify(report, null, 1));
  assert.equal(report.error?.code, 'unsafe', JSON.stringify(report, null, 1));
  assert.equal(saved.trim(), 'hello', `the note holds what was typed into it, and no file name: ${JSON.stringify(saved)}`);
  assert.ok(!existsSync(target), 'nothing was saved under the typed name');
});

test('with the click\'s dialog check taken out (a package built without it), the keys themselves are refused', { timeout: 240_000 }, async () => {
  const older = join(home.path, 'skill-without-dialog-check');
  cpSync(skill, older, { recursive: true });
  const planFile = join(older, 'plan.json');
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as PlanFile;
  for (const step of plan.steps) if (step.expected) delete step.expected.dialog_shown;
  writeFileSync(planFile, JSON.stringify(plan, null, 2));
  const { code, report, saved } = await replayWithoutDialog(older);
  assert.notEqual(code, 0, JSON.stringify(report, null, 1));
  assert.equal(report.error?.code, 'unsafe', JSON.stringify(report, null, 1));
  assert.match(report.error?.message ?? '', /refusing to type: the keys were recorded going to the app's dialog/, JSON.stringify(report, null, 1));
  assert.equal(saved.trim(), 'hello', `the note holds what was typed into it, and no file name: ${JSON.stringify(saved)}`);
  assert.ok(!existsSync(target), 'nothing was saved under the typed name');
});
