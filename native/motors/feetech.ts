import { checkId, type Frame, FrameError, type FrameParser, type Protocol } from './frames.ts';

/**
 * Feetech STS/SMS serial protocol (SO-100/101 arms): `FF FF ID LEN X PARAMS… CHK`, where X is the
 * instruction (to the servo) or the error byte (from it), LEN = params + 2 and
 * CHK = ~(ID + LEN + X + params) & 0xFF.
 */

const maxParams = 0xff - 2;

const errorBits: [number, string][] = [
  [0x01, 'input voltage'],
  [0x02, 'angle sensor'],
  [0x04, 'overheat'],
  [0x08, 'overcurrent'],
  [0x20, 'overload'],
];

function encode(id: number, code: number, params: Uint8Array): Uint8Array {
  checkId(id);
  if (params.length > maxParams) throw new FrameError('length', `feetech frame for id ${id} has ${params.length} params, more than ${maxParams}`);
  const out = new Uint8Array(params.length + 6);
  out[0] = 0xff;
  out[1] = 0xff;
  out[2] = id;
  out[3] = params.length + 2;
  out[4] = code & 0xff;
  out.set(params, 5);
  let sum = 0;
  for (let index = 2; index < out.length - 1; index += 1) sum += out[index];
  out[out.length - 1] = ~sum & 0xff;
  return out;
}

function checksumAt(buffer: Uint8Array, start: number, total: number): boolean {
  let sum = 0;
  for (let index = start + 2; index < start + total - 1; index += 1) sum += buffer[index];
  return (~sum & 0xff) === buffer[start + total - 1];
}

class FeetechParser implements FrameParser {
  private buffer = new Uint8Array(512);
  private length = 0;
  private errors: FrameError[] = [];

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

  private laterFrame(from: number): number {
    const buffer = this.buffer;
    for (let at = from; at + 5 < this.length; at += 1) {
      if (buffer[at] !== 0xff || buffer[at + 1] !== 0xff || buffer[at + 2] === 0xff || buffer[at + 3] < 2) continue;
      const total = buffer[at + 3] + 4;
      if (at + total <= this.length && checksumAt(buffer, at, total)) return at;
    }
    return -1;
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.length + chunk.length > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + chunk.length));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.length);
    this.length += chunk.length;
    const frames: Frame[] = [];
    const buffer = this.buffer;
    let start = 0;
    while (start < this.length) {
      let header = start;
      while (header + 1 < this.length && !(buffer[header] === 0xff && buffer[header + 1] === 0xff)) header += 1;
      if (header + 1 >= this.length) {
        // Keep a trailing 0xFF: it may be the first half of the next header.
        const keep = buffer[this.length - 1] === 0xff ? this.length - 1 : this.length;
        if (keep > start) this.note(new FrameError('header', `feetech: skipped ${keep - start} bytes that were not a frame header`));
        start = keep;
        break;
      }
      if (header > start) this.note(new FrameError('header', `feetech: skipped ${header - start} bytes before a frame header`));
      start = header;
      if (this.length - start < 4) break;
      const id = buffer[start + 2];
      const declared = buffer[start + 3];
      if (id === 0xff) {
        start += 1; // FF FF FF…: slide by one, the header may start one byte later
        continue;
      }
      if (declared < 2) {
        this.note(new FrameError('length', `feetech: frame for id ${id} declares length ${declared}, below 2`));
        start += 1;
        continue;
      }
      const total = declared + 4;
      if (this.length - start < total) {
        // A false header (garbage) can declare a long frame; a whole valid frame later in the
        // buffer proves it false, so skip to that frame instead of waiting.
        const later = this.laterFrame(start + 1);
        if (later < 0) break;
        this.note(new FrameError('length', `feetech: a frame for id ${id} declaring length ${declared} was cut short by another frame`));
        start = later;
        continue;
      }
      if (!checksumAt(buffer, start, total)) {
        this.note(new FrameError('checksum', `feetech: bad checksum on a frame for id ${id}`));
        start += 1;
        continue;
      }
      frames.push({ id, code: buffer[start + 4], params: buffer.slice(start + 5, start + total - 1) });
      start += total;
    }
    if (start > 0) {
      buffer.copyWithin(0, start, this.length);
      this.length -= start;
    }
    return frames;
  }
}

export const feetech: Protocol = {
  name: 'feetech',
  addressBytes: 1,
  encodeInstruction: encode,
  encodeStatus: encode,
  decode(bytes) {
    if (bytes.length < 6) throw new FrameError('truncated', `feetech: ${bytes.length} bytes is shorter than the 6 of the smallest frame`);
    if (bytes[0] !== 0xff || bytes[1] !== 0xff) throw new FrameError('header', `feetech: frame starts with ${hex(bytes[0])} ${hex(bytes[1])}, not FF FF`);
    const id = bytes[2];
    if (id === 0xff) throw new FrameError('field', 'feetech: id 0xFF is not a servo id');
    const declared = bytes[3];
    if (declared < 2) throw new FrameError('length', `feetech: frame for id ${id} declares length ${declared}, below 2`);
    if (declared + 4 !== bytes.length) throw new FrameError('length', `feetech: frame for id ${id} declares length ${declared} but has ${bytes.length - 4} bytes after it`);
    if (!checksumAt(bytes, 0, bytes.length)) throw new FrameError('checksum', `feetech: bad checksum on a frame for id ${id}`);
    return { id, code: bytes[4], params: bytes.slice(5, bytes.length - 1) };
  },
  createParser: () => new FeetechParser(),
  describeError(error) {
    const words = errorBits.filter(([bit]) => error & bit).map(([, word]) => word);
    return words.length ? words.join(', ') : error ? `error bits 0x${error.toString(16)}` : 'no error';
  },
  isFatal: (error) => (error & (0x04 | 0x08 | 0x20)) !== 0,
};

export function hex(byte: number | undefined): string {
  return byte === undefined ? '--' : byte.toString(16).toUpperCase().padStart(2, '0');
}
