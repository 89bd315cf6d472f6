import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import type { GroundingInput } from '../../engine/computer/replay/rungs/rung.ts';
import { templateRung } from '../../engine/computer/replay/rungs/template.ts';
import { crop, type RgbaImage } from '../../native/image.ts';
import { groundingInput } from '../support/grounding.ts';

// bench explore, uikit (unseen), seed 3: an exported skill's "Parent" step clicked the nav item
// above the explored one. Two nav items look the same (label, chevron, 373 x 34 px, one under the
// other); the step's DOM locator matched four "Parent" controls it could not tell apart, and the
// template rung's search over ten scales kept the upper item at its own size and the explored one
// only at 0.95 (a weaker score): one clear match, taken at 0.985. Replay acted on the wrong item.

const top = 344;
const height = 34;

/** A side nav drawn by librsvg with a real font, its first item at 276 px: two "Parent" items (label, chevron) one under the other. */
async function nav(labels: string[]): Promise<RgbaImage> {
  const first = top - 2 * height;
  const body = labels
    .map((label, row) => `<text x="1010" y="${first + row * height + 22}" font-family="DejaVu Sans" font-size="14">${label}</text>` + (label === 'Parent' ? `<path d="M 1210 ${first + row * height + 14} l 5 5 l 5 -5" stroke="#666" fill="none" stroke-width="1.5"/>` : ''))
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="800"><rect width="100%" height="100%" fill="white"/>${body}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

test('one of two identical nav items stacked one under the other: the template rung takes the one nearest the recorded place, as one of several', async () => {
  const labels = ['Active', 'Item', 'Parent', 'Parent', 'Item', 'Header', 'Item', 'Item'];
  const frame = await nav(labels);
  const box = { x: 867, y: top + height, width: 373, height };
  const needle = crop(frame, [box.x, box.y, box.width, box.height]);
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const step = {
    id: 1,
    action: 'click',
    description: 'Click the "Parent" button.',
    target: { point: at, template: { file: 'Images/step-01-target.png', box, frame: { width: 1280, height: 800 }, point_in_crop: { x: box.width / 2, y: box.height / 2 } }, anchors: [] },
  };
  // A web page: the recorded place is where the item is (no window moved or resized).
  const input = groundingInput({ step, frame, region: [0, 0, frame.width, frame.height], expected: at, surface: { kind: 'web' } as GroundingInput['surface'], templateImage: async () => needle });
  const found = await templateRung.ground(input);
  assert.ok(typeof found === 'object' && 'point' in found, JSON.stringify(found));
  assert.ok(Math.abs(found.point.y - at.y) <= 3, `clicked at y ${found.point.y} (${found.evidence}); the explored item is at ${at.y}, its twin at ${at.y - height}`);
  assert.match(found.evidence, /nearest of several/);
});
