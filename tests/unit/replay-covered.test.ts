import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertNotCovered } from '../../engine/computer/replay/x11-surface.ts';
import type { WindowInfo, WindowSystem } from '../../native/window/index.ts';

// bench replay desktop, xcalc, "covered" condition: another program's window kept on top over the
// calculator's lower right; the anchor rung put "=" where it belongs, under that window, and the
// click went to it. A click whose point another program's window covers is refused.

const app: WindowInfo = { id: '10', pid: 100, title: 'xcalc', geometry: { x: 200, y: 120, width: 245, height: 410 } };
const note: WindowInfo = { id: '20', pid: 200, title: 'Cover', geometry: { x: 363, y: 393, width: 82, height: 137 } };
const dialog: WindowInfo = { id: '30', pid: 100, title: 'Save As', geometry: { x: 250, y: 200, width: 300, height: 200 } };

const windowsWith = (above: WindowInfo[]) => ({ stackedAbove: async () => above }) as unknown as WindowSystem;

test('a click under another program\'s window stacked over the app is refused as unsafe, naming that window', async () => {
  await assert.rejects(assertNotCovered(windowsWith([note]), app, { x: 404, y: 515 }), (error: Error & { code?: string }) => error.code === 'unsafe' && /Cover/.test(error.message));
});

test('the app\'s own dialog over the point, or a window elsewhere, does not stop the click', async () => {
  await assertNotCovered(windowsWith([dialog]), app, { x: 300, y: 250 });
  await assertNotCovered(windowsWith([note]), app, { x: 250, y: 200 });
  await assertNotCovered({} as WindowSystem, app, { x: 404, y: 515 });
});
