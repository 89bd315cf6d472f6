import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { crop, decodeImage, type Box, type RgbaImage } from '../../native/image.ts';
import { dHash, hammingDistance, pHash } from '../../perception/hash.ts';
import { frameDifference, waitForSettle } from '../../perception/diff.ts';
import { findTemplate } from '../../perception/template.ts';

const page = new URL('../../testkit/fixtures/vision/page-light-sans.png', import.meta.url).pathname;
const calculator = new URL('../../testkit/fixtures/vision/app-galculator.png', import.meta.url).pathname;

async function scaled(image: RgbaImage, factor: number): Promise<RgbaImage> {
  const width = Math.round(image.width * factor);
  const height = Math.round(image.height * factor);
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } }).resize(width, height, { fit: 'fill' }).raw().toBuffer();
  return { data: new Uint8Array(data), width, height };
}

function paint(image: RgbaImage, box: [number, number, number, number], value: number): RgbaImage {
  const data = image.data.slice();
  for (let y = box[1]; y < box[1] + box[3]; y += 1) for (let x = box[0]; x < box[0] + box[2]; x += 1) data.fill(value, (y * image.width + x) * 4, (y * image.width + x) * 4 + 3);
  return { data, width: image.width, height: image.height };
}

test('perceptual hashes: same screen ≈ 0 bits, re-encoded small, different screen far', async () => {
  const a = await decodeImage(page);
  const b = await decodeImage(calculator);
  const jpeg = await decodeImage(await sharp(a.data, { raw: { width: a.width, height: a.height, channels: 4 } }).jpeg({ quality: 60 }).toBuffer());
  assert.equal(pHash(a), pHash(a));
  assert.equal(pHash(a).length, 16);
  assert.ok(hammingDistance(pHash(a), pHash(jpeg)) <= 4, 'pHash survives JPEG');
  assert.ok(hammingDistance(dHash(a), dHash(jpeg)) <= 6, 'dHash survives JPEG');
  assert.ok(hammingDistance(pHash(a), pHash(b)) >= 16, `different screens: ${hammingDistance(pHash(a), pHash(b))}`);
  assert.throws(() => hammingDistance('ab', 'abc'), /different lengths/);
});

test('frame difference finds exactly the changed areas', async () => {
  const before = await decodeImage(calculator);
  const after = paint(paint(before, [100, 100, 40, 20], 200), [900, 600, 10, 10], 30);
  const difference = frameDifference(before, after);
  assert.equal(difference.boxes.length, 2);
  assert.deepEqual(difference.boxes[0], [100, 100, 40, 20]);
  assert.deepEqual(difference.boxes[1], [900, 600, 10, 10]);
  assert.ok(Math.abs(difference.fraction - 900 / (1280 * 800)) < 1e-9);
  assert.deepEqual(frameDifference(before, before), { fraction: 0, boxes: [] });
  assert.throws(() => frameDifference(before, crop(before, [0, 0, 10, 10])), /differ in size/);
  // Rows skipped as equal must not hide a change: frames that are views at odd offsets into larger
  // buffers, a change below the threshold (ignored) and one in the last row (found).
  const view = (image: RgbaImage, offset: number): RgbaImage => {
    const buffer = new Uint8Array(image.data.length + offset + 8);
    buffer.set(image.data, offset);
    return { data: buffer.subarray(offset, offset + image.data.length), width: image.width, height: image.height };
  };
  const level = (image: RgbaImage, x: number, y: number) => image.data[(y * image.width + x) * 4];
  const faint = paint(before, [5, 5, 20, 1], level(before, 5, 5) > 127 ? level(before, 5, 5) - 10 : level(before, 5, 5) + 10);
  const lastRow = paint(after, [300, 799, 7, 1], level(after, 300, 799) > 127 ? 0 : 255);
  const found = frameDifference(view(before, 3), view(lastRow, 5));
  assert.deepEqual(found.boxes, [...difference.boxes, [300, 799, 7, 1]]);
  assert.ok(Math.abs(found.fraction - 907 / (1280 * 800)) < 1e-9);
  assert.deepEqual(frameDifference(view(before, 1), view(faint, 2)), { fraction: 0, boxes: [] });
});

