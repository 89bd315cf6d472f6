import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertKeyboardTarget } from '../../engine/computer/replay/x11-surface.ts';
import { FakeWindows } from '../../native/window/fake-windows.ts';

const geometry = { x: 0, y: 0, width: 400, height: 300 };
const main = { id: '10', pid: 7, title: 'Untitled - Mousepad', className: 'Mousepad', geometry };

test('keys may go to the replay window and to its own dialogs, never to another app or a second main window', async () => {
  const windows = new FakeWindows([main, { id: '11', pid: 7, title: 'Save As', className: 'Mousepad', geometry }, { id: '12', pid: 7, title: 'Other - Mousepad', className: 'Mousepad', geometry }, { id: '20', pid: 9, title: 'Intruder', className: 'Xev', geometry }]);
  windows.transients.set('11', '10');
  await assertKeyboardTarget(windows, main);
  await windows.focus('11');
  await assertKeyboardTarget(windows, main);
  for (const id of ['12', '20']) {
    await windows.focus(id);
    await assert.rejects(assertKeyboardTarget(windows, main), (error: { code?: string; message: string; details?: { active?: { id?: string } } }) => error.code === 'unsafe' && /not the replay's window/.test(error.message) && error.details?.active?.id === id);
  }
  windows.activeId = undefined;
  await assert.rejects(assertKeyboardTarget(windows, main), /unknown/);
});

test('without pids (Xt apps set none) the window class decides whether a dialog is the app\'s', async () => {
  const xedit = { id: '30', title: 'xedit', className: 'Xedit', geometry };
  const windows = new FakeWindows([xedit, { id: '31', title: 'dialog', className: 'Xedit', geometry }, { id: '32', title: 'dialog', className: 'XTerm', geometry }]);
  windows.transients.set('31', '30');
  windows.transients.set('32', '30');
  await windows.focus('31');
  await assertKeyboardTarget(windows, xedit);
  await windows.focus('32');
  await assert.rejects(assertKeyboardTarget(windows, xedit), /XTerm/);
});
