import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { binPath, repoRoot } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

/**
 * `skillframe bench explore --out FILE` writes each run (and each app) as it ends, and a SIGTERM
 * in the middle ends what the benchmark started: the file keeps what was measured.
 */

/** Every process below `root`, from /proc (children whose parent has gone are not followed). */
function descendants(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(parent, [...(parents.get(parent) ?? []), Number(entry)]);
    } catch {
      /* gone meanwhile */
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length) for (const child of parents.get(queue.shift() as number) ?? []) found.push(child), queue.push(child);
  return found;
}

const alive = (pid: number) => {
  try {
    // A zombie has exited: only its entry is left for its parent to read.
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

const command = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim().slice(0, 160);
  } catch {
    return '';
  }
};

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { kind: string; app: string; views?: number; strategy?: string }) : []);

test('bench explore writes each run as it ends, and SIGTERM ends it with its display, accessibility bus, app and temporary folders', async () => {
  const home = temporaryHome();
  const work = mkdtempSync(join(tmpdir(), 'sf-bench-stop-'));
  const out = join(work, 'runs.jsonl');
  // An X11 app: the benchmark starts its own Xvfb, accessibility bus and app instances, which
  // outlived a stopped benchmark before (the process exited while its cleanup had not run).
  // Its temporary folders (run outputs, the display's runtime folder, browser profiles) go in a
  // folder of this test's own, so what it leaves behind can be seen.
  const scratch = join(work, 'tmp');
  mkdirSync(scratch);
  const child = spawn(process.execPath, [binPath, 'bench', 'explore', '--apps', 'galculator', '--budget', '5', '--seeds', '1', '--out', out, '--json'], { env: { ...home.env, TMPDIR: scratch }, cwd: repoRoot, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let below: number[] = [];
  try {
    const started = Date.now();
    // The first run (DFS) finished; the next one is under way with its app open.
    while (Date.now() - started < 240_000 && !lines(out).some((line) => line.kind === 'run')) await new Promise((resolve) => setTimeout(resolve, 250));
    const written = lines(out);
    assert.deepEqual(written.map((line) => [line.kind, line.app, line.strategy]), [['run', 'galculator', 'dfs']]);
    assert.ok((written[0].views ?? 0) >= 1, JSON.stringify(written[0]));
    while (Date.now() - started < 240_000 && !(below = descendants(child.pid as number)).some((pid) => command(pid).includes('galculator'))) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(below.some((pid) => command(pid).startsWith('Xvfb')), below.map(command).join('\n'));
    child.kill('SIGTERM');
    assert.equal(await exited, 130);
    const until = Date.now() + 10_000;
    while (Date.now() < until && below.some(alive)) await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(below.filter(alive).map((pid) => `${pid}: ${command(pid)}`), []);
    // (tsx, which runs the CLI, keeps its compile cache there on purpose.)
    assert.deepEqual(readdirSync(scratch).filter((name) => !name.startsWith('tsx-')), [], 'temporary folders left behind');
    // What was measured before the stop is still there; no summary was written.
    assert.ok(lines(out).some((line) => line.kind === 'run' && line.strategy === 'dfs'));
    assert.ok(!lines(out).some((line) => line.kind === 'summary'));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    // Whatever a failed run left behind is ended here, not left to the next test.
    for (const pid of [...descendants(child.pid as number), ...below].filter(alive)) process.kill(pid, 'SIGKILL');
    home.dispose();
    rmSync(work, { recursive: true, force: true });
  }
});
