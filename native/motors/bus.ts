import { SkillframeError } from '../../core/index.ts';
import type { SerialLink } from '../serial/link.ts';
import { type Register, decodeValue, encodeValue } from './control-tables.ts';
import { addressParams, broadcastId, type Frame, type FrameParser, instructions, type Protocol, readUint, writeUint } from './frames.ts';

export interface MotorBusOptions {
  /** How long to wait for a reply before trying again. */
  timeoutMs?: number;
  /** The first exchange after opening waits longer: a freshly opened port (and its reader) can be slow to start. */
  firstTimeoutMs?: number;
  /** Further tries after the first. */
  retries?: number;
  /** Names motors in error messages (id → joint name). */
  describeMotor?: (id: number) => string;
}

export interface BusStats {
  transactions: number;
  retries: number;
  timeouts: number;
  garbledFrames: number;
  /** Last status error byte per motor, when it was not zero. */
  motorErrors: Record<number, string>;
}

interface Job {
  run: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Waiter {
  ids: Set<number>;
  size: number | undefined;
  replies: Map<number, Frame>;
  done: () => void;
}

/**
 * A half-duplex servo bus: one transaction at a time, each a request and the replies it expects.
 * Replies that do not arrive are retried a bounded number of times; what still fails is reported
 * per motor. The e-stop path uses `urgent`, which jumps the queue and drops everything waiting.
 */
export class MotorBus {
  readonly protocol: Protocol;
  readonly link: SerialLink;
  readonly stats: BusStats = { transactions: 0, retries: 0, timeouts: 0, garbledFrames: 0, motorErrors: {} };
  private readonly parser: FrameParser;
  private readonly timeoutMs: number;
  private firstTimeoutMs: number | undefined;
  private readonly retries: number;
  private readonly describe: (id: number) => string;
  private readonly stopListening: () => void;
  private waiter: Waiter | undefined;
  private jobs: Job[] = [];
  private busy = false;
  private disposed = false;

  constructor(link: SerialLink, protocol: Protocol, options: MotorBusOptions = {}) {
    this.link = link;
    this.protocol = protocol;
    this.parser = protocol.createParser();
    this.timeoutMs = options.timeoutMs ?? 30;
    this.firstTimeoutMs = options.firstTimeoutMs ?? 500;
    this.retries = options.retries ?? 2;
    this.describe = options.describeMotor ?? ((id) => `motor ${id}`);
    this.stopListening = link.onData((chunk) => this.receive(chunk));
  }

  private receive(chunk: Uint8Array) {
    const frames = this.parser.push(chunk);
    this.stats.garbledFrames += this.parser.takeErrors().length;
    const waiter = this.waiter;
    if (!waiter) return;
    for (const frame of frames) {
      if (!waiter.ids.has(frame.id) || waiter.replies.has(frame.id)) continue;
      // A late reply to an earlier, retried request can carry the right id but the wrong size.
      if (waiter.size !== undefined && frame.params.length !== waiter.size) {
        this.stats.garbledFrames += 1;
        continue;
      }
      waiter.replies.set(frame.id, frame);
    }
    if (waiter.replies.size === waiter.ids.size) waiter.done();
  }

  private enqueue<T>(run: () => Promise<T>, urgent = false): Promise<T> {
    if (this.disposed) return Promise.reject(new SkillframeError('unavailable', `bus on ${this.link.path} is closed`));
    return new Promise<T>((resolve, reject) => {
      const job: Job = { run, resolve: resolve as (value: unknown) => void, reject };
      if (urgent) this.jobs.unshift(job);
      else this.jobs.push(job);
      void this.pump();
    });
  }

  private async pump() {
    if (this.busy) return;
    const job = this.jobs.shift();
    if (!job) return;
    this.busy = true;
    try {
      job.resolve(await job.run());
    } catch (error) {
      job.reject(error);
    } finally {
      this.busy = false;
      void this.pump();
    }
  }

