import { spawn, type ChildProcess } from 'node:child_process';
import { SkillframeError } from '../../core/errors.ts';
import { withAccessibility } from '../a11y/bus.ts';

/** An app this process started; `dispose()` ends it and everything it spawned. */
export interface LaunchedApp {
  readonly pid: number;
  readonly command: string;
  /** Resolves with the exit code (or signal name) when the app ends. */
  readonly exited: Promise<number | string | null>;
  /** The app's stderr so far (last 8 KB), for error messages. */
  stderr(): string;
  dispose(): Promise<void>;
}

/**
 * Launches `command` (a shell command line, as a person would type it) in its own process group,
 * so dispose() can end the app and any helpers it started. The app gets the accessibility
 * switches (GTK's ATK bridge, Qt's always-on) so it exposes its tree where an accessibility bus runs.
 */
export async function launchApp(command: string, options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<LaunchedApp> {
  if (!command.trim()) throw new SkillframeError('bad_input', 'input.app: the command is empty');
  const child: ChildProcess = spawn('/bin/sh', ['-c', `exec ${command}`], {
    env: withAccessibility(options.env ?? process.env),
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8192);
  });
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (error) => reject(new SkillframeError('unavailable', `input.app: cannot start ${JSON.stringify(command)}: ${error.message}`)));
  });
  const pid = child.pid as number;
  let disposed = false;
  return {
    pid,
    command,
    exited,
    stderr: () => stderr,
    async dispose() {
      if (disposed) return;
      disposed = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        /* group already gone */
      }
      const ended = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1500))]);
      if (!ended) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await exited;
      }
    },
  };
}
