import { spawn } from 'node:child_process';
import { SkillframeError } from '../../core/index.ts';
import { which } from '../process/run.ts';

export interface PtyPair {
  /** The two ends; bytes written to one come out of the other, like a null-modem cable. */
  ends: [string, string];
  /** socat's process id, so an owner killed hard can still be cleaned up after. */
  pid: number | undefined;
  dispose(): Promise<void>;
}

/** A real pty pair from `socat -d -d pty,raw,echo=0 pty,raw,echo=0`. */
export async function openPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  const socat = await which('socat');
  if (!socat) throw new SkillframeError('unavailable', 'socat is not installed (apt-get install socat)');
  const child = spawn(socat, ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const ends = await new Promise<string[]>((resolve, reject) => {
    const found: string[] = [];
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new SkillframeError('timeout', `socat did not report two ptys in ${timeoutMs} ms: ${text.slice(-300)}`));
    }, timeoutMs);
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      for (const match of text.matchAll(/PTY is (\S+)/g)) if (!found.includes(match[1])) found.push(match[1]);
      if (found.length >= 2 && /starting data transfer loop/.test(text)) {
        clearTimeout(timer);
        resolve(found.slice(0, 2));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new SkillframeError('unavailable', `socat exited with ${code}: ${text.slice(-300)}`));
    });
  });
  child.stderr.removeAllListeners('data');
  child.stderr.resume();
  return {
    ends: [ends[0], ends[1]],
    pid: child.pid,
    dispose: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