  /**
   * The e-stop path: drops every queued request, then (right after the one on the wire) writes
   * `value` to `register` on every motor, first as one broadcast SYNC_WRITE, then one WRITE per
   * motor with replies, so a dropped broadcast is caught. Returns who confirmed.
   */
  urgentWrite(ids: number[], register: Register, value: number, reason: string): Promise<{ confirmed: number[]; failed: number[] }> {
    for (const job of this.jobs.splice(0)) job.reject(new SkillframeError('aborted', reason));
    const data = new Uint8Array(register.size);
    writeUint(data, 0, register.size, encodeValue(register, value, 'urgent write'));
    const width = this.protocol.addressBytes;
    const params = new Uint8Array(width * 2 + ids.length * (register.size + 1));
    writeUint(params, 0, width, register.address);
    writeUint(params, width, width, register.size);
    ids.forEach((id, index) => {
      params[width * 2 + index * (register.size + 1)] = id;
      params.set(data, width * 2 + index * (register.size + 1) + 1);
    });
    return this.enqueue(async () => {
      await this.exchange(this.protocol.encodeInstruction(broadcastId, instructions.syncWrite, params), [], undefined);
      const confirmed: number[] = [];
      const failed: number[] = [];
      for (const id of ids) {
        const request = this.protocol.encodeInstruction(id, instructions.write, addressParams(this.protocol, register.address, data));
        try {
          await this.collect([id], 0, () => request, `WRITE @${register.address}`);
          confirmed.push(id);
        } catch {
          failed.push(id);
        }
      }
      return { confirmed, failed };
    }, true);
  }

  /** Sends one request and collects replies from `ids` (empty: no reply expected). */
  private async exchange(bytes: Uint8Array, ids: number[], size: number | undefined): Promise<Map<number, Frame>> {
    this.stats.transactions += 1;
    const replies = new Map<number, Frame>();
    if (ids.length === 0) {
      await this.link.write(bytes);
      return replies;
    }
    this.parser.reset();
    let timer: NodeJS.Timeout | undefined;
    const finished = new Promise<void>((resolve) => {
      this.waiter = { ids: new Set(ids), size, replies, done: resolve };
      timer = setTimeout(resolve, this.firstTimeoutMs ?? this.timeoutMs);
    });
    try {
      await this.link.write(bytes);
      await finished;
    } finally {
      clearTimeout(timer);
      this.waiter = undefined;
    }
    if (replies.size) this.firstTimeoutMs = undefined;
    if (replies.size < ids.length) this.stats.timeouts += 1;
    return replies;
  }

  /** Retries only the motors that did not answer; throws naming those that never did. */
  private async collect(ids: number[], size: number | undefined, build: (ids: number[]) => Uint8Array, what: string): Promise<Map<number, Frame>> {
    const all = new Map<number, Frame>();
    let missing = [...ids];
    for (let attempt = 0; attempt <= this.retries && missing.length; attempt += 1) {
      if (attempt > 0) this.stats.retries += 1;
      const replies = await this.exchange(build(missing), missing, size);
      for (const [id, frame] of replies) all.set(id, frame);
      missing = missing.filter((id) => !all.has(id));
    }
    if (missing.length) {
      const names = missing.map((id) => this.describe(id)).join(', ');
      const garbled = this.stats.garbledFrames ? ` (${this.stats.garbledFrames} garbled frames seen on this bus)` : '';
      throw new SkillframeError('timeout', `${names} did not answer ${what} after ${this.retries + 1} tries${garbled}`, { motors: missing });
    }
    for (const [id, frame] of all) this.checkStatus(id, frame.code, what);
    return all;
  }

  private checkStatus(id: number, error: number, what: string) {
    if (error === 0) {
      delete this.stats.motorErrors[id];
      return;
    }
    const words = this.protocol.describeError(error);
    this.stats.motorErrors[id] = words;
    if (this.protocol.isFatal(error)) throw new SkillframeError('unsafe', `${this.describe(id)} reports ${words} (status 0x${error.toString(16)}) on ${what}`, { motor: id, status: error });
  }

  /** True when the motor answers a PING within the usual tries (silence is an answer here, not an error). */
  ping(id: number): Promise<boolean> {
    const request = this.protocol.encodeInstruction(id, instructions.ping, new Uint8Array());
    return this.enqueue(async () => {
      for (let attempt = 0; attempt <= this.retries; attempt += 1) {
        if ((await this.exchange(request, [id], undefined)).has(id)) return true;
      }
      return false;
    });
  }