test('waitForSettle waits out changes, times out on a busy screen, and stops on abort', async () => {
  const base = await decodeImage(calculator);
  const frames = [paint(base, [0, 0, 50, 50], 120), paint(base, [0, 0, 50, 50], 90), base, base, base, base, base, base, base, base, base, base];
  let grabs = 0;
  const settled = await waitForSettle(() => frames[Math.min(grabs++, frames.length - 1)], { quietMs: 100, intervalMs: 20, timeoutMs: 3000 });
  assert.equal(settled.settled, true);
  assert.ok(settled.frames >= 4);
  assert.deepEqual(settled.changed, [[0, 0, 50, 50]]);

  let tick = 0;
  const busy = await waitForSettle(() => paint(base, [0, 0, 50, 50], (tick += 40) % 256), { quietMs: 100, intervalMs: 10, timeoutMs: 250 });
  assert.equal(busy.settled, false);

  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(waitForSettle(() => paint(base, [0, 0, 50, 50], (tick += 40) % 256), { quietMs: 1000, intervalMs: 10, timeoutMs: 5000, signal: controller.signal }), (error: Error & { code?: string }) => error.code === 'aborted');
});

test('template matching finds a crop at scales 0.8–1.25 and in a region', async () => {
  const screen = await decodeImage(calculator);
  const button = crop(screen, [740, 418, 60, 36]); // the "sqrt" button
  const exact = findTemplate(screen, button);
  assert.ok(exact.length >= 1);
  assert.deepEqual(exact[0].box, [740, 418, 60, 36]);
  assert.ok(exact[0].score > 0.99);
  assert.equal(exact[0].scale, 1);

  for (const factor of [0.8, 1.2]) {
    const bigger = await scaled(screen, factor);
    const [best] = findTemplate(bigger, button, { minScore: 0.7 });
    assert.ok(best, `found at screen scale ${factor}`);
    assert.ok(Math.abs(best.scale - factor) <= 0.051, `scale ${best.scale} for ${factor}`);
    assert.ok(Math.abs(best.box[0] - 740 * factor) <= 3 && Math.abs(best.box[1] - 418 * factor) <= 3, `box ${best.box} for ${factor}`);
  }
  const inRegion = findTemplate(screen, button, { region: [600, 300, 300, 300] });
  assert.deepEqual(inRegion[0].box, [740, 418, 60, 36]);
  assert.deepEqual(findTemplate(screen, button, { region: [0, 0, 300, 300], minScore: 0.9 }), []);
  assert.throws(() => findTemplate(screen, crop(screen, [0, 0, 30, 30])), /flat colour/);
});

test('template matching in a resized window refines through half resolution: the same match for a fraction of the work', async () => {
  // bench replay X11, resized: the template rung searched galculator's window at ten scales around
  // 1.4× and most of its time went into refining candidates at full resolution (±7 px around each).
  const screen = await decodeImage(calculator);
  const button = crop(screen, [740, 418, 96, 48]);
  const bigger = await scaled(screen, 1.4);
  const region: Box = [Math.round(600 * 1.4), Math.round(300 * 1.4), 420, 360];
  const work = { products: 0 };
  const scales = [0.8, 0.85, 0.9, 0.95, 1, 1.05, 1.1, 1.15, 1.2, 1.25].map((scale) => scale * 1.4);
  const [best] = findTemplate(bigger, button, { region, scales, minScore: 0.55, maxResults: 6, work });
  assert.ok(best, 'found');
  assert.ok(Math.abs(best.box[0] - 740 * 1.4) <= 3 && Math.abs(best.box[1] - 418 * 1.4) <= 3, `box ${best.box}`);
  // Refining every candidate at full resolution cost 4.9e7 pixel products here (the same match);
  // through half resolution it costs 7.3e6.
  assert.ok(work.products > 0 && work.products < 2.5e7, `${work.products} pixel products`);
});
