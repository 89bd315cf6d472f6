import { existsSync } from 'node:fs';
import { SkillframeError } from '../../core/index.ts';

/**
 * A byte pipe to a device: the real serial port, a pty, or an in-memory fake. The engine
 * depends on this interface only, never on the serialport package.
 */
export interface SerialLink {
  readonly path: string;
  write(data: Uint8Array): Promise<void>;
  /** Every chunk of bytes as it arrives; returns a function that stops listening. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  /** Closes the port; safe to call twice. */
  dispose(): Promise<void>;
  readonly closed: boolean;
}

export interface OpenOptions {
  path: string;
  baudRate?: number;
  /** Milliseconds to keep trying while another process still holds the port (default 0). */
  waitForLockMs?: number;
}

/** Opens a real serial port (or pty) with an exclusive lock; errors name the port and the cause. */
export async function openSerialPort(options: OpenOptions): Promise<SerialLink> {
  const { path } = options;
  if (!path || !existsSync(path)) throw new SkillframeError('not_found', `serial port ${JSON.stringify(path)} does not exist`);
  const { SerialPort } = await import('serialport');
  const started = Date.now();
  for (;;) {
    try {
      const port = await new Promise<InstanceType<typeof SerialPort>>((resolve, reject) => {
        const opened: InstanceType<typeof SerialPort> = new SerialPort({ path, baudRate: options.baudRate ?? 1_000_000, lock: true, autoOpen: true }, (error) =>
          error ? reject(error) : resolve(opened),
        );
      });
      return wrap(port, path);
    } catch (error) {
      const message = (error as Error).message;
      const busy = /lock|busy|resource temporarily unavailable/i.test(message);
      if (busy && Date.now() - started < (options.waitForLockMs ?? 0)) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (busy) throw new SkillframeError('unavailable', `serial port ${path} is busy: another program holds it (${message})`);
      if (/no such file|ENOENT/i.test(message)) throw new SkillframeError('not_found', `serial port ${JSON.stringify(path)} does not exist`);
      if (/permission|EACCES/i.test(message)) throw new SkillframeError('unavailable', `serial port ${path}: permission denied (add yourself to the dialout group)`);
      throw new SkillframeError('unavailable', `serial port ${path} could not be opened: ${message}`);
    }
  }
}

function wrap(port: import('serialport').SerialPort, path: string): SerialLink {
  let closed = false;
  port.on('close', () => (closed = true));
  // A port that errors after opening (unplugged cable) must not crash the process.
  port.on('error', () => undefined);
  return {
    path,
    get closed() {
      return closed;
    },
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        if (closed) return reject(new SkillframeError('unavailable', `serial port ${path} is closed`));
        port.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength), (error) =>
          error ? reject(new SkillframeError('unavailable', `serial port ${path}: write failed: ${error.message}`)) : resolve(),
        );
      }),
    onData(listener) {
      const handler = (chunk: Buffer) => listener(chunk);
      port.on('data', handler);
      return () => port.off('data', handler);
    },
    dispose: () =>
      new Promise<void>((resolve) => {
        if (closed || !port.isOpen) {
          closed = true;
          return resolve();
        }
        port.close(() => {
          closed = true;
          resolve();
        });
      }),
  };
}

/** Serial ports the OS sees, with USB serial numbers when known (needs udev). */
export async function listSerialPorts(): Promise<{ path: string; serialNumber?: string; manufacturer?: string }[]> {
  const { SerialPort } = await import('serialport');
  try {
    const ports = await SerialPort.list();
    return ports.map((port) => ({ path: port.path, serialNumber: port.serialNumber, manufacturer: port.manufacturer }));
  } catch {
    return [];
  }
}
