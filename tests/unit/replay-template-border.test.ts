import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { groundingInput } from '../support/grounding.ts';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { TargetStep } from '../../engine/computer/replay/rungs/rung.ts';
import { templateRung } from '../../engine/computer/replay/rungs/template.ts';
import type { RgbaImage } from '../../native/image.ts';

// bench replay desktop, xcalc (Xaw, unseen) resized to 0.8×, on the real frames of that run: the
// "9" of xcalc-product was refused (no accessibility, OCR did not read the lone digit, the whole
// crop matched the "C" above it and the "3" below it equally at 0.686, and the label's glyphs matched nothing). The
// OCR box of the "9" is padded and took in its button's bottom border; the label core kept that
// border, 20×25 instead of the 13×17 glyph, and at 0.8× the border lies closer to the glyph. A
// line across the whole label box is the control's edge, not the label: the glyph alone matches at 1.0.

const fixtures = fileURLToPath(new URL('../../testkit/fixtures/desktop/xcalc/', import.meta.url));
/** The live frame's crop starts here on the 1920×1080 screen. */
const cropAt = { x: 150, y: 80 };

async function image(name: string): Promise<RgbaImage> {
  const { data, info } = await sharp(readFileSync(fixtures + name)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

test('a label whose OCR box takes in its button\'s border is matched by its glyph in a narrower window (xcalc "9" at 0.8×)', async () => {
  const [live, needle] = await Promise.all([image('resized-smaller-live.png'), image('nine-recorded-crop.png')]);
  // The recorded step as the plan had it (screen coordinates of the recording), the window 245×410 at (200, 120).
  const step = {
    id: 1,
    action: 'click',
    description: 'Click the "9".',
    target: {
      point: { x: 358, y: 423 },
      template: { file: 'Images/step-01-target.png', box: { x: 310, y: 399, width: 96, height: 48 }, frame: { width: 1920, height: 1080 }, point_in_crop: { x: 48, y: 24 } },
      ocr: { text: '9', box: { x: 349, y: 413, width: 16, height: 24 }, confidence: 0.991 },
      anchors: [],
      window: { title: 'Calculator', geometry: { x: 200, y: 120, width: 245, height: 410 }, point_in_window: { x: 158, y: 303 } },
    },
  } as unknown as TargetStep;
  // The live window: 196×328 at (200, 120); the point the window maps to, in the crop's coordinates.
  const scale = { x: 0.8, y: 0.8 };
  const input = groundingInput({
    step,
    frame: live,
    region: [200 - cropAt.x, 120 - cropAt.y, 196, 328],
    expected: { x: 200 + 158 * 0.8 - cropAt.x, y: 120 + 303 * 0.8 - cropAt.y },
    scale,
    templateImage: async () => needle,
  });
  const found = await templateRung.ground(input);
  assert.ok(typeof found === 'object' && 'point' in found, JSON.stringify(found));
  assert.ok(found.confidence >= 0.8, `${found.confidence}: ${found.evidence}`);
  // The "9" on the live screen is at (325, 361); the "3" 48 px below it, the "8" 35 px to its left.
  assert.ok(Math.abs(found.point.x + cropAt.x - 325) <= 3 && Math.abs(found.point.y + cropAt.y - 361) <= 3, `clicked at (${found.point.x + cropAt.x}, ${found.point.y + cropAt.y}): ${found.evidence}`);
});
