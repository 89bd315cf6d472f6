import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { KeyboardWindow, PlanFile } from '../../core/schemas/skill.ts';
import { dialogTitlesAgree } from '../../engine/computer/replay/keyboard-window.ts';
import type { Surface } from '../../engine/computer/replay/surface.ts';
import { verifyStep } from '../../engine/computer/replay/verify.ts';
import { decisiveChange } from '../../engine/computer/replay/a11y-verify.ts';
import { crop, type Box, type RgbaImage } from '../../native/image.ts';
import { assertKeyboardTarget } from '../../engine/computer/replay/x11-surface.ts';
import { FakeWindows } from '../../native/window/fake-windows.ts';
import { scriptedSurface } from '../support/surface.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { TrajectoryWriter } from '../../skills-mm/trajectory/store.ts';

// Issue 12, item 6 (featherpad, seen once at load 24): the File › Save As click landed without
// opening the dialog, and the file name was typed into the editor's text — the keyboard check
// only asked whether the active window was the app's. A type or key step now carries the window its
// keys went to when recorded (the main window or a dialog of the app), and replay types only into
// a window playing the same part; otherwise, after a short wait (a dialog still opening), `unsafe`.

const geometry = { x: 100, y: 80, width: 760, height: 520 };
const main = { id: '10', pid: 7, title: 'note.txt - FeatherPad', className: 'FeatherPad', geometry };
const saveAs = { id: '11', pid: 7, title: 'Save as...', className: 'FeatherPad', geometry: { x: 200, y: 120, width: 560, height: 400 } };
const find = { id: '12', pid: 7, title: 'Find and Replace', className: 'FeatherPad', geometry: { x: 200, y: 120, width: 420, height: 200 } };
const recordedDialog: KeyboardWindow = { role: 'dialog', title: 'Save as...', class_name: 'FeatherPad', size: { width: 560, height: 400 } };
const recordedMain: KeyboardWindow = { role: 'main', title: 'note.txt - FeatherPad', class_name: 'FeatherPad' };

function desktop() {
  const windows = new FakeWindows([main, saveAs, find]);
  windows.transients.set('11', '10');
  windows.transients.set('12', '10');
  return windows;
}

type Refusal = { code?: string; message: string; details?: { active?: { id?: string }; expected?: KeyboardWindow } };

