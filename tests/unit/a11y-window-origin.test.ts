import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groundingInput } from '../support/grounding.ts';
import { appOrigin, describeAt, WindowAccessibility } from '../../engine/computer/accessibility.ts';
import { a11yRung } from '../../engine/computer/replay/rungs/a11y.ts';
import type { Surface } from '../../engine/computer/replay/surface.ts';
import { FakeAccessibility, type FakeNodeSpec } from '../../native/a11y/index.ts';

// GTK 4 (4.8, gnome-text-editor under Xvfb, measured with python3-pyatspi and Skillframe's client):
// the frame reports (0, 0, 890, 590) wherever its 900×600 X window is, and the hit test takes a
// point in that space. Verification asked "is the accessible under the click focused?" with the
// screen point, so a click on the header bar's "New tab" button of a window at (200, 120) read as a
// click into the focused text view below it: a click that did nothing could pass as proven.

const title = 'note.txt (~/) - Text Editor';

function gtk4Editor(frameAt: { x: number; y: number }): FakeAccessibility {
  const at = (x: number, y: number, width: number, height: number) => ({ x: frameAt.x + x, y: frameAt.y + y, width, height });
  const frame: FakeNodeSpec = {
    role: 'frame',
    name: title,
    states: ['active', 'showing', 'visible'],
    extents: at(0, 0, 890, 590),
    children: [
      { role: 'push button', name: 'New tab (Ctrl+T)', states: ['focusable', 'sensitive', 'visible'], extents: at(93, 10, 24, 24) },
      { role: 'push button', name: 'Menu', states: ['focusable', 'sensitive', 'showing', 'visible'], extents: at(850, 10, 24, 24) },
      { role: 'text', name: 'EditorSourceView', states: ['editable', 'focusable', 'focused', 'visible'], extents: at(0, 46, 890, 544) },
    ],
  };
  const client = new FakeAccessibility();
  client.addApp('gnome-text-editor', [frame], { pid: 7 });
  return client;
}

const window = { pid: 7, title, geometry: { x: 200, y: 120, width: 900, height: 600 } };
const probe = (client: FakeAccessibility) => new WindowAccessibility({ client, env: {}, dispose: async () => undefined }, async () => window);

test('a toolkit that reports positions in its window (GTK 4): the point asked about is taken into the window first', async () => {
  const accessibility = probe(gtk4Editor({ x: 0, y: 0 }));
  // The "New tab" button on screen: the X window's corner, the 5 px decoration margin, the button's centre.
  assert.equal(await accessibility.focusedAt({ x: 200 + 5 + 105, y: 120 + 5 + 22 }), false, 'the button under the click is not focused');
  assert.equal(await accessibility.focusedAt({ x: 200 + 5 + 445, y: 120 + 5 + 300 }), true, 'the text view under the click is');
});

test('a toolkit that reports screen positions is asked with the screen point as before', async () => {
  const accessibility = probe(gtk4Editor({ x: 205, y: 125 }));
  assert.equal(await accessibility.focusedAt({ x: 200 + 5 + 105, y: 120 + 5 + 22 }), false);
  assert.equal(await accessibility.focusedAt({ x: 200 + 5 + 445, y: 120 + 5 + 300 }), true);
});

// The recorder asked the same hit test with the screen point: gnome-text-editor's ≡ button (where
// Save is) at (1067, 147) lies outside the frame's (0, 0, 890, 590), so the click was recorded with
// no accessible (bench replay desktop, unseen: dark theme, the ≡ recorded as the OCR label "E",
// matched nothing); a point that did fall inside it named whatever sits there in the window.
const menuOnScreen = { x: 200 + 5 + 862, y: 120 + 5 + 22 };

test('recording on GTK 4: the click is described in the window\'s space, its extents stored on the screen', async () => {
  const client = gtk4Editor({ x: 0, y: 0 });
  const [app] = await client.applications();
  const origin = await appOrigin(client, app, window);
  assert.deepEqual(origin, { x: 205, y: 125 });
  const described = await describeAt(client, app, menuOnScreen, [], origin);
  assert.equal(described?.target.role, 'push button');
  assert.equal(described?.target.name, 'Menu');
  assert.deepEqual(described?.target.extents, { x: 205 + 850, y: 125 + 10, width: 24, height: 24 });
});

test('a toolkit that reports screen positions has its origin at (0, 0)', async () => {
  const client = gtk4Editor({ x: 205, y: 125 });
  const [app] = await client.applications();
  assert.deepEqual(await appOrigin(client, app, window), { x: 0, y: 0 });
  assert.equal((await describeAt(client, app, menuOnScreen))?.target.name, 'Menu');
});

test('replaying on GTK 4 in a moved window: the a11y rung acts where the control is on the screen', async () => {
  const client = gtk4Editor({ x: 0, y: 0 });
  const [app] = await client.applications();
  const recorded = (await describeAt(client, app, menuOnScreen, [], await appOrigin(client, app, window)))?.target;
  assert.ok(recorded);
  const moved = { ...window, geometry: { x: 760, y: 420, width: 900, height: 600 } };
  const accessibility = new WindowAccessibility({ client, env: {}, dispose: async () => undefined }, async () => moved);
  const input = groundingInput({
    surface: { kind: 'x11', accessibility } as unknown as Surface,
    step: { id: 4, action: 'click', description: 'Click "Menu".', target: { point: menuOnScreen, anchors: [], accessible: recorded } },
    region: [760, 420, 900, 600],
    expected: { x: menuOnScreen.x + 560, y: menuOnScreen.y + 300 },
  });
  const found = await a11yRung.ground(input);
  assert.equal(typeof found, 'object', String(found));
  const hit = found as { tier: string; point: { x: number; y: number } };
  assert.equal(hit.tier, 'a11y');
  assert.deepEqual(hit.point, { x: 765 + 862, y: 425 + 22 });
});
