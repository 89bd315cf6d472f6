import { checkId, type Frame, FrameError, type Protocol, ResyncParser, type Scan } from './frames.ts';
import { hex } from './feetech.ts';

/**
 * Dynamixel protocol 2.0 (Koch arms): `FF FF FD 00 ID LEN_L LEN_H INST PARAMS… CRC_L CRC_H`.
 * LEN counts INST, the (stuffed) params and the CRC. Status packets use INST 0x55 followed by an
 * error byte. Byte stuffing turns every `FF FF FD` inside INST+params into `FF FF FD FD` so a
 * header never appears inside a packet. CRC-16, polynomial 0x8005, over everything before it.
 */

const statusInstruction = 0x55;
/** Our own frames are small; a larger declared length is garbage, not a frame worth waiting for. */
const maxDeclared = 1024;

const crcTable = (() => {
  const table = new Uint16Array(256);
  for (let index = 0; index < 256; index += 1) {
    let crc = index << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
    table[index] = crc;
  }
  return table;
})();

export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let index = start; index < end; index += 1) crc = ((crc << 8) ^ crcTable[((crc >> 8) ^ bytes[index]) & 0xff]) & 0xffff;
  return crc;
}

function stuff(body: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let index = 0; index < body.length; index += 1) {
    out.push(body[index]);
    if (index >= 2 && body[index] === 0xfd && body[index - 1] === 0xff && body[index - 2] === 0xff) out.push(0xfd);
  }
  return Uint8Array.from(out);
}

/** Removes stuffing; a `FF FF FD` not followed by `FD` means the packet is broken. */
function unstuff(body: Uint8Array, id: number): Uint8Array {
  const out = new Uint8Array(body.length);
  let length = 0;
  for (let index = 0; index < body.length; index += 1) {
    out[length++] = body[index];
    if (length >= 3 && out[length - 1] === 0xfd && out[length - 2] === 0xff && out[length - 3] === 0xff) {
      if (body[index + 1] !== 0xfd) throw new FrameError('stuffing', `dynamixel: frame for id ${id} has FF FF FD without the stuffing byte`);
      index += 1;
    }
  }
  return out.slice(0, length);
}

function encodeRaw(id: number, body: Uint8Array): Uint8Array {
  checkId(id);
  const stuffed = stuff(body);
  const declared = stuffed.length + 2;
  if (declared > maxDeclared) throw new FrameError('length', `dynamixel frame for id ${id} is ${declared} bytes long, more than ${maxDeclared}`);
  const out = new Uint8Array(stuffed.length + 9);
  out.set([0xff, 0xff, 0xfd, 0x00, id, declared & 0xff, declared >> 8]);
  out.set(stuffed, 7);
  const crc = crc16(out, 0, out.length - 2);
  out[out.length - 2] = crc & 0xff;
  out[out.length - 1] = crc >> 8;
  return out;
}

function withCode(code: number, params: Uint8Array, status: boolean): Uint8Array {
  const body = new Uint8Array(params.length + (status ? 2 : 1));
  if (status) {
    body[0] = statusInstruction;
    body[1] = code;
    body.set(params, 2);
  } else {
    body[0] = code;
    body.set(params, 1);
  }
  return body;
}

/** Turns an unstuffed INST+params body into a frame; `null` direction accepts both kinds. */
function toFrame(id: number, body: Uint8Array): Frame {
  if (body[0] === statusInstruction) {
    if (body.length < 2) throw new FrameError('truncated', `dynamixel: status frame for id ${id} has no error byte`);
    return { id, code: body[1], params: body.slice(2) };
  }
  return { id, code: body[0], params: body.slice(1) };
}

/** Looks at a header-aligned buffer position. */
function scanAt(buffer: Uint8Array, start: number, end: number): Scan {
  if (end - start < 7) return { kind: 'wait' };
  if (buffer[start + 3] !== 0x00) return { kind: 'skip' };
  const id = buffer[start + 4];
  if (id === 0xff || id === 0xfd) return { kind: 'skip', error: new FrameError('field', `dynamixel: ${hex(id)} is not a servo id`) };
  const declared = buffer[start + 5] | (buffer[start + 6] << 8);
  if (declared < 3 || declared > maxDeclared) return { kind: 'skip', error: new FrameError('length', `dynamixel: frame for id ${id} declares length ${declared}, outside 3..${maxDeclared}`) };
  const total = declared + 7;
  if (end - start < total) return { kind: 'wait' };
  const crc = buffer[start + total - 2] | (buffer[start + total - 1] << 8);
  if (crc16(buffer, start, start + total - 2) !== crc) return { kind: 'skip', error: new FrameError('checksum', `dynamixel: bad CRC on a frame for id ${id}`) };
  try {
    const body = unstuff(buffer.subarray(start + 7, start + total - 2), id);
    return { kind: 'frame', frame: toFrame(id, body), total };
  } catch (error) {
    return { kind: 'skip', error: error as FrameError };
  }
}

const errorNumbers: Record<number, string> = {
  1: 'result fail',
  2: 'instruction error',
  3: 'CRC error',
  4: 'data range error',
  5: 'data length error',
  6: 'data limit error',
  7: 'access error',
};

export const dynamixel: Protocol = {
  name: 'dynamixel',
  addressBytes: 2,
  encodeInstruction: (id, instruction, params) => encodeRaw(id, withCode(instruction, params, false)),
  encodeStatus: (id, error, params) => encodeRaw(id, withCode(error, params, true)),
  decode(bytes) {
    if (bytes.length < 10) throw new FrameError('truncated', `dynamixel: ${bytes.length} bytes is shorter than the 10 of the smallest frame`);
    if (bytes[0] !== 0xff || bytes[1] !== 0xff || bytes[2] !== 0xfd || bytes[3] !== 0x00) {
      throw new FrameError('header', `dynamixel: frame starts with ${[...bytes.subarray(0, 4)].map(hex).join(' ')}, not FF FF FD 00`);
    }
    const scan = scanAt(bytes, 0, bytes.length);
    if (scan.kind === 'wait') throw new FrameError('truncated', `dynamixel: frame for id ${bytes[4]} is cut short (${bytes.length} bytes)`);
    if (scan.kind === 'skip') throw scan.error ?? new FrameError('header', 'dynamixel: not a frame');
    if (scan.total !== bytes.length) throw new FrameError('length', `dynamixel: frame for id ${bytes[4]} declares ${scan.total} bytes but has ${bytes.length}`);
    return scan.frame;
  },
  createParser: () => new ResyncParser({ name: 'dynamixel', header: [0xff, 0xff, 0xfd], scanAt }),
  describeError(error) {
    const words: string[] = [];
    if (error & 0x80) words.push('hardware alert');
    const number = error & 0x7f;
    if (number) words.push(errorNumbers[number] ?? `error ${number}`);
    return words.length ? words.join(', ') : 'no error';
  },
  isFatal: (error) => (error & 0x7f) !== 0 || (error & 0x80) !== 0,
};
