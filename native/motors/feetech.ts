import { checkId, FrameError, type Protocol, ResyncParser, type Scan } from './frames.ts';

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

/** Judges the bytes at a header (FF FF) for the shared resynchronising parser. */
function scanAt(buffer: Uint8Array, start: number, end: number): Scan {
  if (end - start < 4) return { kind: 'wait' };
  const id = buffer[start + 2];
  // FF FF FF…: not a frame here; the header may start one byte later.
  if (id === 0xff) return { kind: 'skip' };
  const declared = buffer[start + 3];
  if (declared < 2) return { kind: 'skip', error: new FrameError('length', `feetech: frame for id ${id} declares length ${declared}, below 2`) };
  const total = declared + 4;
  if (end - start < total) return { kind: 'wait' };
  if (!checksumAt(buffer, start, total)) return { kind: 'skip', error: new FrameError('checksum', `feetech: bad checksum on a frame for id ${id}`) };
  return { kind: 'frame', frame: { id, code: buffer[start + 4], params: buffer.slice(start + 5, start + total - 1) }, total };
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
  createParser: () => new ResyncParser({ name: 'feetech', header: [0xff, 0xff], scanAt }),
  describeError(error) {
    const words = errorBits.filter(([bit]) => error & bit).map(([, word]) => word);
    return words.length ? words.join(', ') : error ? `error bits 0x${error.toString(16)}` : 'no error';
  },
  isFatal: (error) => (error & (0x04 | 0x08 | 0x20)) !== 0,
};

export function hex(byte: number | undefined): string {
  return byte === undefined ? '--' : byte.toString(16).toUpperCase().padStart(2, '0');
}
