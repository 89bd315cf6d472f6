import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import type { GroundingInput, TargetStep } from '../../engine/computer/replay/rungs/rung.ts';
import { templateRung } from '../../engine/computer/replay/rungs/template.ts';
import type { PlanFile } from '../../core/schemas/skill.ts';
import { crop, type RgbaImage } from '../../native/image.ts';

// bench replay, a calculator of buttons resized to 0.8× (xcalc, Xaw): the buttons and the gaps
// between them shrink, the digits on them keep their size. The recorded crop (96×48, three
// buttons wide) no longer correlates (0.56), nor does its fixed-fraction core, which still spans
// the recorded button's borders; the recorded label's glyphs alone do.

const rows = [
  ['7', '8', '9', '*'],
  ['4', '5', '6', '-'],
  ['1', '2', '3', '+'],
];

/** A grid of bordered buttons drawn by librsvg with a real font: buttons scale, text does not. */
async function calculator(scale: number, labels = rows): Promise<{ image: RgbaImage; centre: (label: string) => { x: number; y: number } }> {
  const width = Math.round(44 * scale);
  const height = Math.round(30 * scale);
  const origin = { x: 10, y: 10 };
  let body = '';
  const centres = new Map<string, { x: number; y: number }>();
  labels.forEach((row, r) =>
    row.forEach((label, c) => {
      const x = origin.x + c * width;
      const y = origin.y + r * height;
      const centre = { x: x + width / 2, y: y + height / 2 };
      centres.set(label, centre);
      body += `<rect x="${x + 1.5}" y="${y + 1.5}" width="${width - 3}" height="${height - 3}" fill="white" stroke="black" stroke-width="1"/>`;
      // xcalc's "-" is a stroke of 4×1 pixels.
      if (label === '-') body += `<rect x="${Math.round(centre.x) - 2}" y="${Math.round(centre.y)}" width="4" height="1" fill="black"/>`;
      else body += `<text x="${centre.x}" y="${centre.y + 5}" font-family="DejaVu Sans" font-size="14" text-anchor="middle">${label}</text>`;
    }),
  );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="260" height="160"><rect width="100%" height="100%" fill="#d9d9d9"/>${body}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { image: { data: new Uint8Array(data), width: info.width, height: info.height }, centre: (label) => centres.get(label)! };
}

async function ground(live: RgbaImage, recordedCentre: { x: number; y: number }, needle: RgbaImage, templateBox: { x: number; y: number; width: number; height: number }, label?: string, scale = { x: 0.8, y: 0.8 }, region?: [number, number, number, number]) {
  const step = {
    id: 1,
    action: 'click',
    description: 'Click the "5".',
    target: {
      point: recordedCentre,
      template: { file: 'Images/step-01-target.png', box: templateBox, frame: { width: 240, height: 140 }, point_in_crop: { x: recordedCentre.x - templateBox.x, y: recordedCentre.y - templateBox.y } },
      // What PaddleOCR reports for a lone digit: a box padded well beyond the glyph.
      ...(label ? { ocr: { text: label, box: { x: recordedCentre.x - 6, y: recordedCentre.y - 11, width: 13, height: 23 }, confidence: 0.99 } } : {}),
      anchors: [],
    },
  } as unknown as TargetStep;
  const input: GroundingInput = {
    surface: { kind: 'x11' } as GroundingInput['surface'],
    plan: {} as PlanFile,
    step,
    frame: live,
    region: region ?? [0, 0, live.width, live.height],
    expected: { x: 10 + (recordedCentre.x - 10) * scale.x, y: 10 + (recordedCentre.y - 10) * scale.y },
    positionTrusted: true,
    scale,
    readLines: async () => [],
    templateImage: async () => needle,
    threshold: 0.8,
    disabled: new Set(),
  };
  return templateRung.ground(input);
}

/** The rung's confidence, 0 when it found nothing. */
const confidenceOf = (result: Awaited<ReturnType<typeof ground>>) => (typeof result === 'object' && 'confidence' in result ? result.confidence : 0);

