import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { groundStep } from '../../engine/computer/replay/ground.ts';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import type { TargetStep } from '../../engine/computer/replay/rungs/rung.ts';
import type { Surface } from '../../engine/computer/replay/surface.ts';
import type { PlanFile } from '../../core/schemas/skill.ts';
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

test('a label of several words (a Tk menu bar read as one phrase) is clicked at the recorded word, not at its centre', async () => {
  const box = (x: number, width: number): [number, number, number, number] => [x, 300, width, 16];
  // The recording clicked "File" in a menu bar OCR read as the one phrase "File Edit Format Run".
  const step = {
    id: 3,
    action: 'click',
    description: 'Click the "File Edit Format Run".',
    target: { point: { x: 112, y: 108 }, ocr: { text: 'File Edit Format Run', box: { x: 100, y: 100, width: 170, height: 16 }, confidence: 0.95 }, anchors: [] },
    expected: { dom_text_appears: [], ocr_text_appears: [] },
  } as unknown as TargetStep;
  // Live: the window moved 300 px right and 200 px down; the bar reads as one line with word boxes.
  const words = [
    { text: 'File', box: box(400, 28) },
    { text: 'Edit', box: box(436, 28) },
    { text: 'Format', box: box(472, 50) },
    { text: 'Run', box: box(530, 40) },
    { text: 'Options', box: box(590, 56) },
  ];
  const readLines = async () => [{ text: words.map((word) => word.text).join(' '), box: box(400, 246), confidence: 0.95, words }];
  const grounding = await groundStep({ surface: { kind: 'x11' } as unknown as Surface, plan: { platform: 'x11' } as PlanFile, step, frame: { data: new Uint8Array(800 * 600 * 4), width: 800, height: 600 }, region: [380, 280, 400, 300], expected: { x: 412, y: 308 }, positionTrusted: true, scale: { x: 1, y: 1 }, readLines, templateImage: async () => undefined, threshold: 0.8, disabled: new Set() });
  assert.ok(grounding.found, JSON.stringify(grounding));
  const { x } = grounding.found!.point;
  assert.ok(x >= 400 && x < 428, `clicked at x=${x}, outside the live "File" (400–428)`);
});

test('an imperfect template match at the window-relative point is not acted on when the recorded label is read elsewhere', async () => {
  // A menu whose items moved down with a larger font: the crop at the recorded point still
  // correlates (a neighbouring item of the same grey and ink), but "Save" is read 30 px lower.
  const random = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const next = random(7);
  const needle = { width: 40, height: 20, data: new Uint8Array(40 * 20 * 4) };
  for (let index = 0; index < 40 * 20; index += 1) {
    const value = Math.round(next() * 255);
    needle.data.set([value, value, value, 255], index * 4);
  }
  const frame = { width: 400, height: 300, data: new Uint8Array(400 * 300 * 4).fill(200) };
  const noise = random(11);
  for (let y = 0; y < 20; y += 1) {
    for (let x = 0; x < 40; x += 1) {
      // The same crop with a tenth of its pixels different: a look-alike, not the same pixels.
      const value = noise() < 0.1 ? Math.round(noise() * 255) : needle.data[(y * 40 + x) * 4];
      frame.data.set([value, value, value, 255], ((100 + y) * 400 + 100 + x) * 4);
    }
  }
  const step = {
    id: 4,
    action: 'click',
    description: 'Click the "Save".',
    target: { point: { x: 120, y: 110 }, template: { file: 'step-04-target.png', box: { x: 100, y: 100, width: 40, height: 20 }, frame: { width: 400, height: 300 }, point_in_crop: { x: 20, y: 10 } }, ocr: { text: 'Save', box: { x: 108, y: 103, width: 24, height: 14 }, confidence: 0.99 }, anchors: [], window: { geometry: { x: 0, y: 0, width: 400, height: 300 }, point_in_window: { x: 120, y: 110 } } },
    expected: { dom_text_appears: [], ocr_text_appears: [] },
  } as unknown as TargetStep;
  const readLines = async () => [{ text: 'Save', box: [108, 133, 24, 14] as [number, number, number, number], confidence: 0.99 }];
  const grounding = await groundStep({ surface: { kind: 'x11' } as unknown as Surface, plan: { platform: 'x11' } as PlanFile, step, frame, region: [0, 0, 400, 300], expected: { x: 120, y: 110 }, positionTrusted: true, scale: { x: 1, y: 1 }, readLines, templateImage: async () => needle, threshold: 0.8, disabled: new Set(['template']) });
  const window = grounding.attempts.find((attempt) => attempt.tier === 'window');
  assert.ok(window && /not read there/.test(window.reason), JSON.stringify(grounding.attempts));
  assert.notEqual(grounding.found?.tier, 'window', JSON.stringify(grounding));
  if (grounding.found) assert.ok(Math.abs(grounding.found.point.y - 140) < 8, JSON.stringify(grounding.found));
});
