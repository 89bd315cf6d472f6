import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { registeredProcesses, stopOtherProcesses } from '../../host/kill-switch.ts';
import { processIdentity } from '../../native/process/identity.ts';

/** The kill switch signals only the Skillframe processes its entries name, checked by identity. */

const home = mkdtempSync(join(tmpdir(), 'sf-kill-'));
process.env.SKILLFRAME_HOME = home;
const run = join(home, 'run');
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

function start(command: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SKILLFRAME_HOME: home } });
  children.push(child);
  return new Promise((resolve) => setTimeout(() => resolve(child), 300));
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

test('a stale entry pointing at an unrelated process is never signalled (observed: it was killed)', async () => {
  registeredProcesses(); // creates the run folder
  const unrelated = await start('sleep', ['60']);
  const pid = unrelated.pid!;
  // An entry as older versions wrote it (no identity), and one whose pid was reused since.
  writeFileSync(join(run, `${pid}.json`), JSON.stringify({ pid, what: 'replay', since: Date.now() - 60_000 }));
  writeFileSync(join(run, 'reused.json'), JSON.stringify({ pid, what: 'record', since: Date.now(), startTime: '1', commandLine: 'node skillframe record' }));
  const identity = processIdentity(pid);
  writeFileSync(join(run, 'other-program.json'), JSON.stringify({ pid, what: 'serve', since: Date.now(), startTime: identity?.startTime, commandLine: 'node bin/skillframe.js serve' }));
  assert.equal(stopOtherProcesses(), 0);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.ok(alive(unrelated), `the unrelated process was signalled (${unrelated.signalCode})`);
  assert.deepEqual(readdirSync(run), [], 'stale entries are removed');
});

test('a registered Skillframe process is reached, and aborts instead of dying', async () => {
  const module = new URL('../../host/kill-switch.ts', import.meta.url).href;
  const script = `import { onKillSwitch, registerProcess } from ${JSON.stringify(module)};
registerProcess('replay');
onKillSwitch(() => { console.log('stopped'); process.exit(0); });
console.log('ready');
setTimeout(() => {}, 180_000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SKILLFRAME_HOME: home } });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  // A loaded machine can take many seconds to start a tsx child: wait for it to say it registered.
  const deadline = Date.now() + 120_000;
  while (!output.includes('ready') && child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(readdirSync(run).includes(`${child.pid}.json`), `the child registered (${output})`);
  const [entry] = registeredProcesses();
  assert.equal(entry.pid, child.pid);
  assert.ok(entry.startTime && entry.commandLine?.includes('--import'), JSON.stringify(entry));
  assert.equal(stopOtherProcesses(), 1);
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 0);
  assert.equal(output.trim(), 'ready\nstopped');
});
