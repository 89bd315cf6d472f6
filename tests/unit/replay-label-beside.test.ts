import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import type { RgbaImage } from '../../native/image.ts';
import { createOcr, type Ocr } from '../../perception/ocr.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { TrajectoryWriter } from '../../skills-mm/trajectory/store.ts';
import { FakeCalculator } from '../support/fake-calculator.ts';

// bench replay, galculator-product, dark theme: OCR could not read galculator's thin "-", so the
// builder labelled the click on "-" with the "+" 33 px below it (the nearest text within 40 px);
// in the dark theme the templates miss and the OCR rung clicked "+" with full confidence. A label
// is now only the text under the click; a package that still carries a neighbour's label is
// refused by the OCR rung.

let work: string;
let ocr: Ocr;
let skillDirectory: string;
const click = { x: 105, y: 142 };

const png = async (image: RgbaImage) => sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } }).png().toBuffer();

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'sf-label-beside-'));
  ocr = await createOcr();
  const calculator = new FakeCalculator({ unreadable: true });
  const window = { id: '4194307', title: 'Calculator', className: 'Galculator', geometry: { x: 0, y: 0, width: 320, height: 240 } };
  const directory = join(work, 'trajectory');
  const writer = TrajectoryWriter.create(directory, { version: 1, id: 'label-beside', kind: 'x11', app: { name: 'galculator', command: 'galculator', window }, screen: { width: 320, height: 240 }, started: new Date().toISOString(), mode: 'script' });
  const start = writer.writeFrame('frame-000.png', await png(await calculator.capture()));
  writer.updateMeta({ startFrame: start });
  await calculator.click(click);
  const afterFrame = writer.writeFrame('frame-001.png', await png(await calculator.capture()));
  writer.append({ kind: 'click', at: Date.now(), button: 'left', pointer: click, pointerInWindow: click, window, frames: { before: start, after: afterFrame }, source: 'hook' });
  writer.close();
  assert.deepEqual(calculator.clicks, ['unreadable']);
  skillDirectory = (await buildSkill({ trajectoryDir: directory, outDir: join(work, 'skill'), ocr })).dir;
});

after(async () => {
  await ocr?.dispose();
  rmSync(work, { recursive: true, force: true });
});

const replayDark = async (directory: string) => {
  const calculator = new FakeCalculator({ unreadable: true, dark: true, screen: { width: 320, height: 240 } });
  const report = await replaySkill({ skillDirectory: directory, surface: calculator, confirm: 'auto', autoApproveTier: 'robot' });
  return { calculator, report };
};

test('the builder labels a click only with text under it, never with the next button\'s label', () => {
  const plan = JSON.parse(readFileSync(join(skillDirectory, 'plan.json'), 'utf8')) as { steps: { target?: { ocr?: { text: string } } }[] };
  assert.equal(plan.steps[0].target?.ocr, undefined, JSON.stringify(plan.steps[0].target));
});

test('dark theme: the unreadable key is found by other rungs or not at all, the 8 is never clicked', async () => {
  const { calculator, report } = await replayDark(skillDirectory);
  assert.ok(!calculator.clicks.includes('8'), `clicks: ${JSON.stringify(calculator.clicks)}`);
  assert.deepEqual(calculator.clicks, report.ok ? ['unreadable'] : calculator.clicks.filter((label) => label === 'unreadable'), JSON.stringify(report.steps));
});

test('a package whose label lies beside the click (built before the fix): the OCR rung refuses it', async () => {
  const copy = join(work, 'old-skill');
  cpSync(skillDirectory, copy, { recursive: true });
  const planFile = join(copy, 'plan.json');
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as { steps: { target: Record<string, unknown> }[] };
  // What the old builder stored: the 8's label and box, 35 px above the click; no anchors, so only
  // the window-relative point or the OCR label could ground it.
  plan.steps[0].target.ocr = { text: '8', box: { x: 99, y: 93, width: 12, height: 14 }, confidence: 0.99 };
  plan.steps[0].target.anchors = [];
  writeFileSync(planFile, JSON.stringify(plan));
  const { calculator, report } = await replayDark(copy);
  assert.ok(!calculator.clicks.includes('8'), `clicks: ${JSON.stringify(calculator.clicks)} ${JSON.stringify(report.steps)}`);
});
