import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import type { PlanFile } from '../../core/schemas/skill.ts';
import type { GroundingInput, TargetStep } from '../../engine/computer/replay/rungs/rung.ts';
import { templateRung } from '../../engine/computer/replay/rungs/template.ts';
import { crop, type RgbaImage } from '../../native/image.ts';

// bench replay desktop, IDLE (Tk) resized larger (unseen): File › Save clicked "Save Copy As…". A
// menu keeps its size when its window grows, but the window-mapped point scales with the window
// (193 px down becomes 251), and the whole crop was searched only at 1.04–1.63× (the window's 1.3×
// times 0.8–1.25), never at its own size; the "Save" glyphs alone then matched the three items
// that begin with "Save" and the one nearest the scaled point was taken. The crop at its own size
// finds the item with its neighbours; where it cannot, two items' glyphs near the scaled point are
// refused rather than the nearer taken.

const items = ['Path Browser', 'Save', 'Save As...', 'Save Copy As...', 'Print Window'];
const menuTop = 150;
const rowHeight = 21;

/** A drop-down menu drawn by librsvg with a real font, at the same place whatever the window's size. */
async function menu(labels = items): Promise<RgbaImage> {
  const body = labels.map((label, row) => `<text x="30" y="${menuTop + row * rowHeight + 15}" font-family="DejaVu Sans" font-size="13">${label}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="420"><rect width="100%" height="100%" fill="white"/><rect x="20" y="${menuTop - 4}" width="160" height="${labels.length * rowHeight + 8}" fill="#d9d9d9" stroke="black"/>${body}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

const centreOf = (label: string) => ({ x: 48, y: menuTop + items.indexOf(label) * rowHeight + 10 });

async function groundSave(live: RgbaImage, memory?: GroundingInput['memory']) {
  const image = await menu();
  const at = centreOf('Save');
  const box = { x: at.x - 48, y: at.y - 24, width: 96, height: 48 };
  const needle = crop(image, [Math.max(0, box.x), box.y, box.width, box.height]);
  const scale = { x: 1.3, y: 1.3 };
  const origin = { x: 10, y: 10 };
  const step = {
    id: 4,
    action: 'click',
    description: 'Click the "Save".',
    target: {
      point: at,
      template: { file: 'Images/step-04-target.png', box: { ...box, x: Math.max(0, box.x) }, frame: { width: 600, height: 420 }, point_in_crop: { x: at.x - Math.max(0, box.x), y: at.y - box.y } },
      ocr: { text: 'Save', box: { x: 30, y: at.y - 9, width: 32, height: 18 }, confidence: 0.99 },
      anchors: [],
    },
  } as unknown as TargetStep;
  // Where the window mapping puts the item after 1.3×: nearer "Save Copy As..." than "Save".
  const expected = { x: origin.x + (at.x - origin.x) * scale.x, y: origin.y + (at.y - origin.y) * scale.y };
  assert.ok(Math.abs(expected.y - centreOf('Save Copy As...').y) < Math.abs(expected.y - at.y), 'the scaled point misleads');
  const input: GroundingInput = {
    surface: { kind: 'x11' } as GroundingInput['surface'],
    plan: {} as PlanFile,
    step,
    frame: live,
    region: [0, 0, live.width, live.height],
    expected,
    positionTrusted: true,
    scale,
    readLines: async () => [],
    templateImage: async () => needle,
    threshold: 0.8,
    disabled: new Set(),
    ...(memory ? { memory } : {}),
  };
  return { found: await templateRung.ground(input), at };
}

test('a menu item in a window resized larger: the crop at its own size finds it, not a look-alike nearer the scaled point', async () => {
  const { found, at } = await groundSave(await menu());
  assert.ok(typeof found === 'object' && 'point' in found, JSON.stringify(found));
  assert.ok(Math.abs(found.point.y - at.y) <= 3, `clicked at y ${found.point.y} (${found.evidence}); "Save" is at ${at.y}, "Save Copy As..." at ${centreOf('Save Copy As...').y}`);
  assert.ok(found.confidence >= 0.8, `${found.confidence}: ${found.evidence}`);
});

test('the glyphs alone of two items near the scaled point (the menu’s other items changed around them) are refused, not the nearest taken', async () => {
  const { found } = await groundSave(await menu(['Open...', 'Save', 'Save As...', 'Save Copy As...', 'Close']));
  const taken = typeof found === 'object' && 'point' in found && found.confidence >= 0.8 ? found : undefined;
  assert.ok(!taken || Math.abs(taken.point.y - centreOf('Save').y) <= 3, JSON.stringify(found));
  const { found: shuffled } = await groundSave(await menu(['Close', 'Open...', 'Save As...', 'Save', 'Save Copy As...']));
  const wrong = typeof shuffled === 'object' && 'point' in shuffled && shuffled.confidence >= 0.8 && Math.abs(shuffled.point.y - (menuTop + 3 * rowHeight + 10)) > 3 ? shuffled : undefined;
  assert.equal(wrong, undefined, JSON.stringify(shuffled));
});

test('the whole crop put off (it found nothing earlier in this window): the one glyph at the scaled point is not taken while its look-alike lies a row or two away', async () => {
  // As in the bench: the earlier steps' whole-crop searches missed, so the glyphs are searched first;
  // only "Save Copy As..." lies within one label size of the scaled point, "Save" two rows above.
  const live = await menu();
  const memory = { searches: new Map([[`template whole crop in 0,0,${live.width},${live.height}`, { found: 0, missed: 2 }]]) };
  const { found } = await groundSave(live, memory);
  const taken = typeof found === 'object' && 'point' in found && found.confidence >= 0.8 ? found : undefined;
  assert.ok(!taken || Math.abs(taken.point.y - centreOf('Save').y) <= 3, JSON.stringify(found));
});