  readBytes(id: number, address: number, size: number): Promise<Uint8Array> {
    const width = this.protocol.addressBytes;
    const lengthBytes = new Uint8Array(width);
    writeUint(lengthBytes, 0, width, size);
    const request = this.protocol.encodeInstruction(id, instructions.read, addressParams(this.protocol, address, lengthBytes));
    return this.enqueue(async () => (await this.collect([id], size, () => request, `READ @${address}`)).get(id)!.params);
  }

  writeBytes(id: number, address: number, data: Uint8Array): Promise<void> {
    const request = this.protocol.encodeInstruction(id, instructions.write, addressParams(this.protocol, address, data));
    return this.enqueue(async () => {
      if (id === broadcastId) await this.exchange(request, [], undefined);
      else await this.collect([id], 0, () => request, `WRITE @${address}`);
    });
  }

  syncReadBytes(ids: number[], address: number, size: number): Promise<Map<number, Uint8Array>> {
    const width = this.protocol.addressBytes;
    const build = (asked: number[]) => {
      const params = new Uint8Array(width * 2 + asked.length);
      writeUint(params, 0, width, address);
      writeUint(params, width, width, size);
      params.set(asked, width * 2);
      return this.protocol.encodeInstruction(broadcastId, instructions.syncRead, params);
    };
    return this.enqueue(async () => {
      const replies = await this.collect(ids, size, build, `SYNC_READ @${address}`);
      return new Map([...replies].map(([id, frame]) => [id, frame.params]));
    });
  }

  /** SYNC_WRITE has no reply: delivery is checked by reading back where it matters. */
  syncWriteBytes(entries: [number, Uint8Array][], address: number, size: number): Promise<void> {
    const width = this.protocol.addressBytes;
    const params = new Uint8Array(width * 2 + entries.length * (size + 1));
    writeUint(params, 0, width, address);
    writeUint(params, width, width, size);
    let at = width * 2;
    for (const [id, data] of entries) {
      if (data.length !== size) throw new SkillframeError('internal', `SYNC_WRITE data for ${this.describe(id)} is ${data.length} bytes, not ${size}`);
      params[at] = id;
      params.set(data, at + 1);
      at += size + 1;
    }
    const request = this.protocol.encodeInstruction(broadcastId, instructions.syncWrite, params);
    return this.enqueue(() => this.exchange(request, [], undefined).then(() => undefined));
  }

  async read(id: number, register: Register): Promise<number> {
    return decodeValue(register, readUint(await this.readBytes(id, register.address, register.size), 0, register.size));
  }

  async write(id: number, register: Register, value: number, name = 'register'): Promise<void> {
    const data = new Uint8Array(register.size);
    writeUint(data, 0, register.size, encodeValue(register, value, `${this.describe(id)} ${name}`));
    await this.writeBytes(id, register.address, data);
  }

  async syncRead(ids: number[], register: Register): Promise<Map<number, number>> {
    const raw = await this.syncReadBytes(ids, register.address, register.size);
    return new Map([...raw].map(([id, bytes]) => [id, decodeValue(register, readUint(bytes, 0, register.size))]));
  }

  async syncWrite(values: Map<number, number>, register: Register, name = 'register'): Promise<void> {
    const entries: [number, Uint8Array][] = [];
    for (const [id, value] of values) {
      const data = new Uint8Array(register.size);
      writeUint(data, 0, register.size, encodeValue(register, value, `${this.describe(id)} ${name}`));
      entries.push([id, data]);
    }
    await this.syncWriteBytes(entries, register.address, register.size);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    // Let the job in flight finish (an e-stop write must reach the wire) before closing.
    while (this.busy) await new Promise((resolve) => setTimeout(resolve, 1));
    this.disposed = true;
    for (const job of this.jobs.splice(0)) job.reject(new SkillframeError('aborted', `bus on ${this.link.path} closed`));
    this.stopListening();
    await this.link.dispose();
  }
}
