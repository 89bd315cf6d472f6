// A replay in its own process, for e2e tests and benchmarks that need options the CLI does not
// offer (tiers turned off, an intruder window, the app left open for a judge). robotjs keeps an X connection for the life of a process and
// closing the display under it is a fatal XIO error, so replays run here, not in the test.
// Prints one JSON line: { report, windowId, keysSeen }.
import { spawn, type ChildProcess } from 'node:child_process';
import type { GroundingTier } from '../engine/computer/replay/types.ts';
import { replaySkill } from '../engine/computer/replay/replay.ts';
import { openX11Surface } from '../engine/computer/replay/x11-surface.ts';
import { XdotoolWindows } from '../native/window/xdotool-windows.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as { skill: string; app?: string; title?: string; disabledTiers?: GroundingTier[]; intrude?: boolean; evidenceDirectory?: string; confirm?: 'auto' | 'never' };
const windows = new XdotoolWindows(process.env);
const surface = await openX11Surface({ env: process.env, ...(options.app ? { app: options.app } : { title: options.title }) });
let intruder: ChildProcess | undefined;
let keysSeen = '';
const press = surface.press.bind(surface);
// The intruder (xev, which logs every key it gets) opens just before the first key press, so it
// holds the focus when replay is about to press; a window manager gives a new window the focus.
const acting = {
  ...surface,
  press: async (chord: string) => {
    if (options.intrude && !intruder) {
      intruder = spawn('xev', ['-event', 'keyboard', '-name', 'Intruder'], { stdio: ['ignore', 'pipe', 'ignore'] });
      intruder.stdout?.on('data', (chunk: Buffer) => (keysSeen += chunk.toString()));
      const found = await windows.waitFor({ title: '^Intruder$' }, { timeoutMs: 15_000 }); // xev sets no _NET_WM_PID
      for (let attempt = 0; attempt < 50 && (await windows.active())?.id !== found.id; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return press(chord);
  },
};
const report = await replaySkill({ skillDirectory: options.skill, surface: acting, confirm: options.confirm ?? 'auto', autoApproveTier: 'robot', disabledTiers: options.disabledTiers, evidenceDirectory: options.evidenceDirectory });
await new Promise((resolve) => setTimeout(resolve, 300)); // any key the intruder got is logged by now
intruder?.kill('SIGKILL');
windows.dispose();
// The app window stays open for the test to read the app's own state (the launched app is not disposed).
process.stdout.write(`${JSON.stringify({ report, windowId: surface.windowId, keysSeen })}\n`);
process.exit(0);
