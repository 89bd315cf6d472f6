import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Box, RgbaImage } from '../../native/image.ts';
import type { Ocr, OcrResult } from '../../perception/ocr.ts';
import { lineReader } from '../../engine/computer/replay/line-reader.ts';

// Replay reads a window's text on every step that is grounded or checked by text; between two
// steps most of the window is the same. The reader reads a region again only where its pixels
// changed since the last reading of that region, and keeps the rest of the lines.

function frame(marks: Box[] = []): RgbaImage {
  const image: RgbaImage = { data: new Uint8Array(400 * 300 * 4).fill(255), width: 400, height: 300 };
  for (const [x, y, w, h] of marks) for (let row = y; row < y + h; row += 1) image.data.fill(0, (row * 400 + x) * 4, (row * 400 + x + w) * 4);
  return image;
}

/** An OCR that reports what it was asked to read. */
function countingOcr() {
  const calls: { kind: 'recognize' | 'update'; region?: Box; changed?: readonly Box[] }[] = [];
  const ocr: Ocr = {
    provider: 'cpu',
    recognize: async (_image, options = {}) => {
      calls.push({ kind: 'recognize', ...(options.region ? { region: options.region } : {}) });
      return { lines: [{ text: 'File Edit', box: [110, 60, 80, 14], confidence: 0.99 }, { text: '12', box: [250, 100, 30, 20], confidence: 0.99 }], ms: 1 };
    },
    update: async (_image, previous: OcrResult, changed) => {
      calls.push({ kind: 'update', changed });
      // The changed part read again; lines elsewhere kept; a line past the region (its margin) too.
      return { lines: [...previous.lines.filter((line) => line.text !== '12'), { text: '123', box: [240, 100, 40, 20], confidence: 0.99 }, { text: 'outside', box: [20, 280, 40, 14], confidence: 0.99 }], ms: 1 };
    },
    dispose: async () => undefined,
  };
  return { ocr, calls };
}

const window: Box = [100, 50, 200, 150];

test('a region read before is read again only where it changed; unchanged frames are not read at all', async () => {
  const { ocr, calls } = countingOcr();
  const read = lineReader(async () => ocr);
  const first = frame([[250, 100, 30, 20]]);
  assert.deepEqual((await read(first, window)).map((line) => line.text), ['File Edit', '12']);
  // The same frame and region again: the reading is shared.
  await read(first, window);
  assert.equal(calls.length, 1);
  // A new frame with the same pixels in the window (a change outside it): nothing to read.
  const same = frame([[250, 100, 30, 20], [10, 10, 20, 20]]);
  assert.deepEqual((await read(same, window)).map((line) => line.text), ['File Edit', '12']);
  assert.equal(calls.length, 1);
  // The display gained a digit: only that part is read again, and what lies outside the region is dropped.
  const changed = frame([[240, 100, 40, 20]]);
  assert.deepEqual((await read(changed, window)).map((line) => line.text).sort(), ['123', 'File Edit']);
  assert.equal(calls.length, 2);
  assert.equal(calls[1].kind, 'update');
  for (const box of calls[1].changed ?? []) {
    assert.ok(box[0] >= 240 - 1 && box[0] + box[2] <= 250 + 1 && box[1] >= 100 && box[1] + box[3] <= 120, `changed box ${box} is the new digit only`);
  }
  // Another region is read on its own.
  await read(changed, [0, 0, 400, 300]);
  assert.equal(calls[2].kind, 'recognize');
});

test('a frame of another size, or a failed earlier reading, is read whole', async () => {
  const { ocr, calls } = countingOcr();
  let fail = true;
  const flaky: Ocr = { ...ocr, recognize: async (image, options) => {
    if (fail) {
      fail = false;
      calls.push({ kind: 'recognize' });
      throw new Error('model failed');
    }
    return ocr.recognize(image, options);
  } };
  const read = lineReader(async () => flaky);
  await assert.rejects(read(frame(), window), /model failed/);
  await read(frame([[240, 100, 40, 20]]), window);
  assert.deepEqual(calls.map((call) => call.kind), ['recognize', 'recognize']);
  const small: RgbaImage = { data: new Uint8Array(200 * 200 * 4).fill(255), width: 200, height: 200 };
  await read(small, [0, 0, 200, 200]);
  await read(frame(), [0, 0, 200, 200]);
  assert.deepEqual(calls.map((call) => call.kind), ['recognize', 'recognize', 'recognize', 'recognize']);
});
