import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { PlanFile } from '../../core/schemas/skill.ts';
import { createOcr, type Ocr } from '../../perception/ocr.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { TrajectoryWriter } from '../../skills-mm/trajectory/store.ts';

// Dogfood, gnumeric (GTK 3, in no test): typing "42" into a cell redraws the toolbar (Undo turns
// on) and the formula bar; OCR of that changed region reads the toolbar's icons as Chinese glyphs
// ("个", "自"), which the builder made the step's expected text. The two frames are the real app's,
// as the recorder stored them (1280x800, gnumeric 1.12.55, Adwaita).

const fixtures = fileURLToPath(new URL('../../testkit/fixtures/desktop/gnumeric/', import.meta.url));
let work: string;
let ocr: Ocr;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'sf-icon-glyphs-'));
  ocr = await createOcr();
});

after(async () => {
  await ocr?.dispose();
  rmSync(work, { recursive: true, force: true });
});

async function typingExpectation(name: string, title: string): Promise<string[]> {
  const directory = join(work, name);
  const window = { id: '4194311', title, className: 'Gnumeric', geometry: { x: 160, y: 107, width: 960, height: 600 } };
  const writer = TrajectoryWriter.create(directory, { version: 1, id: name, kind: 'x11', app: { name: 'gnumeric', command: 'gnumeric', window }, screen: { width: 1280, height: 800 }, started: new Date().toISOString(), mode: 'script' });
  const beforeFrame = writer.writeFrame('frame-000.png', readFileSync(join(fixtures, 'typing-before.png')));
  writer.updateMeta({ startFrame: beforeFrame });
  const afterFrame = writer.writeFrame('frame-001.png', readFileSync(join(fixtures, 'typing-after.png')));
  writer.append({ kind: 'type', at: Date.now(), text: '42', window, frames: { before: beforeFrame, after: afterFrame }, source: 'hook' });
  writer.close();
  const built = await buildSkill({ trajectoryDir: directory, outDir: join(work, `${name}-skill`), ocr });
  const plan = JSON.parse(readFileSync(join(built.dir, 'plan.json'), 'utf8')) as PlanFile;
  return plan.steps[0].expected?.ocr_text_appears ?? [];
}

const ideograph = /\p{Script=Han}/u;

test('icons read as a glyph or two of Chinese are no expected text of a step in an app that writes none', async () => {
  const expected = await typingExpectation('latin', 'Book1.gnumeric - Gnumeric');
  assert.ok(!expected.some((line) => ideograph.test(line)), `icon glyphs expected: ${JSON.stringify(expected)}`);
  assert.ok(expected.includes('f(x)'), `the formula bar's text is still expected: ${JSON.stringify(expected)}`);
});

test('in an app whose title is written in Chinese, short Chinese text stays evidence', async () => {
  const expected = await typingExpectation('chinese', '工作簿1.gnumeric - Gnumeric');
  assert.ok(expected.some((line) => ideograph.test(line)), `nothing Chinese kept: ${JSON.stringify(expected)}`);
});
