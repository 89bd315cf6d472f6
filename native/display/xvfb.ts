import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchOwner } from '../process/owner-watch.ts';

export interface VirtualDisplay {
  /** e.g. ":37" */
  display: string;
  env: NodeJS.ProcessEnv;
  dispose(): Promise<void>;
}

/**
 * Starts a private Xvfb (and openbox, so windows move, resize and focus like on a desktop).
 * Each test file (and each benchmark) gets its own display, so they run in parallel without
 * sharing windows.
 */
export async function startDisplay(options: { width?: number; height?: number; windowManager?: boolean } = {}): Promise<VirtualDisplay> {
  const width = options.width ?? 1920;
  const height = options.height ?? 1080;
  const runtime = mkdtempSync(join(tmpdir(), 'sf-xvfb-'));
  const server = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp', '+extension', 'XTEST'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const number = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('Xvfb did not start in 10 s')), 10_000);
    (server.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(text.trim());
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${code}`));
    });
  });
  const display = `:${number}`;
  const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: display, XDG_RUNTIME_DIR: runtime };
  let windowManager: ChildProcess | undefined;
  if (options.windowManager !== false && existsSync('/usr/bin/openbox')) {
    windowManager = spawn('openbox', ['--sm-disable'], { env, stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
  // A process that ends without disposing (a signal, process.exit) must not leave its display
  // running: 'exit' handlers run synchronously, so the servers only get the signal there.
  // A SIGKILL runs no handler at all: a watcher outside the process stops them then.
  const watch = watchOwner(windowManager ? [server, windowManager] : [server], { folders: [runtime] });
  const onExit = () => {
    watch.stop();
    windowManager?.kill('SIGKILL');
    server.kill('SIGTERM');
    rmSync(runtime, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  return {
    display,
    env,
    async dispose() {
      process.off('exit', onExit);
      watch.stop();
      windowManager?.kill('SIGKILL');
      server.kill('SIGTERM');
      await new Promise((resolve) => {
        if (server.exitCode !== null) resolve(undefined);
        else server.once('exit', resolve);
      });
      rmSync(runtime, { recursive: true, force: true });
    },
  };
}
