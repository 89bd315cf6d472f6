import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/cli.ts';
import { openEmptyNote, startDesktopSession, type DesktopSession } from '../support/desktop.ts';

// The note task on a real mousepad (click into the text, type, ctrl+s), recorded and built once.
// Its typing and its save are decided by the window title changing as recorded ("*" added, then
// removed): replay watches the title while the screen settles and skips the screen checks the title
// overrules. The judge is the file mousepad saved, read back here. A save that never happens still
// aborts the step, whatever the screen did.

let session: DesktopSession;
let env: NodeJS.ProcessEnv;
let note: string;
let skill: string;
const text = 'Ship on Friday';

const openNote = () => openEmptyNote(session, note);

before(async () => {
  session = await startDesktopSession();
  env = session.env;
  note = join(session.home.path, 'user', 'note.txt');
  const { app, windowId } = await openNote();
  try {
    const window = (await session.windows.info(windowId))!;
    const script = join(session.home.path, 'script.json');
    const inText = { action: 'click', x: window.geometry.x + Math.round(window.geometry.width / 2), y: window.geometry.y + Math.round(window.geometry.height / 2) };
    writeFileSync(script, JSON.stringify([inText, { action: 'type', text }, { action: 'press', key: 'ctrl+s' }]));
    const recording = join(session.home.path, 'recording');
    const recorded = await runCli(['record', '--attach', windowId, '--out', recording, '--script', script, '--json'], { env, timeoutMs: 120_000 });
    assert.equal(recorded.code, 0, recorded.stderr);
    assert.equal(readFileSync(note, 'utf8').trim(), text, 'the recording itself saved the note');
    skill = join(session.home.path, 'skill');
    const built = await runCli(['build', recording, '--out', skill, '--name', 'save-note', '--json'], { env, timeoutMs: 180_000 });
    assert.equal(built.code, 0, built.stderr);
    const plan = JSON.parse(readFileSync(join(skill, 'plan.json'), 'utf8'));
    const save = plan.steps.find((step: { action: string }) => step.action === 'press');
    assert.deepEqual(save?.expected?.title_change, { removed: '*', added: '' }, `the recording saw the save drop the modified mark: ${JSON.stringify(save?.expected)}`);
  } finally {
    await app.dispose();
  }
});

after(async () => {
  await session?.dispose();
});

async function replay(skillDirectory: string) {
  const { app } = await openNote();
  try {
    const result = await runCli(['replay', skillDirectory, '--attach', '--confirm', 'auto', '--json'], { env, timeoutMs: 180_000 });
    return { code: result.code, report: JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}'), stderr: result.stderr, saved: readFileSync(note, 'utf8') };
  } finally {
    await app.dispose();
  }
}

test('typing and saving are verified by the title changing as recorded; the file holds the text', async () => {
  const { code, report, stderr, saved } = await replay(skill);
  assert.equal(code, 0, `${stderr}\n${JSON.stringify(report, null, 1)}`);
  assert.equal(saved.trim(), text, 'mousepad saved the typed text');
  const typed = report.steps.find((step: { action: string }) => step.action === 'type');
  const save = report.steps.find((step: { action: string }) => step.action === 'press');
  assert.match(typed.reason, /title changed as recorded \("\*" added\)/);
  assert.match(save.reason, /title changed as recorded \("\*" removed\)/);
  assert.equal(save.verified, true);
});

test('a save that never happens aborts the step: the title keeps its mark, whatever the screen shows', async () => {
  // The same skill, its last key changed to one that moves the cursor and saves nothing.
  const broken = join(session.home.path, 'skill-no-save');
  cpSync(skill, broken, { recursive: true });
  const planFile = join(broken, 'plan.json');
  const plan = JSON.parse(readFileSync(planFile, 'utf8'));
  const save = plan.steps.find((step: { action: string }) => step.action === 'press');
  save.key = 'end';
  writeFileSync(planFile, JSON.stringify(plan, null, 2));
  const { code, report, saved, stderr } = await replay(broken);
  assert.ok(report.steps, `${stderr}\n${JSON.stringify(report)}`);
  assert.notEqual(code, 0, 'the replay fails');
  assert.equal(report.ok, false);
  const step = report.steps.find((entry: { action: string }) => entry.action === 'press');
  assert.equal(step.status, 'aborted');
  assert.match(step.reason, /title/, step.reason);
  assert.equal(saved, '', 'nothing was saved');
});
