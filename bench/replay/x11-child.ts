// The X11 half of the drift benchmark in its own process (see runX11SectionIsolated).
import { runX11Section } from './x11-section.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as { quick?: boolean; naiveOnly?: boolean; work?: string; tasks?: string[]; conditions?: string[] };
const controller = new AbortController();
process.once('SIGTERM', () => controller.abort());
// A kill switch (SIGUSR2) cancels the run instead of killing the process mid-cleanup.
process.on('SIGUSR2', () => controller.abort());
try {
  if (!options.work) throw new Error('x11-child: missing work folder');
  let sent = false;
  const send = (result: unknown) => {
    if (sent) return;
    sent = true;
    process.stdout.write(`${JSON.stringify({ result })}\n`);
  };
  const result = await runX11Section({
    quick: options.quick ?? false,
    naiveOnly: options.naiveOnly ?? false,
    work: options.work,
    ...(options.tasks ? { tasks: options.tasks } : {}),
    ...(options.conditions ? { conditions: options.conditions } : {}),
    adoptDisplay: true,
    onResult: send,
    signal: controller.signal,
    progress: (fraction, message) => process.stderr.write(`${JSON.stringify({ progress: fraction, message })}\n`),
  });
  send(result);
} catch (error) {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 2;
}
