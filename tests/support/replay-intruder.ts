// Child process of tests/e2e/replay-focus.test.ts: replays a galculator skill on a fresh window and,
// when asked, opens an intruder window (xev, which logs every key it gets) just before the first
// key press, so that it holds the focus when replay is about to press. Prints one JSON line.
import { spawn, type ChildProcess } from 'node:child_process';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import { openX11Surface } from '../../engine/computer/replay/x11-surface.ts';
import { XdotoolWindows } from '../../native/window/xdotool-windows.ts';

const { skill, intrude, evidenceDirectory } = JSON.parse(process.argv[2] ?? '{}') as { skill: string; intrude: boolean; evidenceDirectory: string };
const windows = new XdotoolWindows(process.env);
const surface = await openX11Surface({ env: process.env, app: 'galculator' });
let intruder: ChildProcess | undefined;
let keysSeen = '';
const press = surface.press.bind(surface);
const intruding = {
  ...surface,
  press: async (chord: string) => {
    if (intrude && !intruder) {
      intruder = spawn('xev', ['-event', 'keyboard', '-name', 'Intruder'], { stdio: ['ignore', 'pipe', 'ignore'] });
      intruder.stdout?.on('data', (chunk: Buffer) => (keysSeen += chunk.toString()));
      // xev sets no _NET_WM_PID: found by its title. A window manager gives a new window the focus.
      const found = await windows.waitFor({ title: '^Intruder$' }, { timeoutMs: 15_000 });
      for (let attempt = 0; attempt < 50 && (await windows.active())?.id !== found.id; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return press(chord);
  },
};
const report = await replaySkill({ skillDirectory: skill, surface: intruding, confirm: 'auto', autoApproveTier: 'robot', evidenceDirectory });
await new Promise((resolve) => setTimeout(resolve, 300)); // any key the intruder got is logged by now
intruder?.kill('SIGKILL');
windows.dispose();
// The window stays open for the test to read galculator's own display; the launched app is not disposed.
process.stdout.write(`${JSON.stringify({ report, windowId: surface.windowId, keysSeen })}\n`);
process.exit(0);
