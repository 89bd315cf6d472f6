import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { runProgram } from '../../native/process/run.ts';
import { literalTitle } from '../../native/window/window.ts';
import { startDesktopSession, type DesktopSession } from '../support/desktop.ts';

// A window that names itself only in _NET_WM_NAME, its WM_NAME empty, as KDE Frameworks apps do
// (kcalc: WM_NAME "", _NET_WM_NAME "KCalc"). xdotool's --name search reads WM_NAME alone, so
// `replay --attach` said "no window to attach to" with the window on screen.

let session: DesktopSession;
let child: ChildProcess;
let windowId: string;
const title = 'KCalc (draft) *';

before(async () => {
  session = await startDesktopSession();
  child = spawn('xmessage', ['-name', 'netwm', '-title', 'placeholder', 'a window named in _NET_WM_NAME only'], { env: session.env, stdio: 'ignore' });
  const window = await session.windows.waitFor({ title: '^placeholder$' }, { timeoutMs: 20_000 });
  windowId = window.id!;
  await runProgram('xprop', ['-id', windowId, '-f', 'WM_NAME', '8s', '-set', 'WM_NAME', ''], { env: session.env, timeoutMs: 10_000 });
  await runProgram('xprop', ['-id', windowId, '-f', '_NET_WM_NAME', '8u', '-set', '_NET_WM_NAME', title], { env: session.env, timeoutMs: 10_000 });
  const name = await runProgram('xdotool', ['search', '--onlyvisible', '--name', literalTitle(title)], { env: session.env, timeoutMs: 10_000 });
  assert.equal(name.stdout.trim(), '', 'xdotool --name does not see a title held only in _NET_WM_NAME (the case under test)');
});

after(async () => {
  child?.kill('SIGKILL');
  await session?.dispose();
});

test('a window titled only in _NET_WM_NAME is found by its title (as replay --attach looks for it)', async () => {
  const found = await session.windows.find({ title: literalTitle(title) });
  assert.deepEqual(
    found.map((window) => [window.id, window.title]),
    [[windowId, title]],
  );
  assert.deepEqual(await session.windows.find({ title: literalTitle('another title') }), []);
});
