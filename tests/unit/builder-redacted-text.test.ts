import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { PlanFile } from '../../core/schemas/skill.ts';
import { createOcr, type Ocr } from '../../perception/ocr.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { TrajectoryWriter } from '../../skills-mm/trajectory/store.ts';

// Dogfood, kwrite (KF5, in no test): an e-mail typed into the editor was redacted from the
// recording and became a required secret, but the builder read it back off the recorded frames:
// "Reply to grace@example.org by Friday" was an anchor in plan.json and a visible cue in
// state_cards.json. Text the recorder would have redacted is not carried from the screen either.

let work: string;
let ocr: Ocr;

const editor = (lines: string[]) =>
  sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"><rect width="100%" height="100%" fill="#eee"/><rect x="10" y="10" width="60" height="26" fill="white" stroke="black"/><text x="20" y="29" font-family="Liberation Sans" font-size="15">File</text><rect x="10" y="44" width="620" height="340" fill="white"/>${lines.map((line, index) => `<text x="20" y="${80 + index * 30}" font-family="Liberation Sans" font-size="16">${line}</text>`).join('')}</svg>`))
    .png()
    .toBuffer();

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'sf-redacted-text-'));
  ocr = await createOcr();
});

after(async () => {
  await ocr?.dispose();
  rmSync(work, { recursive: true, force: true });
});

test('an e-mail read off a recorded frame goes into no anchor, expectation or card; other text still does', async () => {
  const directory = join(work, 'trajectory');
  const window = { id: '1', title: 'Untitled - KWrite', className: 'kwrite', geometry: { x: 0, y: 0, width: 640, height: 400 } };
  const writer = TrajectoryWriter.create(directory, { version: 1, id: 'redacted-text', kind: 'x11', app: { name: 'kwrite', command: 'kwrite', window }, screen: { width: 640, height: 400 }, started: new Date().toISOString(), mode: 'script' });
  const start = writer.writeFrame('frame-000.png', await editor(['Reply to grace@example.org by Friday']));
  writer.updateMeta({ startFrame: start });
  // A click under the typed line: a notice naming the address appears beside one that does not.
  const clicked = writer.writeFrame('frame-001.png', await editor(['Reply to grace@example.org by Friday', 'Sent to grace@example.org', 'Ready to edit']));
  writer.append({ kind: 'click', at: Date.now(), button: 'left', pointer: { x: 120, y: 112 }, pointerInWindow: { x: 120, y: 112 }, window, frames: { before: start, after: clicked }, source: 'hook' });
  writer.close();
  const built = await buildSkill({ trajectoryDir: directory, outDir: join(work, 'skill'), ocr });
  for (const file of readdirSync(built.dir).filter((name) => /\.(json|md)$/.test(name))) {
    assert.ok(!/grace@|example\.org/.test(readFileSync(join(built.dir, file), 'utf8')), `${file} carries the address`);
  }
  const plan = JSON.parse(readFileSync(join(built.dir, 'plan.json'), 'utf8')) as PlanFile;
  assert.ok(plan.steps[0].expected?.ocr_text_appears.some((line) => /ready/i.test(line)), JSON.stringify(plan.steps[0].expected));
});

test('a redacted value typed into the window is painted over in every image of the package from that step on', async () => {
  const directory = join(work, 'typed');
  const window = { id: '1', title: 'Untitled - KWrite', className: 'kwrite', geometry: { x: 0, y: 0, width: 640, height: 400 } };
  const writer = TrajectoryWriter.create(directory, { version: 1, id: 'typed-secret', kind: 'x11', app: { name: 'kwrite', command: 'kwrite', window }, screen: { width: 640, height: 400 }, started: new Date().toISOString(), mode: 'script' });
  const start = writer.writeFrame('frame-000.png', await editor([]));
  writer.updateMeta({ startFrame: start });
  const at = Date.now();
  const clicked = writer.writeFrame('frame-001.png', await editor(['']));
  writer.append({ kind: 'click', at, button: 'left', pointer: { x: 200, y: 150 }, pointerInWindow: { x: 200, y: 150 }, window, frames: { before: start, after: clicked }, source: 'hook' });
  // The recorder kept the words around the address and redacted the address itself; the frames show it all.
  const typed = writer.writeFrame('frame-002.png', await editor(['Reply to grace@example.org by Friday']));
  writer.append({ kind: 'type', at: at + 600, text: 'Reply to [email] by Friday', window, frames: { before: clicked, after: typed }, source: 'hook' });
  const menu = writer.writeFrame('frame-003.png', await editor(['Reply to grace@example.org by Friday', 'Saved copy for grace@example.org']));
  writer.append({ kind: 'click', at: at + 1200, button: 'left', pointer: { x: 40, y: 23 }, pointerInWindow: { x: 40, y: 23 }, window, frames: { before: typed, after: menu }, source: 'hook' });
  writer.close();
  const built = await buildSkill({ trajectoryDir: directory, outDir: join(work, 'typed-skill'), ocr });
  const plan = JSON.parse(readFileSync(join(built.dir, 'plan.json'), 'utf8')) as PlanFile;
  assert.ok(plan.parameters.some((parameter) => parameter.secret), JSON.stringify(plan.parameters));
  const images = readdirSync(join(built.dir, 'Images'));
  let readWords = 0;
  for (const file of images) {
    const { data, info } = await sharp(join(built.dir, 'Images', file)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const { lines } = await ocr.recognize({ data: new Uint8Array(data), width: info.width, height: info.height });
    const text = lines.map((line) => line.text).join(' ');
    readWords += lines.length;
    assert.ok(!/grace|example\.org/i.test(text), `${file} shows the address: ${text}`);
  }
  // The images still show the app (the check above could not pass on blank images).
  assert.ok(readWords > 0, `no text read in ${images.join(', ')}`);
});
