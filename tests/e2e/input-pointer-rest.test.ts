import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { pointerRestMs, XdotoolInput } from '../../native/input/xdotool-input.ts';
import { startDesktopSession, type DesktopSession } from '../support/desktop.ts';

// A click by the xdotool driver (the person behind `record --script`, explore's X11 driver) used to
// press in the same instant the pointer arrived. FOX menus (xfe's xfwrite) drop such a press: the
// menu closed and Edit › Upper-case did nothing, so a scripted recording of it saved nothing. A
// person's pointer rests on the point first; xev's own timestamps show the rest here.

let session: DesktopSession;
let xev: ChildProcess;
let log = '';

before(async () => {
  session = await startDesktopSession();
  xev = spawn('xev', ['-name', 'Target', '-geometry', '300x200+100+100', '-event', 'mouse'], { env: session.env, stdio: ['ignore', 'pipe', 'ignore'] });
  xev.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  await session.windows.waitFor({ title: '^Target$' }, { timeoutMs: 20_000 });
});

after(async () => {
  xev?.kill('SIGKILL');
  await session?.dispose();
});

/** The server times (ms) of xev's events of one kind. */
function times(kind: string): number[] {
  return [...log.matchAll(new RegExp(`${kind} event,[^]*?time (\\d+)`, 'g'))].map((match) => Number(match[1]));
}

test('a click rests the pointer on its point before the press', async () => {
  const input = new XdotoolInput({ env: session.env });
  try {
    await input.move(10, 10);
    for (const [x, y] of [
      [180, 180],
      [300, 220],
    ]) {
      log = '';
      await input.click(x, y);
      for (let waited = 0; waited < 5000 && !times('ButtonRelease').length; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      const [press] = times('ButtonPress');
      const arrived = times('MotionNotify').filter((time) => time <= press);
      assert.ok(press !== undefined && arrived.length, `xev saw the move and the press: ${log.slice(0, 400)}`);
      assert.ok(press - arrived[arrived.length - 1] >= pointerRestMs - 5, `the press came ${press - arrived[arrived.length - 1]} ms after the pointer arrived`);
    }
  } finally {
    input.dispose();
  }
});
