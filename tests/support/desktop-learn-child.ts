// The many-app benchmark's scripted person (bench/replay/desktop-run.ts learnScript) in its own
// process: it reads the screen through robotjs, which keeps an X connection for the life of a
// process, and closing the test's display under it is a fatal XIO error. It does the task by hand on
// an app window the parent launched and prints one JSON line: { script, observed }.
import { desktopApps, desktopTasks, type DesktopTask } from '../../bench/replay/desktop-apps.ts';
import { learnScript, observe, type RunningDesktopApp } from '../../bench/replay/desktop-run.ts';
import { createOcr } from '../../perception/ocr.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as { app: string; windowId: string; file?: string; task: DesktopTask | string };
const app = desktopApps.find((candidate) => candidate.name === options.app);
const task = typeof options.task === 'string' ? desktopTasks.find((candidate) => candidate.name === options.task) : options.task;
if (!app || !task) throw new Error(`unknown app or task: ${JSON.stringify(options)}`);
const running: RunningDesktopApp = { app, env: process.env, windowId: options.windowId, ...(options.file ? { file: options.file } : {}), dispose: async () => undefined };
const ocr = await createOcr();
const script = await learnScript(ocr, running, task);
const observed = await observe(running);
await ocr.dispose();
process.stdout.write(`${JSON.stringify({ script, observed })}\n`);
process.exit(0);
