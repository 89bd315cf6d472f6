import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RgbaImage } from '../../native/image.ts';
import type { OcrLine } from '../../perception/ocr.ts';
import { anchorRung } from '../../engine/computer/replay/rungs/anchor.ts';
import type { GroundingInput, TargetStep } from '../../engine/computer/replay/rungs/rung.ts';

// The anchor rung places a target from text near it. Two ways it once clicked a wrong spot, each
// checked here on a synthetic frame: a target recorded outside the window the recording names
// (dogfood, fluid: a Widget Bin button placed by the main window's menu words, scaled with a
// window it does not belong to), and a target not drawn where the anchors point.

function frame(width: number, height: number, paint: (x: number, y: number) => number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const luma = paint(x, y);
      data.set([luma, luma, luma, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data } as RgbaImage;
}

// A 24×24 button with a dark border at (200, 100)–(224, 124) on a light background.
const button = (x: number, y: number) => (x >= 200 && x < 224 && y >= 100 && y < 124 ? (x === 200 || x === 223 || y === 100 || y === 123 ? 40 : 200) : 230);
const blank = () => 230;
const crop = frame(24, 24, (x, y) => button(x + 200, y + 100));

const lines: OcrLine[] = [
  { text: 'New', box: [100, 20, 30, 12], confidence: 0.99 },
  { text: 'Layout', box: [300, 20, 50, 12], confidence: 0.99 },
] as OcrLine[];

function input(target: Partial<TargetStep['target']>, live: RgbaImage): GroundingInput {
  const step = {
    id: 1,
    action: 'click',
    target: {
      point: { x: 212, y: 112 },
      template: { file: 'Images/t.png', box: { x: 200, y: 100, width: 24, height: 24 }, point_in_crop: { x: 12, y: 12 } },
      anchors: [
        { text: 'New', box: { x: 100, y: 20, width: 30, height: 12 }, offset: { dx: 97, dy: 86 } },
        { text: 'Layout', box: { x: 300, y: 20, width: 50, height: 12 }, offset: { dx: -113, dy: 86 } },
      ],
      ...target,
    },
  } as unknown as TargetStep;
  return {
    surface: { kind: 'x11' },
    plan: {},
    step,
    frame: live,
    region: [0, 0, live.width, live.height],
    expected: { x: 212, y: 112 },
    positionTrusted: true,
    scale: { x: 1, y: 1 },
    readLines: async () => lines,
    templateImage: async () => crop,
    threshold: 0.8,
    disabled: new Set(),
  } as unknown as GroundingInput;
}

const inside = { title: 'main', geometry: { x: 0, y: 0, width: 400, height: 300 } };

test('anchors that agree on a drawn target place it', async () => {
  const grounding = await anchorRung.ground(input({ window: inside }, frame(400, 300, button)));
  assert.equal(typeof grounding, 'object', String(grounding));
  const placed = grounding as { tier: string; point: { x: number; y: number } };
  assert.equal(placed.tier, 'anchor');
  assert.ok(Math.hypot(placed.point.x - 212, placed.point.y - 112) < 2, JSON.stringify(placed));
});

test('a target recorded outside the window the recording names is not placed by anchors', async () => {
  const elsewhere = { title: 'main', geometry: { x: 600, y: 400, width: 300, height: 200 } };
  const grounding = await anchorRung.ground(input({ window: elsewhere }, frame(400, 300, button)));
  assert.equal(typeof grounding, 'string');
  assert.match(grounding as string, /outside its window/);
});

test('anchors pointing at a spot where nothing is drawn do not place the target', async () => {
  const grounding = await anchorRung.ground(input({ window: inside }, frame(400, 300, blank)));
  assert.equal(typeof grounding, 'string');
  assert.match(grounding as string, /nothing like the target is drawn/);
});
