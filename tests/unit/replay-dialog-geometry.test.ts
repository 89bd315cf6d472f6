import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordedInItsWindow } from '../../engine/computer/replay/rungs/rung.ts';

// Replay maps a step through the app's dialog the recording names for it (d7e2729), but the
// recorder names the window active at the press, not the one under the pointer. Dogfood, fluid
// (FLTK): the main window's File menu was clicked while its Widget Bin was the active window;
// mapped through the Widget Bin, which stays put when the main window moves, the click would be
// looked for where File no longer is.

test('a point recorded inside its window (or its frame) belongs to it; one outside it does not', () => {
  // gedit's Find and Replace: Close, 15 px below the client area the recorder read (its frame).
  assert.equal(recordedInItsWindow({ point: { x: 472, y: 528 }, window: { title: 'Find and Replace', geometry: { x: 406, y: 287, width: 486, height: 226 } } }), true);
  // fluid: File in the main window's menu bar, recorded with the Widget Bin as its window.
  assert.equal(recordedInItsWindow({ point: { x: 221, y: 132 }, window: { title: 'Widget Bin', geometry: { x: 320, y: 30, width: 574, height: 85 } } }), false);
  assert.equal(recordedInItsWindow({ point: { x: 221, y: 132 } }), false);
});
