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
