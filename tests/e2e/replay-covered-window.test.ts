import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { assertNotCovered, topOfStack, uncover } from '../../engine/computer/replay/x11-surface.ts';
import { runProgram } from '../../native/process/run.ts';
import { launchApp, type LaunchedApp, type WindowInfo } from '../../native/window/index.ts';
import { startDesktopSession, type DesktopSession } from '../support/desktop.ts';

// bench replay desktop, "covered": another program's window kept on top over part of the app.
// On a real display with a real window manager (openbox) and a real app (galculator): a click
// under that window is refused, its title bar included (the window manager's frame lies outside
// the client geometry X reports: 21 px of it went undetected); and the app's window can be moved
// clear of it, as a careful person would, after which nothing of another program lies over it.

let session: DesktopSession;
let app: LaunchedApp;
let cover: ChildProcess;
let main: WindowInfo;
let coverWindow: WindowInfo;

before(async () => {
  session = await startDesktopSession({ width: 1280, height: 800 });
  app = await launchApp('galculator', { env: session.env });
  main = await session.windows.waitFor({ pid: app.pid }, { timeoutMs: 30_000 });
  await session.windows.move(main.id!, 200, 150);
  main = (await session.windows.info(main.id!))!;
  const { x, y, width, height } = main.geometry;
  // The note's client area starts at the app's vertical middle; its title bar lies above that.
  cover = spawn('xev', ['-name', 'Cover', '-geometry', `${Math.round(width / 2)}x${Math.round(height / 3)}+${x + Math.round(width / 2)}+${y + Math.round(height / 2)}`, '-event', 'button'], { env: session.env, stdio: 'ignore' });
  coverWindow = await session.windows.waitFor({ title: '^Cover$' }, { timeoutMs: 30_000 });
  await runProgram('xdotool', ['windowraise', coverWindow.id!], { env: session.env, timeoutMs: 5_000 });
  coverWindow = (await session.windows.info(coverWindow.id!))!;
});

after(async () => {
  cover?.kill('SIGKILL');
  await app?.dispose();
  await session?.dispose();
});

const unsafeNaming = (name: RegExp) => (error: Error & { code?: string }) => error.code === 'unsafe' && name.test(error.message);

test('a click under another program\'s window is refused, on its content and on its title bar', async () => {
  const content = { x: coverWindow.geometry.x + 20, y: coverWindow.geometry.y + 20 };
  await assert.rejects(assertNotCovered(session.windows, main, content), unsafeNaming(/Cover/));
  // Just above the client area: the window manager's title bar of the note.
  const titleBar = { x: coverWindow.geometry.x + 20, y: coverWindow.geometry.y - 8 };
  assert.ok(titleBar.y > main.geometry.y, 'the title bar lies over the app');
  await assert.rejects(assertNotCovered(session.windows, main, titleBar), unsafeNaming(/Cover/));
  // The app's upper left is nobody else's.
  await assertNotCovered(session.windows, main, { x: main.geometry.x + 20, y: main.geometry.y + 20 });
});

test('the window manager\'s stacking notices say whether anything is above the app: a click asks only then', async () => {
  const watch = await session.windows.watchStacking!();
  const until = async (wanted: boolean) => {
    const deadline = Date.now() + 10_000;
    while ((await topOfStack(watch, main.id!)) !== wanted && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return topOfStack(watch, main.id!);
  };
  try {
    assert.equal(await until(false), false, 'the note is stacked above the app');
    await runProgram('xdotool', ['windowraise', main.id!], { env: session.env, timeoutMs: 5_000 });
    assert.equal(await until(true), true, 'raised, the app is on top: nothing can cover it');
    await runProgram('xdotool', ['windowraise', coverWindow.id!], { env: session.env, timeoutMs: 5_000 });
    assert.equal(await until(false), false, 'the note raised again is above it');
    // What the notices say agrees with the query the click makes when something is above.
    assert.ok((await session.windows.stackedAbove!(main.id!)).some((window) => window.id === coverWindow.id));
  } finally {
    watch.dispose();
  }
  assert.equal(await topOfStack(watch, main.id!), false, 'a stopped watch proves nothing');
});

test('the app\'s window is moved clear of the covering window; then nothing of another program lies over it', async () => {
  const point = { x: coverWindow.geometry.x + 20, y: coverWindow.geometry.y + 20 };
  const said = await uncover(session.windows, main, point);
  assert.match(said ?? '', /"Cover".*moved the app's window/);
  const moved = (await session.windows.info(main.id!))!;
  assert.notDeepEqual([moved.geometry.x, moved.geometry.y], [main.geometry.x, main.geometry.y]);
  assert.equal(moved.geometry.width, main.geometry.width, 'moved, not resized');
  const above = await session.windows.stackedAbove!(main.id!);
  const overlapping = above.filter((window) => window.geometry.x < moved.geometry.x + moved.geometry.width && moved.geometry.x < window.geometry.x + window.geometry.width && window.geometry.y < moved.geometry.y + moved.geometry.height && moved.geometry.y < window.geometry.y + window.geometry.height);
  assert.deepEqual(overlapping.map((window) => window.title), []);
  // Every point of the app can now be clicked; asked again, there is nothing to uncover.
  await assertNotCovered(session.windows, moved, { x: moved.geometry.x + moved.geometry.width - 5, y: moved.geometry.y + moved.geometry.height - 5 });
  assert.equal(await uncover(session.windows, moved, { x: moved.geometry.x + 20, y: moved.geometry.y + 20 }), undefined);
});
