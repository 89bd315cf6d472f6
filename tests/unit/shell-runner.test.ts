import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProgram } from '../../native/process/run.ts';
import { ShellRunner } from '../../native/process/shell-runner.ts';

// Window queries go through one long-lived shell (native/process/shell-runner.ts): a new process
// from a large Node costs tens of milliseconds, and replay asks the window system several times per
// step. Results are runProgram's, arguments reach the program exactly, and a program that hangs,
// is missing or is cancelled ends as it would with runProgram.

test('results are runProgram\'s, with arguments passed exactly (quotes, spaces, dollars, newlines)', async () => {
  const shell = new ShellRunner();
  try {
    const tricky = ["it's", 'a b', '$HOME', '`id`', 'line\nbreak', '', '"', '\\'];
    for (const [program, args] of [['printf', ['%s|', ...tricky]], ['sh', ['-c', 'echo out; echo err >&2; exit 3']], ['printf', ['no newline at the end']], ['printf', ['café ☕\n']]] as const) {
      const expected = await runProgram(program, args);
      const got = await shell.run(program, args);
      assert.equal(got.stdout, expected.stdout, `${program} ${args.join(' ')}`);
      assert.equal(got.code, expected.code);
    }
    assert.match((await shell.run('sh', ['-c', 'echo err >&2'])).stderr, /err/);
    // Commands asked together run one after another, each with its own output.
    const many = await Promise.all(Array.from({ length: 20 }, (_, index) => shell.run('echo', [String(index)])));
    assert.deepEqual(many.map((result) => result.stdout), Array.from({ length: 20 }, (_, index) => `${index}\n`));
  } finally {
    shell.dispose();
  }
});

test('a hung program is killed at its limit, a missing one is ENOENT, a cancelled one aborts; the shell carries on', async () => {
  const shell = new ShellRunner();
  try {
    const started = Date.now();
    const hung = await shell.run('sleep', ['30'], { timeoutMs: 1_000 });
    assert.equal(hung.code, null);
    assert.ok(Date.now() - started < 10_000);
    await assert.rejects(shell.run('no-such-program-skillframe', []), (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
    const controller = new AbortController();
    const cancelled = shell.run('sleep', ['30'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(cancelled, (error: Error) => error.name === 'AbortError');
    assert.equal((await shell.run('echo', ['still here'])).stdout, 'still here\n');
  } finally {
    shell.dispose();
  }
});

test('from a large process, a query through the shell costs less than a new process', async () => {
  // A large heap, as replay has with frames and OCR models loaded: spawning copies its page tables.
  const ballast = Buffer.alloc(300e6, 1);
  const shell = new ShellRunner();
  try {
    await shell.run('true', []);
    const time = async (run: () => Promise<unknown>) => {
      const samples: number[] = [];
      for (let index = 0; index < 9; index += 1) {
        const started = performance.now();
        await run();
        samples.push(performance.now() - started);
      }
      return samples.sort((a, b) => a - b)[4];
    };
    const spawned = await time(() => runProgram('true', []));
    const throughShell = await time(() => shell.run('true', []));
    assert.ok(throughShell < spawned, `through the shell ${throughShell.toFixed(1)} ms, spawned ${spawned.toFixed(1)} ms`);
  } finally {
    shell.dispose();
    assert.equal(ballast[0], 1);
  }
});
