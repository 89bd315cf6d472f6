import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { PlanFile } from '../../core/schemas/skill.ts';
import { createOcr, type Ocr } from '../../perception/ocr.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { TrajectoryWriter } from '../../skills-mm/trajectory/store.ts';

// bench replay, idle-menu-save: the click into IDLE's empty editor changes nothing of its own, so
// under load the recorder's after-frame of that click was taken once the typing had begun. The
// builder read "Saved fr" there and made it the click's expectation; replay then aborted the
// click because the next step's text was not on screen yet. Text a later step types is never an
// expectation of an earlier step.

let work: string;
let ocr: Ocr;

const editor = (text: string, title = 'note.txt - Editor') =>
  sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"><rect width="100%" height="100%" fill="#ddd"/><text x="200" y="14" font-family="Liberation Sans" font-size="12">${title}</text><text x="12" y="30" font-family="Liberation Sans" font-size="15">File  Edit  Format  Run</text><rect x="8" y="34" width="624" height="350" fill="white"/><text x="20" y="64" font-family="DejaVu Sans Mono" font-size="16">${text}</text><text x="520" y="396" font-family="Liberation Sans" font-size="12">Ln: 1</text></svg>`))
    .png()
    .toBuffer();

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'sf-late-frame-'));
  ocr = await createOcr();
});

after(async () => {
  await ocr?.dispose();
  rmSync(work, { recursive: true, force: true });
});

async function clickExpectation(name: string, shownLate: string, typedText: string) {
  const directory = join(work, name);
  const window = { id: '1', title: 'note.txt', className: 'Toplevel', geometry: { x: 0, y: 0, width: 640, height: 400 } };
  const writer = TrajectoryWriter.create(directory, { version: 1, id: name, kind: 'x11', app: { name: 'editor', command: 'editor', window }, screen: { width: 640, height: 400 }, started: new Date().toISOString(), mode: 'script' });
  const empty = writer.writeFrame('frame-000.png', await editor(''));
  writer.updateMeta({ startFrame: empty });
  const late = writer.writeFrame('frame-001.png', await editor(shownLate));
  const typed = writer.writeFrame('frame-002.png', await editor(typedText));
  const at = Date.now();
  writer.append({ kind: 'click', at, button: 'left', pointer: { x: 320, y: 200 }, pointerInWindow: { x: 320, y: 200 }, window, frames: { before: empty, after: late }, source: 'hook' });
  writer.append({ kind: 'type', at: at + 600, text: typedText, window, frames: { before: late, after: typed }, source: 'hook' });
  writer.close();
  const built = await buildSkill({ trajectoryDir: directory, outDir: join(work, `${name}-skill`), ocr });
  const plan = JSON.parse(readFileSync(join(built.dir, 'plan.json'), 'utf8')) as PlanFile;
  return plan.steps[0].expected?.ocr_text_appears ?? [];
}

test('the next typing\'s first two characters, or its start with the caret read as a bar, are no expectation of the click before it', async () => {
  // bench replay desktop, gnome-text-editor (unseen): the click's after-frame, taken late, showed
  // "dr" of "draft" and "Alpha beta |" of "Alpha beta gamma" (the caret read as "|"); once focus
  // alone stopped deciding a step that expected text, replay aborted these clicks.
  assert.deepEqual(await clickExpectation('two-characters', 'dr', 'draft'), []);
  assert.deepEqual(await clickExpectation('caret-bar', 'Alpha beta |', 'Alpha beta gamma'), []);
});

test('a click whose after-frame already shows the next step\'s typing does not expect that text, nor the window title', async () => {
  const directory = join(work, 'trajectory');
  const window = { id: '1', title: 'note.txt', className: 'Toplevel', geometry: { x: 0, y: 0, width: 640, height: 400 } };
  const writer = TrajectoryWriter.create(directory, { version: 1, id: 'late-frame', kind: 'x11', app: { name: 'idle', command: 'idle', window }, screen: { width: 640, height: 400 }, started: new Date().toISOString(), mode: 'script' });
  const empty = writer.writeFrame('frame-000.png', await editor(''));
  writer.updateMeta({ startFrame: empty });
  // The click's after-frame, taken late: the first characters of the typing already show.
  // The title bar gained the modified mark the typing adds; the window's title is checked by
  // title_change, never by reading one snapshot of it.
  const late = writer.writeFrame('frame-001.png', await editor('Saved fr', '*note.txt - Editor'));
  const typed = writer.writeFrame('frame-002.png', await editor('Saved from the menu', '*note.txt - Editor'));
  const at = Date.now();
  writer.updateMeta({ titles: [{ at: at - 1000, title: 'note.txt - Editor' }, { at: at + 650, title: '*note.txt - Editor' }] });
  writer.append({ kind: 'click', at, button: 'left', pointer: { x: 320, y: 200 }, pointerInWindow: { x: 320, y: 200 }, window, frames: { before: empty, after: late }, source: 'hook' });
  writer.append({ kind: 'type', at: at + 600, text: 'Saved from the menu', window, frames: { before: late, after: typed }, source: 'hook' });
  writer.close();
  const built = await buildSkill({ trajectoryDir: directory, outDir: join(work, 'skill'), ocr });
  const plan = JSON.parse(readFileSync(join(built.dir, 'plan.json'), 'utf8')) as PlanFile;
  const click = plan.steps[0];
  assert.equal(click.action, 'click');
  const expected = click.expected?.ocr_text_appears ?? [];
  assert.ok(!expected.some((line) => /saved|note\.txt/i.test(line)), JSON.stringify(click.expected));
});
