import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { startDisplay, type VirtualDisplay } from '../../native/display/xvfb.ts';
import { binPath, repoRoot } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

/** The global kill-switch hotkey on a real X display: xdotool presses it, a registered process stops. */

const home = temporaryHome();
let display: VirtualDisplay;
const children: ChildProcess[] = [];
const run = promisify(execFile);

before(async () => {
  display = await startDisplay({ width: 640, height: 480, windowManager: false });
});

after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await display?.dispose();
  home.dispose();
});

function lines(child: ChildProcess): string[] {
  const seen: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => seen.push(line));
  return seen;
}

async function until(check: () => boolean, what: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('ctrl+alt+shift+Escape anywhere on the display stops registered Skillframe processes; plain Escape does not', async () => {
  const env = { ...process.env, ...display.env, SKILLFRAME_HOME: home.path };
  const hotkey = spawn(process.execPath, [binPath, 'hotkey'], { env, cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(hotkey);
  const heard = lines(hotkey);
  await until(() => heard.some((line) => line.includes('"listening"')), 'the hotkey listener');

  const module = new URL('../../host/kill-switch.ts', import.meta.url).href;
  const script = `import { onKillSwitch, registerProcess } from ${JSON.stringify(module)};
registerProcess('replay');
onKillSwitch(() => { console.log('stopped'); process.exit(0); });
console.log('ready');
setTimeout(() => {}, 60_000);`;
  const worker = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(worker);
  const said = lines(worker);
  await until(() => said.includes('ready') && readdirSync(join(home.path, 'run')).length === 1, 'the worker to register');

  await run('xdotool', ['key', 'Escape'], { env });
  await new Promise((resolve) => setTimeout(resolve, 700));
  assert.equal(worker.exitCode, null, 'plain Escape is not the hotkey');

  await run('xdotool', ['key', 'ctrl+alt+shift+Escape'], { env });
  await until(() => said.includes('stopped'), 'the worker to be stopped');
  await until(() => heard.some((line) => line.includes('"stop"')), 'the listener to report');
  const report = JSON.parse(heard.find((line) => line.includes('"stop"'))!);
  assert.equal(report.stopped, 1);
  hotkey.kill('SIGINT');
  assert.equal(await new Promise((resolve) => hotkey.once('exit', resolve)), 0);
});
