import { SkillframeError } from '../../core/index.ts';

/**
 * One packet on a servo bus, protocol-neutral. On the way to the servos `code` is the
 * instruction; on the way back it is the status error byte. Both protocols share this shape,
 * so the bus driver and the simulator speak in frames and only the codec knows the bytes.
 */
export interface Frame {
  id: number;
  code: number;
  params: Uint8Array;
}

/** Why a stretch of bytes was not a frame; every parser failure carries one of these. */
export type FrameErrorReason = 'checksum' | 'length' | 'stuffing' | 'header' | 'truncated' | 'field';

export class FrameError extends SkillframeError {
  readonly reason: FrameErrorReason;
  constructor(reason: FrameErrorReason, message: string) {
    // Garbled bytes are routine on a noisy bus; a stack trace per bad frame would cost more than parsing.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super('bad_input', message, { reason });
    Error.stackTraceLimit = limit;
    this.reason = reason;
  }
}

export const instructions = {
  ping: 0x01,
  read: 0x02,
  write: 0x03,
  syncRead: 0x82,
  syncWrite: 0x83,
} as const;

/** Broadcast id: every servo executes, none replies (except to SYNC_READ). */
export const broadcastId = 0xfe;

/** A resynchronising parser: feed it bytes as they arrive, take the complete frames out. */
export interface FrameParser {
  push(chunk: Uint8Array): Frame[];
  /** Errors seen since the last call (garbage skipped, bad checksums), oldest first, at most 64 kept. */
  takeErrors(): FrameError[];
  /** Bytes still buffered waiting for the rest of a frame. */
  readonly pending: number;
  reset(): void;
}

export interface Protocol {
  readonly name: 'feetech' | 'dynamixel';
  /** Bytes per register are little-endian in both STS and Dynamixel 2.0. */
  encodeInstruction(id: number, instruction: number, params: Uint8Array): Uint8Array;
  encodeStatus(id: number, error: number, params: Uint8Array): Uint8Array;
  /** Decodes exactly one whole frame; throws FrameError otherwise. */
  decode(bytes: Uint8Array): Frame;
  createParser(): FrameParser;
  /** Width of register addresses and lengths in SYNC_READ/SYNC_WRITE/READ/WRITE params. */
  readonly addressBytes: 1 | 2;
  /** Words naming the bits of a status error byte, for messages. */
  describeError(error: number): string;
  /** The bits of a status error byte that mean the instruction was not carried out. */
  isFatal(error: number): boolean;
}

export function checkId(id: number, what = 'id'): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xfe) throw new FrameError('field', `${what} ${id} is not a servo id (0..254)`);
}

/** Little-endian integer of `size` bytes (1, 2 or 4). */
export function writeUint(target: Uint8Array, offset: number, size: number, value: number): void {
  let rest = value >>> 0;
  for (let index = 0; index < size; index += 1) {
    target[offset + index] = rest & 0xff;
    rest >>>= 8;
  }
}

export function readUint(source: Uint8Array, offset: number, size: number): number {
  let value = 0;
  for (let index = size - 1; index >= 0; index -= 1) value = value * 256 + source[offset + index];
  return value;
}

/** Register params: READ = address + length; WRITE = address + data. */
export function addressParams(protocol: Protocol, address: number, tail: Uint8Array | number[]): Uint8Array {
  const width = protocol.addressBytes;
  const out = new Uint8Array(width + tail.length);
  writeUint(out, 0, width, address);
  out.set(tail, width);
  return out;
}

/** What a codec finds at a header-aligned position of the receive buffer. */
export type Scan = { kind: 'frame'; frame: Frame; total: number } | { kind: 'wait' } | { kind: 'skip'; error?: FrameError };

/** The byte-level syntax a resynchronising parser needs from a codec. */
export interface FrameSyntax {
  name: string;
  /** Bytes every frame starts with (FF FF, or FF FF FD). */
  header: readonly number[];
  /** Judges the bytes at `start` (which begin with the header) up to `end`. */
  scanAt(buffer: Uint8Array, start: number, end: number): Scan;
}

/**
 * One resynchronising parser for every protocol: find a header, let the codec judge the frame,
 * skip garbage byte by byte, and never wait on a false header that declares a long frame when a
 * whole valid frame later in the buffer proves it false.
 */
export class ResyncParser implements FrameParser {
  private buffer = new Uint8Array(1024);
  private length = 0;
  private errors: FrameError[] = [];

  constructor(private readonly syntax: FrameSyntax) {}

  get pending(): number {
    return this.length;
  }

  reset(): void {
    this.length = 0;
    this.errors = [];
  }

  takeErrors(): FrameError[] {
    const errors = this.errors;
    this.errors = [];
    return errors;
  }

  private note(error: FrameError) {
    if (this.errors.length < 64) this.errors.push(error);
  }

  private headerAt(at: number): boolean {
    const header = this.syntax.header;
    if (at + header.length > this.length) return false;
    for (let index = 0; index < header.length; index += 1) if (this.buffer[at + index] !== header[index]) return false;
    return true;
  }

  private laterFrame(from: number): number {
    for (let at = from; at + this.syntax.header.length < this.length; at += 1) {
      if (this.headerAt(at) && this.syntax.scanAt(this.buffer, at, this.length).kind === 'frame') return at;
    }
    return -1;
  }

  /** Length of the longest buffer tail that could be the start of the next header. */
  private partialHeaderTail(): number {
    const header = this.syntax.header;
    for (let size = Math.min(header.length - 1, this.length); size > 0; size -= 1) {
      let matches = true;
      for (let index = 0; index < size; index += 1) if (this.buffer[this.length - size + index] !== header[index]) matches = false;
      if (matches) return size;
    }
    return 0;
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.length + chunk.length > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + chunk.length));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.length);
    this.length += chunk.length;
    const name = this.syntax.name;
    const frames: Frame[] = [];
    let start = 0;
    while (start < this.length) {
      let header = start;
      while (header < this.length && !this.headerAt(header)) header += 1;
      if (header >= this.length) {
        const keep = Math.max(start, this.length - this.partialHeaderTail());
        if (keep > start) this.note(new FrameError('header', `${name}: skipped ${keep - start} bytes that were not a frame header`));
        start = keep;
        break;
      }
      if (header > start) this.note(new FrameError('header', `${name}: skipped ${header - start} bytes before a frame header`));
      start = header;
      const scan = this.syntax.scanAt(this.buffer, start, this.length);
      if (scan.kind === 'wait') {
        const later = this.laterFrame(start + 1);
        if (later < 0) break;
        this.note(new FrameError('length', `${name}: a frame at byte ${start} was cut short by another frame`));
        start = later;
        continue;
      }
      if (scan.kind === 'skip') {
        if (scan.error) this.note(scan.error);
        start += 1;
        continue;
      }
      frames.push(scan.frame);
      start += scan.total;
    }
    if (start > 0) {
      this.buffer.copyWithin(0, start, this.length);
      this.length -= start;
    }
    return frames;
  }
}
