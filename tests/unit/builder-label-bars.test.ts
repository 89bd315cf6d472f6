import assert from 'node:assert/strict';
import { test } from 'node:test';
import { phraseAt } from '../../skills-mm/builder.ts';

// bench replay desktop, xedit (Xaw, tune split): the row of buttons "Quit", "Save", "Load" and the
// file's path beside them come back from OCR as one line, the buttons' borders read as bars
// ("Quit|Save|Load", or "Quit Save| Load /tmp/…/note.txt"). The click on "Save" was labelled with
// the whole line, path included, which no later run shows: replay aborted at "Save" even on the
// unchanged window. A bar separates labels like a wide gap does.

const line = (text: string, words: { text: string; box: [number, number, number, number] }[]) => ({ text, confidence: 0.95, box: [100, 10, 400, 20] as [number, number, number, number], area: { x: 100, y: 10, width: 400, height: 20 }, words });

test('a word read across bordered buttons ("Quit|Save|Load"): the label is the part under the click', () => {
  const read = line('Quit|Save|Load', [{ text: 'Quit|Save|Load', box: [100, 10, 140, 20] }]);
  assert.equal(phraseAt(read, { x: 168, y: 20 }).text, 'Save');
  assert.equal(phraseAt(read, { x: 110, y: 20 }).text, 'Quit');
  const save = phraseAt(read, { x: 168, y: 20 }).area;
  assert.ok(save.x >= 145 && save.x + save.width <= 195, JSON.stringify(save));
});

test('a bar at the end of one word parts it from the next: a click on Save in "Quit Save| Load /tmp/note.txt" is labelled without the path', () => {
  const read = line('Quit Save| Load /tmp/note.txt', [
    { text: 'Quit', box: [100, 10, 36, 20] },
    { text: 'Save|', box: [140, 10, 45, 20] },
    { text: 'Load', box: [188, 10, 36, 20] },
    { text: '/tmp/note.txt', box: [230, 10, 120, 20] },
  ]);
  // The bar OCR read as a space between Quit and Save leaves no trace: those two stay one phrase.
  assert.equal(phraseAt(read, { x: 158, y: 20 }).text, 'Quit Save');
  assert.equal(phraseAt(read, { x: 200, y: 20 }).text, 'Load /tmp/note.txt');
  // Without bars, words a space apart stay one phrase ("Save As").
  const plain = line('Save As', [{ text: 'Save', box: [100, 10, 36, 20] }, { text: 'As', box: [140, 10, 20, 20] }]);
  assert.equal(phraseAt(plain, { x: 110, y: 20 }).text, 'Save As');
});

test('replay reads the label inside the bordered row too: "Save" and "Quit Save" are found in "Quit|Save|Load"', async () => {
  const { findExactLabel, findLabelInLine } = await import('../../engine/computer/replay/text-match.ts');
  const words = [{ text: 'Quit|Save|Load', box: [100, 10, 140, 20] as [number, number, number, number] }];
  const save = findLabelInLine('Save', 'Quit|Save|Load', [100, 10, 140, 20], words);
  assert.ok(save && save.score >= 0.8, JSON.stringify(save));
  assert.deepEqual(save.box, [150, 10, 40, 20]);
  const pair = findLabelInLine('Quit Save', 'Quit|Save|Load', [100, 10, 140, 20], words);
  assert.ok(pair && pair.score >= 0.8 && pair.box[0] === 100 && pair.box[2] === 90, JSON.stringify(pair));
  assert.deepEqual(findExactLabel('Load', 'Quit|Save|Load', [100, 10, 140, 20], words)?.box, [200, 10, 40, 20]);
});