test('a button grid resized to 0.8×: the recorded label\'s glyphs find the button where the whole crop cannot', async () => {
  const recorded = await calculator(1);
  const live = await calculator(0.8);
  const at = recorded.centre('5');
  const templateBox = { x: Math.round(at.x - 48), y: Math.round(at.y - 24), width: 96, height: 48 };
  const needle = crop(recorded.image, [templateBox.x, templateBox.y, templateBox.width, templateBox.height]);
  const found = await ground(live.image, at, needle, templateBox, '5');
  assert.ok(typeof found === 'object' && 'confidence' in found, JSON.stringify(found));
  assert.ok(found.confidence >= 0.8, `confidence ${found.confidence}: ${found.evidence}`);
  assert.match(found.evidence, /template label/);
  const truth = live.centre('5');
  assert.ok(Math.hypot(found.point.x - truth.x, found.point.y - truth.y) <= 4, `${JSON.stringify(found.point)} vs ${JSON.stringify(truth)}`);
  // Without a recorded label there is no glyph box to match: the rung stays below the threshold.
  const unlabelled = await ground(live.image, at, needle, templateBox);
  assert.ok(confidenceOf(unlabelled) < 0.8, JSON.stringify(unlabelled));
});

test('the glyphs are not on the live grid (another key in its place): no confident match', async () => {
  const recorded = await calculator(1);
  const live = await calculator(0.8, rows.map((row) => row.map((label) => (label === '5' ? '0' : label))));
  const at = recorded.centre('5');
  const templateBox = { x: Math.round(at.x - 48), y: Math.round(at.y - 24), width: 96, height: 48 };
  const needle = crop(recorded.image, [templateBox.x, templateBox.y, templateBox.width, templateBox.height]);
  const found = await ground(live.image, at, needle, templateBox, '5');
  assert.ok(confidenceOf(found) < 0.8, JSON.stringify(found));
});

test('the same glyph on another key away from where the window puts the target (xcalc\'s "+" on "+/-" at 1.3×) is not taken', async () => {
  const recorded = await calculator(1);
  // Resized larger: the "5" key is gone from its place; the key two columns over and a row down
  // shows a "5". In a window as big as xcalc's at 1.3× (620 px across) that is not "far" (124 px).
  const live = await calculator(1.3, rows.map((row) => row.map((label) => (label === '5' ? '0' : label === '3' ? '5' : label))));
  const at = recorded.centre('5');
  const templateBox = { x: Math.round(at.x - 48), y: Math.round(at.y - 24), width: 96, height: 48 };
  const needle = crop(recorded.image, [templateBox.x, templateBox.y, templateBox.width, templateBox.height]);
  const found = await ground(live.image, at, needle, templateBox, '5', { x: 1.3, y: 1.3 }, [0, 0, 600, 400]);
  assert.ok(confidenceOf(found) < 0.8, JSON.stringify(found));
});

test('a glyph one pixel high (xcalc\'s "-") resized to 0.8×: matched with the empty button around it, and not where another key stands', async () => {
  // bench replay desktop, xcalc resized smaller (unseen): the "-" key's glyph is a 4×1 stroke; the
  // needle of its ink with 2 px around was 8×5 and refused as too small to trust, so the step had
  // no rung above the threshold and the difference task aborted in that condition.
  const recorded = await calculator(1);
  const at = recorded.centre('-');
  const templateBox = { x: Math.round(at.x - 48), y: Math.round(at.y - 24), width: 96, height: 48 };
  const needle = crop(recorded.image, [Math.max(0, templateBox.x), templateBox.y, templateBox.width, templateBox.height]);
  const live = await calculator(0.8);
  const found = await ground(live.image, at, needle, templateBox, '-');
  assert.ok(typeof found === 'object' && 'confidence' in found && found.confidence >= 0.8, JSON.stringify(found));
  assert.match(found.evidence, /template label/);
  const truth = live.centre('-');
  assert.ok(Math.hypot(found.point.x - truth.x, found.point.y - truth.y) <= 4, `${JSON.stringify(found.point)} vs ${JSON.stringify(truth)}`);
  // Where the "-" was, another key ("="): no confident match.
  const other = await calculator(0.8, rows.map((row) => row.map((label) => (label === '-' ? '=' : label))));
  assert.ok(confidenceOf(await ground(other.image, at, needle, templateBox, '-')) < 0.8);
});
