import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { watchOwner } from '../native/process/owner-watch.ts';

/** A private redis-server (Debian's package) on a random loopback port, for tests and benchmarks. */
export interface RedisServer {
  url: string;
  port: number;
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start in 10 s')), 10_000);
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code} (is the redis-server package installed?)`));
    });
  });
  // Its owner may end without disposing (process.exit, a signal, SIGKILL): the server goes with it.
  const watch = watchOwner([child]);
  const onExit = () => {
    watch.stop();
    child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async dispose() {
      process.off('exit', onExit);
      watch.stop();
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    },
  };
}
