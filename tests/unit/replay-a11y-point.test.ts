import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groundingInput } from '../support/grounding.ts';
import type { GroundingInput } from '../../engine/computer/replay/rungs/rung.ts';
import { a11yRung, pointInNode } from '../../engine/computer/replay/rungs/a11y.ts';
import { appForWindow } from '../../engine/computer/accessibility.ts';
import { FakeAccessibility, type FakeNodeSpec } from '../../native/a11y/index.ts';

// Dogfood, gnumeric (GTK 3, in no test before): the whole sheet is one unnamed "panel" in the
// accessibility tree. A click on cell A3 (near the sheet's top-left corner) was recorded with that
// panel as its accessible; replay resolved the panel and clicked its centre, a cell far from A3.
// Every check passed (the panel kept the focus) while the clipboard got the wrong cell's value.

const shown = ['enabled', 'focusable', 'sensitive', 'showing', 'visible'];
const sheet = { x: 256, y: 331, width: 1371, height: 564 };
const cellA3 = { x: 296, y: 376 };

function spreadsheet(extents = sheet): FakeNodeSpec[] {
  return [
    {
      role: 'frame',
      name: 'Book1.gnumeric - Gnumeric',
      states: [...shown, 'active'],
      extents: { x: 200, y: 120, width: 1440, height: 810 },
      children: [
        { role: 'menu bar', name: '', states: shown, extents: { x: 200, y: 140, width: 1440, height: 25 }, children: [{ role: 'menu', name: 'Edit', states: shown, extents: { x: 240, y: 140, width: 41, height: 25 } }] },
        { role: 'panel', name: '', states: [...shown, 'focused'], extents },
      ],
    },
  ];
}

async function ground(live: Rect, step: { point: { x: number; y: number }; role: string; name: string; extents: Rect; path: { role: string; name: string; index: number }[] }) {
  const fake = new FakeAccessibility();
  fake.addApp('gnumeric', spreadsheet(live), { pid: 9, toolkit: 'gtk' });
  const app = (await appForWindow(fake, { pid: 9, title: 'Book1.gnumeric - Gnumeric' }))!;
  const input = groundingInput({
    surface: { kind: 'x11', accessibility: { target: async () => ({ client: fake, app }), fail: (error: unknown) => String(error), origin: async () => ({ x: 0, y: 0 }) } } as unknown as GroundingInput['surface'],
    step: { id: 8, action: 'click', description: 'Click the sheet.', target: { point: step.point, anchors: [], accessible: { version: 1, role: step.role, name: step.name, states: shown, extents: step.extents, path: step.path } } },
    region: [200, 120, 1440, 810],
    expected: step.point,
  });
  return a11yRung.ground(input);
}

type Rect = { x: number; y: number; width: number; height: number };
const panelPath = [
  { role: 'frame', name: 'Book1.gnumeric - Gnumeric', index: 0 },
  { role: 'panel', name: '', index: 1 },
];

test('a click near an area\'s corner is replayed at that spot, not at the area\'s centre', async () => {
  const result = await ground(sheet, { point: cellA3, role: 'panel', name: '', extents: sheet, path: panelPath });
  assert.ok(typeof result === 'object' && 'point' in result, JSON.stringify(result));
  assert.deepEqual(result.point, cellA3);
  // The window moved: the same spot of the moved area.
  const moved = await ground({ ...sheet, x: sheet.x + 560, y: sheet.y + 300 }, { point: cellA3, role: 'panel', name: '', extents: sheet, path: panelPath });
  assert.ok(typeof moved === 'object' && 'point' in moved, JSON.stringify(moved));
  assert.deepEqual(moved.point, { x: cellA3.x + 560, y: cellA3.y + 300 });
});

test('an off-centre spot in an area that changed size is left to the visual rungs', async () => {
  const smaller = { ...sheet, width: 1096, height: 402 };
  const result = await ground(smaller, { point: cellA3, role: 'panel', name: '', extents: sheet, path: panelPath });
  assert.equal(typeof result, 'string');
  assert.match(result as string, /position, not an identity/);
});

test('controls keep their centre after a resize; areas clicked near their centre too', () => {
  const item = { x: 240, y: 241, width: 362, height: 25 };
  // A menu item clicked on its label (left part): same size, the recorded spot; resized, the centre.
  assert.deepEqual(pointInNode({ x: 287, y: 253 }, item, item), { x: 287, y: 253 });
  assert.deepEqual(pointInNode({ x: 287, y: 253 }, item, { ...item, width: 420, height: 30 }), { x: 450, y: 256 });
  // A text area clicked near its middle, resized: its centre, as before.
  const text = { x: 244, y: 179, width: 1043, height: 565 };
  assert.deepEqual(pointInNode({ x: 700, y: 400 }, text, { ...text, width: 834, height: 452 }), { x: 661, y: 405 });
  // No recorded extents (older recordings), or a point outside them: the centre.
  assert.deepEqual(pointInNode({ x: 10, y: 10 }, undefined, item), { x: 421, y: 253.5 });
  assert.deepEqual(pointInNode({ x: 10, y: 10 }, item, item), { x: 421, y: 253.5 });
});
