import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { pointerRestMs } from '../../native/input/input.ts';
import { RobotInput } from '../../native/input/robot-input.ts';
import { XdotoolInput } from '../../native/input/xdotool-input.ts';
import { XdotoolWindows } from '../../native/window/xdotool-windows.ts';

// A click by the xdotool driver (the person behind `record --script`, explore's X11 driver) used to
// press in the same instant the pointer arrived, and replay's robotjs click 10 ms after one warp. FOX menus (xfe's xfwrite) drop such a press: the
// menu closed and Edit › Upper-case did nothing, so a scripted recording of it saved nothing, and
// replay's clicks were dropped under load. A person's pointer arrives from beside the point and
// rests on it first; xev's own timestamps show it here.

// On the display the test runs under (xvfb-run): robotjs keeps its X connection for the life of the
// process, and a display torn down under it ends the process.
const env = process.env;
let windows: XdotoolWindows;
let xev: ChildProcess;
let log = '';

before(async () => {
  assert.ok(env.DISPLAY, 'run under xvfb-run');
  windows = new XdotoolWindows(env);
  xev = spawn('xev', ['-name', 'Target', '-geometry', '300x200+100+100', '-event', 'mouse'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  xev.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  await windows.waitFor({ title: '^Target$' }, { timeoutMs: 20_000 });
});

after(() => {
  xev?.kill('SIGKILL');
  windows?.dispose();
});

/** The server times (ms) of xev's events of one kind. */
function times(kind: string): number[] {
  return [...log.matchAll(new RegExp(`${kind} event,[^]*?time (\\d+)`, 'g'))].map((match) => Number(match[1]));
}

for (const driver of ['xdotool', 'robot'] as const) test(`a click by ${driver} comes to rest on its point, from the pixel beside it, before the press`, async () => {
  const input = driver === 'xdotool' ? new XdotoolInput({ env }) : new RobotInput(env);
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
      assert.ok(press !== undefined && arrived.length >= 2, `xev saw the approach, the arrival and the press: ${log.slice(0, 600)}`);
      const [beside, on] = arrived.slice(-2);
      assert.ok(on - beside >= pointerRestMs - 5, `the pointer rested ${on - beside} ms beside the point`);
      assert.ok(press - on >= pointerRestMs - 5, `the press came ${press - on} ms after the pointer arrived`);
      assert.ok(log.includes(`root:(${x - 1},${y})`), `the pointer came from the pixel beside: ${log.slice(0, 600)}`);
    }
  } finally {
    input.dispose();
  }
});
