import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc16, dynamixel } from '../../native/motors/dynamixel.ts';
import { feetech } from '../../native/motors/feetech.ts';
import { FrameError, instructions, type Protocol } from '../../native/motors/frames.ts';
import { seededRandom } from '../../native/motors/sim/servos.ts';

const hex = (bytes: Uint8Array) => [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');

describe('feetech codec', () => {
  it('encodes a PING exactly as the STS manual shows', () => {
    assert.equal(hex(feetech.encodeInstruction(1, instructions.ping, new Uint8Array())), 'ff ff 01 02 01 fb');
  });
  it('round-trips READ of Present_Position and names a bad checksum', () => {
    const bytes = feetech.encodeInstruction(3, instructions.read, Uint8Array.of(56, 2));
    assert.deepEqual(feetech.decode(bytes), { id: 3, code: 2, params: Uint8Array.of(56, 2) });
    bytes[5] ^= 0x10;
    assert.throws(() => feetech.decode(bytes), (error: FrameError) => error instanceof FrameError && error.reason === 'checksum' && /id 3/.test(error.message));
  });
  it('describes status error bits', () => {
    assert.equal(feetech.describeError(0x24), 'overheat, overload');
    assert.equal(feetech.isFatal(0x01), false);
    assert.equal(feetech.isFatal(0x20), true);
  });
});

describe('dynamixel 2.0 codec', () => {
  it('encodes a PING with the CRC of the Robotis e-manual example', () => {
    assert.equal(hex(dynamixel.encodeInstruction(1, instructions.ping, new Uint8Array())), 'ff ff fd 00 01 03 00 01 19 4e');
    assert.equal(crc16(Uint8Array.of(0xff, 0xff, 0xfd, 0x00, 0x01, 0x03, 0x00, 0x01)), 0x4e19);
  });
  it('stuffs FF FF FD inside params and removes it on decode', () => {
    const params = Uint8Array.of(0x74, 0x00, 0xff, 0xff, 0xfd, 0x00);
    const bytes = dynamixel.encodeInstruction(2, instructions.write, params);
    assert.match(hex(bytes), /ff ff fd fd/);
    assert.deepEqual(dynamixel.decode(bytes).params, params);
  });
  it('decodes a status packet: error byte, params, alert bit', () => {
    const frame = dynamixel.decode(dynamixel.encodeStatus(5, 0x84, Uint8Array.of(1, 2)));
    assert.deepEqual(frame, { id: 5, code: 0x84, params: Uint8Array.of(1, 2) });
    assert.equal(dynamixel.describeError(0x84), 'hardware alert, data range error');
  });
  it('refuses a frame whose stuffing byte is missing', () => {
    const bytes = dynamixel.encodeInstruction(2, instructions.write, Uint8Array.of(0xff, 0xff, 0xfd, 0x01));
    const broken = Uint8Array.from([...bytes.subarray(0, 7 + 4), ...bytes.subarray(7 + 5, bytes.length - 2)]);
    broken[5] -= 1;
    const crc = crc16(broken, 0, broken.length);
    const framed = Uint8Array.from([...broken, crc & 0xff, crc >> 8]);
    assert.throws(() => dynamixel.decode(framed), (error: FrameError) => error.reason === 'stuffing');
  });
});

function resynchronises(protocol: Protocol) {
  const parser = protocol.createParser();
  const good = protocol.encodeStatus(4, 0, Uint8Array.of(0x10, 0x08));
  const garbage = Uint8Array.of(0x00, 0xff, 0x13, 0xff, 0xff, 0x07, 0xfd, 0x55);
  const frames = [...parser.push(garbage), ...parser.push(good.subarray(0, 3)), ...parser.push(good.subarray(3)), ...parser.push(good)];
  // The garbage may hide a false header that swallows bytes; the parser must still find the next frames.
  assert.ok(frames.filter((frame) => frame.id === 4).length >= 1, `${protocol.name}: no frame after garbage`);
  const errors = parser.takeErrors();
  assert.ok(errors.every((error) => error instanceof FrameError));
}

describe('stream parser', () => {
  it('resynchronises after garbage and split chunks (feetech)', () => resynchronises(feetech));
  it('resynchronises after garbage and split chunks (dynamixel)', () => resynchronises(dynamixel));
});

/** A random valid frame, then maybe mutated: bit flips, inserted, deleted or cut bytes. */
function mutatedFrame(protocol: Protocol, random: () => number): Uint8Array {
  if (random() < 0.25) {
    const bytes = new Uint8Array(Math.floor(random() * 48));
    for (let index = 0; index < bytes.length; index += 1) bytes[index] = random() < 0.2 ? 0xff : Math.floor(random() * 256);
    return bytes;
  }
  const params = new Uint8Array(Math.floor(random() * 12));
  for (let index = 0; index < params.length; index += 1) params[index] = random() < 0.3 ? [0xff, 0xfd][Math.floor(random() * 2)] : Math.floor(random() * 256);
  const id = Math.floor(random() * 0xfe);
  let bytes = random() < 0.5 ? protocol.encodeInstruction(id, Math.floor(random() * 256), params) : protocol.encodeStatus(id, Math.floor(random() * 256), params);
  const mutations = Math.floor(random() * 4);
  for (let count = 0; count < mutations; count += 1) {
    const at = Math.floor(random() * bytes.length);
    const kind = random();
    if (kind < 0.4) bytes[at] ^= 1 << Math.floor(random() * 8);
    else if (kind < 0.6) {
      const grown = new Uint8Array(bytes.length + 1);
      grown.set(bytes.subarray(0, at));
      grown[at] = Math.floor(random() * 256);
      grown.set(bytes.subarray(at), at + 1);
      bytes = grown;
    } else if (kind < 0.8) {
      const shrunk = new Uint8Array(Math.max(0, bytes.length - 1));
      shrunk.set(bytes.subarray(0, at));
      shrunk.set(bytes.subarray(at + 1), at);
      bytes = shrunk;
    }
    else bytes = bytes.slice(0, at);
  }
  return bytes;
}

describe('codec fuzz', () => {
  it('takes 10^6 random and mutated frames: no crash, no hang, only coded errors', () => {
    const started = performance.now();
    const perProtocol = 500_000;
    for (const protocol of [feetech, dynamixel]) {
      const random = seededRandom(protocol === feetech ? 7 : 11);
      const parser = protocol.createParser();
      let decoded = 0;
      let rejected = 0;
      let streamed = 0;
      for (let index = 0; index < perProtocol; index += 1) {
        const bytes = mutatedFrame(protocol, random);
        try {
          protocol.decode(bytes);
          decoded += 1;
        } catch (error) {
          if (!(error instanceof FrameError)) throw new Error(`${protocol.name}: uncoded error on ${hex(bytes)}: ${error}`);
          assert.equal(error.code, 'bad_input');
          rejected += 1;
        }
        streamed += parser.push(bytes).length;
        for (const error of parser.takeErrors()) if (!(error instanceof FrameError)) throw new Error('parser produced an uncoded error');
        // A buffer that never drains would be a hang in disguise: a frame is at most ~1 KiB.
        assert.ok(parser.pending < 2048, `${protocol.name}: parser holds ${parser.pending} bytes`);
      }
      // After all that garbage a clean frame still comes through.
      const clean = protocol.encodeStatus(9, 0, Uint8Array.of(1, 2, 3));
      const tail = [...parser.push(clean), ...parser.push(clean)];
      assert.ok(tail.some((frame) => frame.id === 9 && frame.params.length === 3), `${protocol.name}: did not resynchronise`);
      assert.ok(decoded > perProtocol / 10 && rejected > perProtocol / 10, `${protocol.name}: decoded ${decoded}, rejected ${rejected}`);
      assert.ok(streamed > 0);
    }
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 60, `fuzz took ${seconds.toFixed(1)} s`);
  });
});
