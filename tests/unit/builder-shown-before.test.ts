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

// bench replay desktop, xedit (tune): the click into the text area also changed the hover border
// of the button row above it, so the changed region held "Quit Save Load", which the builder made
// the click's expected text; a smaller window read that row otherwise and replay aborted the
// click. Text the region already showed before the action is no evidence of it; text that
// appeared is.

let work: string;
let ocr: Ocr;

const editor = (border: number, note: string) =>
  sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"><rect width="100%" height="100%" fill="#eee"/><rect x="10" y="10" width="60" height="26" fill="white" stroke="black" stroke-width="${border}"/><text x="20" y="29" font-family="Liberation Sans" font-size="15">Quit</text><rect x="72" y="10" width="60" height="26" fill="white" stroke="black" stroke-width="${border}"/><text x="82" y="29" font-family="Liberation Sans" font-size="15">Save</text><rect x="10" y="44" width="620" height="340" fill="white"/><text x="20" y="80" font-family="Liberation Sans" font-size="16">${note}</text></svg>`))
    .png()
    .toBuffer();

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'sf-shown-before-'));
  ocr = await createOcr();
});

after(async () => {
  await ocr?.dispose();
  rmSync(work, { recursive: true, force: true });
});

test('text the changed region showed before the action is not expected after it; text that appeared is', async () => {
  const directory = join(work, 'trajectory');
  const window = { id: '1', title: 'xedit', className: 'Xedit', geometry: { x: 0, y: 0, width: 640, height: 400 } };
  const writer = TrajectoryWriter.create(directory, { version: 1, id: 'shown-before', kind: 'x11', app: { name: 'xedit', command: 'xedit', window }, screen: { width: 640, height: 400 }, started: new Date().toISOString(), mode: 'script' });
  const start = writer.writeFrame('frame-000.png', await editor(1, ''));
  writer.updateMeta({ startFrame: start });
  // The click: the buttons' borders thicken (hover), and a notice appears in the text area.
  const clicked = writer.writeFrame('frame-001.png', await editor(3, 'Ready to edit'));
  const at = Date.now();
  writer.append({ kind: 'click', at, button: 'left', pointer: { x: 320, y: 200 }, pointerInWindow: { x: 320, y: 200 }, window, frames: { before: start, after: clicked }, source: 'hook' });
  writer.close();
  const built = await buildSkill({ trajectoryDir: directory, outDir: join(work, 'skill'), ocr });
  const plan = JSON.parse(readFileSync(join(built.dir, 'plan.json'), 'utf8')) as PlanFile;
  const expected = plan.steps[0].expected?.ocr_text_appears ?? [];
  assert.ok(!expected.some((line) => /quit|save/i.test(line)), JSON.stringify(expected));
  assert.ok(expected.some((line) => /ready/i.test(line)), JSON.stringify(expected));
});
