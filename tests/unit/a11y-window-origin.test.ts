import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WindowAccessibility } from '../../engine/computer/accessibility.ts';
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
