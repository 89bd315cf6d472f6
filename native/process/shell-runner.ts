import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { RunResult } from './run.ts';

/**
 * Runs short programs (xdotool, xprop, xwininfo) through one long-lived shell instead of a new
 * process each. Starting a process from Node copies its page tables: measured on the build
 * machine, 3 ms from a bare Node, 33 ms once the OCR models are loaded and 140 ms at 680 MB —
 * and replay asks the window system several times per step. The small shell starts each program
 * instead, for a few milliseconds whatever Node's size. Commands run one at a time; each is bounded
 * by `timeout` inside the shell and by a timer here that replaces a shell that stops answering.
 * Same results as runProgram: a non-zero exit is a result, not an error; a missing program
 * rejects with ENOENT.
 */
export class ShellRunner {
  private shell: ChildProcessWithoutNullStreams | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private stdout = '';
  private stderr = '';
  private waiting: ((exit: number | null) => void) | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  run(program: string, args: readonly string[], options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<RunResult> {
    const next = this.queue.then(() => this.exec(program, args, options.timeoutMs ?? 30_000, options.signal));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Ends the shell; a later command starts a new one. */
  dispose(): void {
    this.stop();
  }

  private start(): ChildProcessWithoutNullStreams {
    const shell = spawn('/bin/sh', [], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
    shell.stdout.setEncoding('utf8');
    shell.stderr.setEncoding('utf8');
    // A shell that was replaced (killed after a timeout or a cancel) speaks for no command any more.
    shell.stdout.on('data', (chunk: string) => {
      if (this.shell !== shell) return;
      this.stdout += chunk;
      this.waiting?.(null);
    });
    shell.stderr.on('data', (chunk: string) => {
      if (this.shell === shell && this.stderr.length < 65_536) this.stderr += chunk;
    });
    shell.on('error', () => this.shell === shell && this.stop());
    shell.on('exit', () => {
      if (this.shell !== shell) return;
      this.shell = undefined;
      this.waiting?.(-1);
    });
    // The shell never keeps Node alive by itself: a command's own timer does while it runs, and
    // the shell ends when Node's end closes its input.
    shell.unref();
    for (const stream of [shell.stdin, shell.stdout, shell.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
    this.shell = shell;
    return shell;
  }

  private stop(): void {
    const shell = this.shell;
    this.shell = undefined;
    if (shell && shell.exitCode === null) shell.kill('SIGKILL');
  }

  private exec(program: string, args: readonly string[], timeoutMs: number, signal: AbortSignal | undefined): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
      const shell = this.shell ?? this.start();
      const marker = `__skillframe_${randomUUID()}`;
      this.stdout = '';
      this.stderr = '';
      const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
      // The program cannot read the shell's input (the next commands): its input is empty.
      shell.stdin.write(`timeout -s KILL ${seconds} ${[program, ...args].map(quote).join(' ')} </dev/null; printf '\\n${marker} %d\\n' "$?"\n`);
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiting = undefined;
      };
      const onAbort = () => {
        finish();
        this.stop();
        reject(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
      };
      // The shell itself stopped answering: it is replaced, and the command ends as a timed-out one does.
      const timer = setTimeout(() => {
        finish();
        this.stop();
        resolve({ code: null, signal: 'SIGKILL', stdout: this.stdout, stderr: this.stderr });
      }, timeoutMs + 2_000);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting = (exit) => {
        const at = this.stdout.indexOf(`\n${marker} `);
        if (at < 0 || !this.stdout.includes('\n', at + marker.length + 2)) {
          if (exit === null) return;
          finish();
          resolve({ code: null, signal: 'SIGKILL', stdout: this.stdout, stderr: this.stderr });
          return;
        }
        const code = Number(this.stdout.slice(at + marker.length + 2, this.stdout.indexOf('\n', at + marker.length + 2)));
        const stdout = this.stdout.slice(0, at);
        finish();
        // 127: the shell found no such program (126: not executable), as spawn's ENOENT.
        if (code === 127 || code === 126) return reject(Object.assign(new Error(`${program}: not found`), { code: 'ENOENT' }));
        // timeout's own code for a program it killed.
        if (code === 137) return resolve({ code: null, signal: 'SIGKILL', stdout, stderr: this.stderr });
        resolve({ code, signal: null, stdout, stderr: this.stderr });
      };
    });
  }
}

function quote(argument: string): string {
  return `'${argument.replace(/'/g, `'\\''`)}'`;
}