test('keys recorded into a Save As dialog are refused when the main window is active, naming both', async () => {
  const windows = desktop();
  const started = Date.now();
  await assert.rejects(assertKeyboardTarget(windows, main, recordedDialog, { waitMs: 300 }), (error: Refusal) => {
    assert.equal(error.code, 'unsafe');
    assert.match(error.message, /recorded going to the app's dialog "Save as\.\.\."/);
    assert.match(error.message, /main window "note\.txt - FeatherPad"/);
    assert.equal(error.details?.active?.id, '10');
    assert.equal(error.details?.expected?.role, 'dialog');
    return true;
  });
  assert.ok(Date.now() - started >= 280, 'a dialog still opening is waited for first');
});

test('a dialog that opens while keys wait for it gets them', async () => {
  const windows = desktop();
  setTimeout(() => void windows.focus('11'), 150);
  assert.equal((await assertKeyboardTarget(windows, main, recordedDialog, { waitMs: 2000 })).id, '11');
});

test('keys recorded into a dialog never go to another dialog of the app', async () => {
  const windows = desktop();
  await windows.focus('12');
  await assert.rejects(assertKeyboardTarget(windows, main, recordedDialog, { waitMs: 200 }), (error: Refusal) => error.code === 'unsafe' && /the active dialog is another one/.test(error.message) && error.details?.active?.id === '12');
});

test('keys recorded into the main window are refused while a dialog of the app is active, and wait for it to close', async () => {
  const windows = desktop();
  await windows.focus('11');
  await assert.rejects(assertKeyboardTarget(windows, main, recordedMain, { waitMs: 200 }), (error: Refusal) => error.code === 'unsafe' && /recorded going to the app's main window/.test(error.message));
  setTimeout(() => void windows.focus('10'), 150);
  assert.equal((await assertKeyboardTarget(windows, main, recordedMain, { waitMs: 2000 })).id, '10');
});

test('another program\'s window is refused at once, whatever was recorded', async () => {
  const windows = desktop();
  windows.windows.push({ id: '20', pid: 9, title: 'Save as...', className: 'Xterm', geometry });
  await windows.focus('20');
  const started = Date.now();
  await assert.rejects(assertKeyboardTarget(windows, main, recordedDialog, { waitMs: 2000 }), /not the replay's window/);
  assert.ok(Date.now() - started < 1000);
});

test('a step without a recorded window (an older package) is checked as before: any dialog of the app', async () => {
  const windows = desktop();
  await windows.focus('12');
  assert.equal((await assertKeyboardTarget(windows, main)).id, '12');
});

test('dialog titles agree by their words, the document\'s name left out; different dialogs do not', () => {
  assert.ok(dialogTitlesAgree('Save “note.txt” As — KWrite', 'Save “todo.md” As — KWrite', ['todo.md — KWrite']));
  assert.ok(dialogTitlesAgree('Save As', 'Save As…', ['Untitled 1 - Mousepad']));
  assert.ok(!dialogTitlesAgree('Save As', 'Save changes?', ['note.txt - Mousepad']));
  assert.ok(!dialogTitlesAgree('Save As', 'Find and Replace', ['note.txt - Mousepad']));
  assert.ok(dialogTitlesAgree('[email]', 'anything', []), 'a redacted title says nothing either way');
  assert.ok(dialogTitlesAgree('Save File As — /tmp/sf-home-Ab12/user', 'Save File As — /home/ann/notes', []), 'the folder a file dialog names is no word of it');
});

// The recorder's side, read by the builder: the window the keys went to, and the click that opened it.
let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'sf-keyboard-window-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

test('the builder records where each type and key step\'s keys went, and that the click before opened a dialog', async () => {
  const directory = join(work, 'trajectory');
  const writer = TrajectoryWriter.create(directory, { version: 1, id: 'keyboard-window', kind: 'x11', app: { name: 'featherpad', window: main }, screen: { width: 1280, height: 800 }, started: new Date().toISOString(), mode: 'script' });
  const blank = await sharp({ create: { width: 1280, height: 800, channels: 4, background: '#eeeeee' } }).png().toBuffer();
  const frame = writer.writeFrame('frame-000.png', blank);
  writer.updateMeta({ startFrame: frame });
  const dialog = { ...saveAs, transientFor: '10' };
  const at = Date.now();
  const frames = { before: frame, after: frame };
  writer.append({ kind: 'click', at, button: 'left', pointer: { x: 300, y: 300 }, pointerInWindow: { x: 200, y: 220 }, window: main, frames, source: 'hook' });
  writer.append({ kind: 'type', at: at + 100, text: 'hello', window: main, frames, source: 'hook' });
  writer.append({ kind: 'click', at: at + 200, button: 'left', pointer: { x: 130, y: 100 }, pointerInWindow: { x: 30, y: 20 }, window: main, frames, source: 'hook' });
  writer.append({ kind: 'type', at: at + 300, text: 'qt-note.txt', window: dialog, frames, source: 'hook' });
  writer.append({ kind: 'key', at: at + 400, key: 'Return', window: dialog, frames, source: 'hook' });
  writer.append({ kind: 'key', at: at + 500, key: 'ctrl+s', window: main, frames, source: 'hook' });
  // A tool window of the app, open all along, brought to the front by a click into it: the click
  // before it (in the main window) opened nothing.
  const tools = { id: '13', pid: 7, title: 'Tools', className: 'FeatherPad', geometry: { x: 900, y: 80, width: 200, height: 400 }, transientFor: '10' };
  writer.append({ kind: 'click', at: at + 600, button: 'left', pointer: { x: 300, y: 300 }, pointerInWindow: { x: 200, y: 220 }, window: main, frames, source: 'hook' });
  writer.append({ kind: 'click', at: at + 700, button: 'left', pointer: { x: 950, y: 120 }, pointerInWindow: { x: 50, y: 40 }, window: tools, frames, source: 'hook' });
  writer.append({ kind: 'type', at: at + 800, text: 'x', window: tools, frames, source: 'hook' });
  writer.close();
  const built = await buildSkill({ trajectoryDir: directory, outDir: join(work, 'skill') });
  const plan = JSON.parse(readFileSync(join(built.dir, 'plan.json'), 'utf8')) as PlanFile;
  const summary = plan.steps.map((step) => ({ action: step.action, part: 'keyboard_window' in step ? step.keyboard_window?.role : undefined, dialog: step.expected?.dialog_shown?.title }));
  assert.deepEqual(summary, [
    { action: 'click', part: undefined, dialog: undefined },
    { action: 'type', part: 'main', dialog: undefined },
    { action: 'click', part: undefined, dialog: 'Save as...' },
    { action: 'type', part: 'dialog', dialog: undefined },
    { action: 'press', part: 'dialog', dialog: undefined },
    { action: 'press', part: 'main', dialog: undefined },
    { action: 'click', part: undefined, dialog: undefined },
    { action: 'click', part: undefined, dialog: undefined },
    { action: 'type', part: 'dialog', dialog: undefined },
  ]);
  const typed = plan.steps[3];
  assert.deepEqual(typed.action === 'type' ? typed.keyboard_window : undefined, recordedDialog);
});

// The click before: recorded as opening the dialog (the next input went to it), it is verified by
// that dialog being the active window — not by the window having changed (a menu that closed).
function clickedMenu(dialog: () => { title: string } | undefined): { surface: Surface; before: RgbaImage } {
  const image = (changed: boolean): RgbaImage => {
    const frame: RgbaImage = { data: new Uint8Array(400 * 300 * 4).fill(230), width: 400, height: 300 };
    // The open menu, at the recording's changed region, gone after the click.
    if (!changed) for (let y = 40; y < 140; y += 1) frame.data.fill(40, (y * 400 + 20) * 4, (y * 400 + 140) * 4);
    return frame;
  };
  const surface = scriptedSurface({
    capture: async () => image(true),
    captureRegion: async (region: Box) => crop(image(true), region),
    title: async () => 'note.txt - FeatherPad',
    activeDialog: async () => {
      const shown = dialog();
      return shown && { ...shown, geometry: { x: 50, y: 50, width: 200, height: 150 } };
    },
  });
  return { surface, before: image(false) };
}

const openedDialog = { dom_text_appears: [], ocr_text_appears: [], changed_region: { x: 20, y: 40, width: 120, height: 100 }, settle_ms: 100, dialog_shown: { title: 'Save as...' } };
const verifyInput = (surface: Surface, before: RgbaImage) => ({ surface, expected: openedDialog, before, region: [0, 0, 400, 300] as Box, mapBox: (box: { x: number; y: number; width: number; height: number }): Box => [box.x, box.y, box.width, box.height], readLines: async () => [], action: 'click' as const, retries: 0 });

test('a click recorded as opening a dialog is not verified by the window changing when no dialog opened', async () => {
  const { surface, before } = clickedMenu(() => undefined);
  const verification = await verifyStep(verifyInput(surface, before));
  assert.equal(verification.verified, false, verification.reason);
  assert.match(verification.reason, /no dialog of the app opened/);
});

test('nor by another dialog of the app; the recorded one, opening late, verifies it', async () => {
  const other = clickedMenu(() => ({ title: 'Find and Replace' }));
  const wrong = await verifyStep(verifyInput(other.surface, other.before));
  assert.equal(wrong.verified, false, wrong.reason);
  assert.match(wrong.reason, /"Find and Replace" is active/);
  const clicked = Date.now();
  const late = clickedMenu(() => (Date.now() - clicked > 300 ? { title: 'Save as...' } : undefined));
  const right = await verifyStep(verifyInput(late.surface, late.before));
  assert.equal(right.verified, true, right.reason);
  assert.match(right.reason, /dialog "Save as\.\.\." opened/);
});

test('the accessibility tree alone does not decide a step that opened a dialog', () => {
  assert.equal(decisiveChange({ changed: true, evidence: ['target states changed'] }, openedDialog)?.changed, false);
  assert.equal(decisiveChange({ changed: true, evidence: ['target states changed'] }, { ocr_text_appears: [] })?.changed, true);
});
