import { SkillframeError } from '../../core/index.ts';
import type { SerialLink } from './link.ts';

/**
 * Two in-memory links wired back to back: what one writes the other receives, on a later tick
 * like a real port. For unit tests and for the in-process simulated arm.
 */
export function fakeSerialPair(name = 'fake'): [SerialLink, SerialLink] {
  const a = new FakeLink(`${name}:a`);
  const b = new FakeLink(`${name}:b`);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class FakeLink implements SerialLink {
  readonly path: string;
  peer?: FakeLink;
  closed = false;
  private readonly listeners = new Set<(chunk: Uint8Array) => void>();
  constructor(path: string) {
    this.path = path;
  }
  async write(data: Uint8Array): Promise<void> {
    if (this.closed) throw new SkillframeError('unavailable', `serial port ${this.path} is closed`);
    const copy = data.slice();
    const peer = this.peer;
    setImmediate(() => {
      if (peer && !peer.closed) for (const listener of peer.listeners) listener(copy);
    });
  }
  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async dispose(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }
}
