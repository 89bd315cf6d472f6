import assert from 'node:assert/strict';
import { test } from 'node:test';
import { caretSized, evidenceOfChange, findCaret } from '../../perception/blink.ts';
import type { RgbaImage } from '../../native/image.ts';
import { focusProbe } from '../../engine/computer/replay/focus-probe.ts';
import { quietWindow, settleBudget } from '../../engine/computer/replay/verify.ts';
import { FakeAccessibility } from '../../native/a11y/index.ts';

// Blinks are not evidence either way: the pixel rules verification uses, on synthetic frames.

function blank(width = 200, height = 120, grey = 255): RgbaImage {
  return { data: new Uint8Array(width * height * 4).fill(grey), width, height };
}

function paint(image: RgbaImage, x: number, y: number, width: number, height: number, value = 20): RgbaImage {
  const copy = { ...image, data: new Uint8Array(image.data) };
  for (let row = y; row < y + height; row += 1) {
    for (let column = x; column < x + width; column += 1) {
      const byte = (row * image.width + column) * 4;
      copy.data[byte] = copy.data[byte + 1] = copy.data[byte + 2] = value;
    }
  }
  return copy;
}

test('a caret-sized change is no evidence; a button turning dark is', () => {
  const before = blank();
  assert.deepEqual(evidenceOfChange(before, paint(before, 40, 20, 1, 18)), [], 'a 1×18 caret');
  assert.deepEqual(evidenceOfChange(before, paint(before, 40, 20, 12, 12)).length, 1, 'a 12×12 block');
  assert.ok(caretSized([0, 0, 2, 30]));
  assert.ok(!caretSized([0, 0, 2, 200]), 'a long rule is not a caret');
  assert.ok(!caretSized([0, 0, 10, 18]), 'a glyph is not a caret');
});

test('a region that toggles between two captures (a spinner) is no evidence; one that holds still is', () => {
  const before = blank();
  const spinnerA = paint(paint(before, 100, 50, 16, 16, 90), 10, 10, 30, 20);
  const spinnerB = paint(paint(before, 100, 50, 16, 16, 160), 10, 10, 30, 20);
  const evidence = evidenceOfChange(before, spinnerA, spinnerB);
  assert.equal(evidence.length, 1);
  assert.deepEqual(evidence[0].slice(0, 2), [10, 10], 'only the steady change is left');
});

test('a caret is found as a thin bounded stroke; a glyph-free area or a long border is not one', () => {
  const page = paint(blank(), 5, 0, 1, 120, 80);
  assert.deepEqual(findCaret(paint(page, 60, 30, 1, 17), [40, 20, 60, 40]), [60, 30, 1, 17]);
  assert.equal(findCaret(page, [0, 0, 200, 120]), undefined, 'a full-height border is no caret');
  assert.equal(findCaret(paint(page, 60, 30, 10, 17), [40, 20, 60, 40]), undefined, 'a block is no caret');
  // A caret cut by the region's top edge is measured whole.
  assert.deepEqual(findCaret(paint(page, 60, 30, 1, 17), [40, 40, 60, 40]), [60, 30, 1, 17]);
});

test('the quiet window is learned from the recorded settle time, within bounds; the budget is today\'s', () => {
  const expected = (settle_ms?: number) => ({ dom_text_appears: [], ocr_text_appears: [], ...(settle_ms === undefined ? {} : { settle_ms }) });
  assert.equal(quietWindow(expected()), 100);
  assert.equal(quietWindow(expected(40)), 60);
  assert.equal(quietWindow(expected(300)), 150);
  assert.equal(quietWindow(expected(5_000)), 300);
  assert.equal(settleBudget(expected()), 1_500);
  assert.equal(settleBudget(expected(4_000)), 8_000);
});

test('the focus probe asks the accessibility tree: focused text → yes, focusable but not focused → no, nothing there → cannot tell', async () => {
  const client = new FakeAccessibility();
  client.addApp('editor', [
    {
      role: 'frame',
      name: 'note.txt',
      extents: { x: 0, y: 0, width: 400, height: 300 },
      states: ['showing', 'visible'],
      children: [
        { role: 'text', name: '', extents: { x: 0, y: 40, width: 400, height: 200 }, states: ['showing', 'visible', 'focusable', 'focused', 'editable'] },
        { role: 'entry', name: 'Search', extents: { x: 0, y: 260, width: 400, height: 30 }, states: ['showing', 'visible', 'focusable'] },
      ],
    },
  ]);
  const [app] = await client.applications();
  const probe = focusProbe(client, app);
  assert.equal(await probe.focusedAt({ x: 100, y: 100 }), true);
  assert.equal(await probe.focusedAt({ x: 100, y: 270 }), false);
  assert.equal(await probe.focusedAt({ x: 900, y: 900 }), undefined);
});
