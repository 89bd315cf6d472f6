import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { findExactLabel, findLabelInLine } from '../../engine/computer/replay/text-match.ts';
import { ModelRegistry } from '../../native/onnx/sessions.ts';
import type { RgbaImage } from '../../native/image.ts';
import { createOcr, wordSpans, type Ocr } from '../../perception/ocr.ts';

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
