import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { findExactLabel, findLabelInLine } from '../../engine/computer/replay/text-match.ts';
import { ModelRegistry } from '../../native/onnx/sessions.ts';
import type { RgbaImage } from '../../native/image.ts';
import { createOcr, defaultModelDirectory, joinPieces, ocrModelFiles, splitAtGap, wordSpans, type Ocr } from '../../perception/ocr.ts';

// Word boxes from the CTC alignment, checked against where the words really are: a menu bar drawn
// in a monospaced font (every advance is 0.6 em), close enough together that the detector reads
// it as ONE line, as it does with real menu bars.

let registry: ModelRegistry;
let ocr: Ocr;
const menu = ['File', 'Edit', 'Options', 'Search', 'Help'];

async function menuBar(offsetX: number): Promise<{ image: RgbaImage; truth: { text: string; left: number; right: number }[] }> {
  const size = 14;
  let x = offsetX;
  let texts = '';
  const truth: { text: string; left: number; right: number }[] = [];
  for (const word of menu) {
    const width = word.length * size * 0.6;
    texts += `<text x="${x}" y="20" font-family="Liberation Mono" font-size="${size}" fill="black">${word}</text>`;
    truth.push({ text: word, left: x, right: x + width });
    x += width + 9;
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="30"><rect width="100%" height="100%" fill="#eeeeee"/>${texts}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { image: { data: new Uint8Array(data), width: info.width, height: info.height }, truth };
}

before(async () => {
  registry = new ModelRegistry();
  ocr = await createOcr({ registry });
});
after(async () => {
  await ocr.dispose();
  await registry.dispose();
});

test('a menu bar read as one line carries a box per word, each centred on its word', async () => {
  for (const offset of [8, 131]) {
    // The second pass is the same line of pixels elsewhere: served from the line cache, placed again.
    const { image, truth } = await menuBar(offset);
    const { lines } = await ocr.recognize(image);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    const [line] = lines;
    assert.equal(line.text, menu.join(' '));
    assert.deepEqual(line.words?.map((word) => word.text), menu);
    for (const [index, word] of (line.words ?? []).entries()) {
      const centre = word.box[0] + word.box[2] / 2;
      const expected = (truth[index].left + truth[index].right) / 2;
      assert.ok(Math.abs(centre - expected) <= 4, `${word.text}: centre ${centre}, expected ${expected} (offset ${offset})`);
      assert.ok(word.box[0] >= truth[index].left - 6 && word.box[0] + word.box[2] <= truth[index].right + 6, `${word.text} box ${word.box}`);
    }
  }
});

test('grounding matches a label against word boxes; a short label must equal a word exactly', async () => {
  const { image, truth } = await menuBar(8);
  const [line] = (await ocr.recognize(image)).lines;
  const file = findLabelInLine('File', line.text, line.box, line.words);
  assert.ok(file && file.score > 0.9);
  assert.ok(file && Math.abs(file.box[0] + file.box[2] / 2 - (truth[0].left + truth[0].right) / 2) <= 4);
  const search = findLabelInLine('Search', line.text, line.box, line.words);
  assert.ok(search && Math.abs(search.box[0] + search.box[2] / 2 - (truth[3].left + truth[3].right) / 2) <= 4);
  // A two-word run gets the union of its words.
  const run = findLabelInLine('Options Search', line.text, line.box, line.words);
  assert.ok(run && run.box[0] <= truth[2].left + 4 && run.box[0] + run.box[2] >= truth[3].right - 4);
  // Short labels: exact per word, never inside a word or fuzzy.
  const words = [{ text: '7', box: [0, 0, 10, 10] as [number, number, number, number] }, { text: '8', box: [20, 0, 10, 10] as [number, number, number, number] }, { text: '12+7', box: [40, 0, 30, 10] as [number, number, number, number] }];
  assert.deepEqual(findExactLabel('8', '7 8 12+7', [0, 0, 70, 10], words)?.box, [20, 0, 10, 10]);
  assert.equal(findExactLabel('+', '7 8 12+7', [0, 0, 70, 10], words), undefined);
  assert.equal(findExactLabel('Fil', line.text, line.box, line.words), undefined);
});

test('word spans: split on spaces, widened by the line pitch', () => {
  const spans = wordSpans('ab cd', [10, 14, 16, 18, 22]);
  assert.deepEqual(spans.map((span) => span.text), ['ab', 'cd']);
  assert.ok(spans[0].from < 10 && spans[0].to > 14 && spans[1].from < 18 && spans[1].to > 22 && spans[0].to <= spans[1].from + 4);
});

test('one line read by two workers is cut at a word gap and reads as on the main thread', async () => {
  const { image, truth } = await menuBar(8);
  const onMain = await createOcr({ registry, lineCacheSize: 0, recognitionWorkers: 0 });
  const withWorkers = await createOcr({ registry, lineCacheSize: 0, recognitionWorkers: 2, startWorkers: true });
  const workers = await registry.workers(`ocr.recognition:${join(defaultModelDirectory(), ocrModelFiles.recognition)}`, 2);
  const widths: number[] = [];
  const run = workers.run.bind(workers);
  workers.run = (feeds, signal) => {
    widths.push(feeds.x.dims[3]);
    return run(feeds, signal);
  };
  try {
    const [expected] = (await onMain.recognize(image)).lines;
    const [line] = (await withWorkers.recognize(image)).lines;
    assert.equal(widths.length, 2, `the line went to the workers in two pieces (${JSON.stringify(widths)})`);
    assert.equal(line.text, expected.text);
    assert.deepEqual(line.words?.map((word) => word.text), menu);
    for (const [index, word] of (line.words ?? []).entries()) {
      const centre = word.box[0] + word.box[2] / 2;
      assert.ok(Math.abs(centre - (truth[index].left + truth[index].right) / 2) <= 4, `${word.text}: centre ${centre}`);
    }
  } finally {
    workers.run = run;
    await Promise.all([onMain.dispose(), withWorkers.dispose()]);
  }
});

test('a line is cut only in a blank gap a third of its height wide, near its middle', () => {
  const width = 200;
  const height = 20;
  const image: RgbaImage = { data: new Uint8Array(width * height * 4).fill(255), width, height };
  const ink = (from: number, to: number) => {
    for (let y = 5; y < 15; y += 1) for (let x = from; x < to; x += 1) image.data.fill(0, (y * width + x) * 4, (y * width + x) * 4 + 3);
  };
  // Letters 2 px apart everywhere: no cut.
  for (let x = 4; x < 196; x += 8) ink(x, x + 6);
  assert.equal(splitAtGap(image, [0, 0, width, height]), undefined);
  // A 10 px word gap at 60..70 and another at 120..130: the one nearer the middle (100) wins.
  image.data.fill(255);
  ink(4, 60);
  ink(70, 120);
  ink(130, 196);
  const [left, right] = splitAtGap(image, [0, 0, width, height]) ?? [];
  assert.ok(left && right);
  assert.ok(left[0] === 0 && left[0] + left[2] === right[0] && right[0] + right[2] === width, JSON.stringify([left, right]));
  assert.ok(Math.abs(right[0] - 125) <= 1, `cut at ${right[0]}`);
  // A gap in the outer quarters only: no cut (a piece must carry real work).
  image.data.fill(255);
  ink(4, 30);
  ink(42, 196);
  assert.equal(splitAtGap(image, [0, 0, width, height]), undefined);
});

test('pieces of a line join into one reading: a space at the cut, confidence by characters, words on the line', () => {
  const joined = joinPieces(
    [
      { source: [100, 0, 100, 20], read: { text: 'File Edit', confidence: 0.9, words: [{ text: 'File', from: 0, to: 0.4 }, { text: 'Edit', from: 0.5, to: 0.9 }] } },
      { source: [200, 0, 100, 20], read: { text: 'Help', confidence: 0.6, words: [{ text: 'Help', from: 0.1, to: 0.5 }] } },
    ],
    [100, 0, 200, 20],
  );
  assert.equal(joined.text, 'File Edit Help');
  assert.ok(Math.abs(joined.confidence - (0.9 * 8 + 0.6 * 4) / 12) < 1e-9);
  assert.deepEqual(joined.words.map((word) => [word.text, word.from, word.to]), [['File', 0, 0.2], ['Edit', 0.25, 0.45], ['Help', 0.55, 0.75]]);
  // An empty piece adds nothing.
  assert.equal(joinPieces([{ source: [0, 0, 10, 10], read: { text: ' ', confidence: 0.1, words: [] } }, { source: [10, 0, 10, 10], read: { text: 'OK', confidence: 0.8, words: [] } }], [0, 0, 20, 10]).text, 'OK');
});
