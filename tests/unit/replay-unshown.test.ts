import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groundStep } from '../../engine/computer/replay/ground.ts';
import { WindowAccessibility } from '../../engine/computer/accessibility.ts';
import type { Surface } from '../../engine/computer/replay/surface.ts';
import type { TargetStep } from '../../engine/computer/replay/rungs/rung.ts';
import { FakeAccessibility, type FakeNodeSpec } from '../../native/a11y/index.ts';
import type { PlanFile } from '../../core/schemas/skill.ts';

// A menu item the recording hit is in the app's tree but hidden (its menu did not open): the
// ladder stops there instead of letting OCR click a look-alike label elsewhere.

const shown = ['enabled', 'sensitive', 'showing', 'visible'];
const hidden = { x: -2147483648, y: -2147483648, width: 1, height: 1 };

function editor(menuOpen: boolean): FakeNodeSpec[] {
  const item: FakeNodeSpec = { role: 'menu item', name: 'Save', states: menuOpen ? shown : ['enabled', 'visible'], extents: menuOpen ? { x: 110, y: 150, width: 120, height: 22 } : hidden };
  return [
    {
      role: 'frame',
      name: '*note.txt - Editor',
      states: [...shown, 'active'],
      extents: { x: 100, y: 100, width: 600, height: 400 },
      children: [
        { role: 'menu bar', name: '', states: shown, extents: { x: 100, y: 100, width: 600, height: 25 }, children: [{ role: 'menu', name: 'File', states: shown, extents: { x: 100, y: 100, width: 40, height: 25 }, children: [item] }] },
        { role: 'text', name: '', states: [...shown, 'editable'], extents: { x: 100, y: 130, width: 600, height: 370 }, text: 'Save the date' },
      ],
    },
  ];
}

function setup(menuOpen: boolean) {
  const fake = new FakeAccessibility();
  fake.addApp('editor', editor(menuOpen), { pid: 5 });
  const accessibility = new WindowAccessibility({ client: fake, env: {}, dispose: async () => undefined }, async () => ({ pid: 5, title: '*note.txt - Editor', geometry: { x: 100, y: 100, width: 600, height: 400 } }));
  const surface = { kind: 'x11', accessibility } as unknown as Surface;
  const step = {
    id: 4,
    action: 'click',
    description: 'Click "Save".',
    target: {
      point: { x: 170, y: 161 },
      ocr: { text: 'Save', box: { x: 150, y: 152, width: 40, height: 18 }, confidence: 0.99 },
      anchors: [],
      accessible: { version: 1, role: 'menu item', name: 'Save', states: shown, path: [{ role: 'frame', name: 'note.txt - Editor', index: 0 }, { role: 'menu bar', name: '', index: 0 }, { role: 'menu', name: 'File', index: 0 }, { role: 'menu item', name: 'Save', index: 0 }] },
    },
    expected: { dom_text_appears: [], ocr_text_appears: [] },
  } as unknown as TargetStep;
  // The text area reads "Save the date": OCR alone would find the word "Save" there.
  const readLines = async () => [{ text: 'Save the date', box: [104, 134, 120, 18] as [number, number, number, number], confidence: 0.99, words: [{ text: 'Save', box: [104, 134, 36, 18] as [number, number, number, number] }, { text: 'the', box: [144, 134, 26, 18] as [number, number, number, number] }, { text: 'date', box: [174, 134, 34, 18] as [number, number, number, number] }] }];
  return {
    surface,
    ground: () =>
      groundStep({ surface, plan: { platform: 'x11' } as PlanFile, step, frame: { data: new Uint8Array(1920 * 1080 * 4), width: 1920, height: 1080 }, region: [100, 100, 600, 400], expected: { x: 170, y: 161 }, positionTrusted: true, scale: { x: 1, y: 1 }, readLines, templateImage: async () => undefined, threshold: 0.8, disabled: new Set() }),
  };
}

test('a recorded menu item that is in the tree but not on screen stops the ladder: no look-alike is clicked', async () => {
  const { ground } = setup(false);
  const started = Date.now();
  const result = await ground();
  assert.equal(result.found, undefined, `nothing is grounded: ${JSON.stringify(result.attempts)}`);
  assert.equal(result.attempts.at(-1)?.tier, 'a11y', 'the ladder ended at the accessibility rung');
  assert.match(result.attempts.at(-1)?.reason ?? '', /menu item "Save" is in the app but not on screen/);
  assert.ok(!result.attempts.some((attempt) => attempt.tier === 'ocr'), 'OCR was not asked (it would read "Save" in the text)');
  assert.ok(Date.now() - started >= 2000, 'the hidden item was given time to show first');
});

test('the same item once its menu shows is grounded by the accessibility rung at its own extents', async () => {
  const { ground } = setup(true);
  const result = await ground();
  assert.equal(result.found?.tier, 'a11y');
  assert.deepEqual(result.found?.point, { x: 170, y: 161 });
});
