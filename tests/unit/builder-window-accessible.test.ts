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

// Dogfood, gnome-characters (GTK 4, in no test): the toolkit's hit test answers the window's frame
// for every point, so each click was recorded with the frame "Characters" as its accessible, and
// the skill read "Click the "Characters" frame." where the person clicked "Black Snowman". Replay
// already declines a window as a target (replay-a11y-frame); the description now does too and
// names what the frame showed under the click.

let work: string;
let ocr: Ocr;

const screen = () =>
  sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"><rect width="100%" height="100%" fill="#eee"/><rect x="200" y="100" width="120" height="60" fill="#ddd"/><text x="215" y="136" font-family="Liberation Sans" font-size="18">Black Snowman</text></svg>`))
    .png()
    .toBuffer();

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'sf-window-accessible-'));
  ocr = await createOcr();
});

after(async () => {
  await ocr?.dispose();
  rmSync(work, { recursive: true, force: true });
});

test('a click recorded on the app\'s own frame is described by the label under it, not by the window', async () => {
  const directory = join(work, 'trajectory');
  const window = { id: '1', title: 'Characters', className: 'org.gnome.Characters', geometry: { x: 0, y: 0, width: 640, height: 400 } };
  const writer = TrajectoryWriter.create(directory, { version: 1, id: 'window-accessible', kind: 'x11', app: { name: 'gnome-characters', command: 'gnome-characters', window }, screen: { width: 640, height: 400 }, started: new Date().toISOString(), mode: 'script' });
  const frame = writer.writeFrame('frame-000.png', await screen());
  writer.updateMeta({ startFrame: frame });
  const accessible = { version: 1 as const, role: 'frame', name: 'Characters', states: ['active', 'showing'], extents: { x: 0, y: 0, width: 640, height: 400 }, path: [{ role: 'frame', name: 'Characters', index: 0 }] };
  writer.append({ kind: 'click', at: Date.now(), button: 'left', pointer: { x: 260, y: 130 }, pointerInWindow: { x: 260, y: 130 }, window, accessible, frames: { before: frame, after: frame }, source: 'hook' });
  writer.close();
  const built = await buildSkill({ trajectoryDir: directory, outDir: join(work, 'skill'), ocr });
  const plan = JSON.parse(readFileSync(join(built.dir, 'plan.json'), 'utf8')) as PlanFile;
  assert.match(plan.steps[0].description, /Black Snowman/, plan.steps[0].description);
  assert.doesNotMatch(readFileSync(join(built.dir, 'SKILL.md'), 'utf8'), /"Characters" frame/);
});
