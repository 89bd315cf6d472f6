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
  // Realistic X ids: each client's come from its own base (0x600000: xedit; 0x800000: an xterm).
  const xedit = { id: '6291486', title: 'xedit', className: 'Xedit', geometry };
  const windows = new FakeWindows([xedit, { id: '6291520', title: 'dialog', className: 'Xedit', geometry }, { id: '8388622', title: 'dialog', className: 'XTerm', geometry }]);
  windows.transients.set('6291520', '6291486');
  windows.transients.set('8388622', '6291486');
  await windows.focus('6291520');
  await assertKeyboardTarget(windows, xedit);
  await windows.focus('8388622');
  await assert.rejects(assertKeyboardTarget(windows, xedit), /XTerm/);
});

// Dogfood, tkcon (Tk, in no test): Tk sets no _NET_WM_PID and gives its file dialog its own class
// ("TkFDialog" beside "Tkcon"), so the path typed into the app's own Save dialog was refused as
// keys to another app (every run, every condition). A dialog that names no process, is transient
// for the replay window and was made by the same X client is the app's; another client's is not,
// nor a second window of the app that is no dialog of it.
test('a dialog of another class is the app\'s when it names no process, is the window\'s dialog and comes from its X client', async () => {
  const tkcon = { id: '4194439', title: 'tkcon 2.7.10 Main', className: 'Tkcon', geometry };
  const windows = new FakeWindows([
    tkcon,
    { id: '4194577', title: 'Save all', className: 'TkFDialog', geometry },
    { id: '6291470', title: 'Save all', className: 'TkFDialog', geometry },
    { id: '4194600', title: 'tkcon 2.7.10 Other', className: 'Toplevel', geometry },
  ]);
  windows.transients.set('4194577', '4194439');
  windows.transients.set('6291470', '4194439');
  await windows.focus('4194577');
  assert.equal((await assertKeyboardTarget(windows, tkcon)).id, '4194577');
  for (const id of ['6291470', '4194600']) {
    await windows.focus(id);
    await assert.rejects(assertKeyboardTarget(windows, tkcon), /not the replay's window/);
  }
});
