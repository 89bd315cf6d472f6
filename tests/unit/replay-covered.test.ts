import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertNotCovered, topOfStack } from '../../engine/computer/replay/x11-surface.ts';
import { parseStackingLine, type PropertyWatch } from '../../native/window/index.ts';
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

// A click asks what is stacked above the app only when the window manager's own notices do not
// already say the app is on top (bench replay: two queries per click step were engine time).

const watchOf = (order: readonly string[] | undefined, live = true): PropertyWatch<readonly string[]> => ({ valueAt: () => order, history: () => [], live: () => live, dispose: () => undefined });

test('the stacking notices prove nothing is above only when the app is last, and only while they are heard', async () => {
  assert.equal(await topOfStack(watchOf(['20', '10']), '10'), true);
  assert.equal(await topOfStack(watchOf(['10', '20']), '10'), false, 'another window above the app: ask');
  assert.equal(await topOfStack(watchOf(['10', '30']), '10'), false, 'even the app\'s own dialog: ask (it sorts out its own windows)');
  assert.equal(await topOfStack(watchOf(undefined), '10'), false, 'no notice yet');
  assert.equal(await topOfStack(watchOf([]), '10'), false);
  assert.equal(await topOfStack(watchOf(['20', '10'], false), '10'), false, 'a watch that stopped may be stale');
  assert.equal(await topOfStack(undefined, '10'), false);
});

test('xprop -spy lines of the stacking order: bottom to top, as decimal ids', () => {
  assert.deepEqual(parseStackingLine('_NET_CLIENT_LIST_STACKING(WINDOW): window id # 0x400007, 0x600003, 0xa00001'), ['4194311', '6291459', '10485761']);
  assert.deepEqual(parseStackingLine('_NET_CLIENT_LIST_STACKING(WINDOW): window id # '), []);
  assert.equal(parseStackingLine('_NET_ACTIVE_WINDOW(WINDOW): window id # 0x400007'), undefined);
  assert.equal(parseStackingLine('_NET_CLIENT_LIST_STACKING:  not found.'), undefined);
});
