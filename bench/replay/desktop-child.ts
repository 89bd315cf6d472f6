// The many-app desktop benchmark in its own process (see runDesktopAppsIsolated).
import { runDesktopApps, type DesktopRunOptions } from './desktop-run.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as Omit<DesktopRunOptions, 'signal' | 'progress' | 'onResult'>;
const controller = new AbortController();
process.once('SIGTERM', () => controller.abort());
// A kill switch (SIGUSR2) cancels the run instead of killing the process mid-cleanup.
process.on('SIGUSR2', () => controller.abort());
let sent = false;
const send = (result: unknown) => {
  if (sent) return;
  sent = true;
  process.stdout.write(`${JSON.stringify({ result })}\n`);
};
try {
  send(await runDesktopApps({ ...options, signal: controller.signal, onResult: send, progress: (fraction, message) => process.stderr.write(`${JSON.stringify({ progress: fraction, message })}\n`) }));
} catch (error) {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 2;
}
process.exit();
