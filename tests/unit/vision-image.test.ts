import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkImage, crop, decodeImage, encodePng, fromRaw, paste, toGray, type RgbaImage } from '../../native/image.ts';
import { SkillframeError } from '../../core/index.ts';

const fixture = new URL('../../testkit/fixtures/vision/app-galculator.png', import.meta.url).pathname;

/** A PNG whose header claims any size, with correct CRCs, so only the size is wrong. */
function pngClaiming(width: number, height: number, rows = 1): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 0; // grey
  const raw = Buffer.alloc(rows * (Math.min(width, 64) + 1));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SkillframeError, `expected a SkillframeError, got ${error}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

test('decodes a real screenshot to RGBA and back', async () => {
  const image = await decodeImage(fixture);
  assert.equal(image.width, 1280);
  assert.equal(image.height, 800);
  assert.equal(image.data.length, 1280 * 800 * 4);
  const again = await decodeImage(await encodePng(image));
  assert.deepEqual(Buffer.from(again.data).equals(Buffer.from(image.data)), true);
});

test('bad images get coded errors naming what is wrong', async () => {
  const bytes = readFileSync(fixture);
  await rejectsWith(decodeImage('/nonexistent/screen.png'), 'not_found', /no such file/);
  await rejectsWith(decodeImage(Buffer.alloc(0)), 'bad_input', /empty/);
  await rejectsWith(decodeImage(Buffer.from('this is not an image at all')), 'bad_input', /not a readable image/);
  await rejectsWith(decodeImage(bytes.subarray(0, Math.floor(bytes.length / 2))), 'bad_input', /corrupt or truncated|not a readable/);
  await rejectsWith(decodeImage(pngClaiming(0, 0)), 'bad_input', /no pixels|not a readable/);
  await rejectsWith(decodeImage(pngClaiming(20000, 20000)), 'bad_input', /20000×20000 is too large/);
});

test('checkImage refuses buffers that do not match their size', () => {
  assert.throws(() => checkImage({ data: new Uint8Array(10), width: 2, height: 2 }), /needs 16/);
  assert.throws(() => checkImage({ data: new Uint8Array(0), width: 0, height: 0 }), /no pixels/);
});

test('crop, gray and raw conversion keep pixels where they belong', () => {
  const raw = new Uint8Array([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
  const image = fromRaw(raw, 2, 2, 3, 'bgr');
  assert.deepEqual([...image.data.subarray(0, 4)], [30, 20, 10, 255]);
  const part = crop(image, [1, 1, 5, 5]);
  assert.equal(part.width, 1);
  assert.equal(part.height, 1);
  assert.deepEqual([...part.data], [120, 110, 100, 255]);
  assert.throws(() => crop(image, [5, 5, 2, 2]), /outside/);
  const gray = toGray({ data: new Uint8Array([255, 255, 255, 255, 0, 0, 0, 255]), width: 2, height: 1 });
  assert.deepEqual([...gray.data], [255, 0]);
});

test('paste lays a patch over a copy, clipped at the edges; the original is untouched', () => {
  const base = { data: new Uint8Array(3 * 2 * 4).fill(1), width: 3, height: 2 };
  const patch = { data: new Uint8Array(2 * 2 * 4).fill(9), width: 2, height: 2 };
  const out = paste(base, patch, 2, 1);
  // Only pixel (2, 1) lies inside; the rest of the patch falls off the right and bottom edges.
  const pixel = (image: RgbaImage, x: number, y: number) => image.data[(y * image.width + x) * 4];
  assert.deepEqual([pixel(out, 2, 1), pixel(out, 1, 1), pixel(out, 2, 0)], [9, 1, 1]);
  assert.ok(base.data.every((value) => value === 1), 'the base frame is not changed');
  assert.deepEqual(paste(base, patch, 5, 5).data, base.data, 'a patch wholly outside changes nothing');
});
