import { type MotorModel, decodeValue } from '../control-tables.ts';
import { broadcastId, type Frame, instructions, type Protocol, readUint, writeUint } from '../frames.ts';

/** What can go wrong on the simulated bus, set at start or changed while it runs. */
export interface SimFaults {
  /** Probability (0..1) that a reply is never sent. */
  dropRate?: number;
  /** Probability that one byte of a reply is flipped. */
  corruptRate?: number;
  /** Probability that a reply is held back by `delayMs`. */
  delayRate?: number;
  delayMs?: number;
  /** Servos that stop answering (they still obey broadcasts, like a servo with a broken TX line). */
  silentIds?: number[];
  /** Status error byte a servo puts in every reply (e.g. Feetech 0x04 overheat), by id. */
  errorBits?: Record<number, number>;
}

export interface SimServoState {
  id: number;
  model: string;
  torque: boolean;
  position: number;
  goal: number;
  temperature: number;
  volts: number;
}

/** A small deterministic generator, so a failing fault test replays the same way. */
export function seededRandom(seed: number): () => number {
  // Scramble the seed first: xorshift started from a small number gives small numbers for a while.
  let state = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0 || 1;
  state = Math.imul(state ^ (state >>> 13), 0xc2b2ae35) >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
}

class SimServo {
  readonly id: number;
  readonly model: MotorModel;
  readonly memory = new Uint8Array(256);
  position: number;
  temperature = 30;
  private lastUpdate: number;
  private readonly phase: number;

  constructor(id: number, model: MotorModel, now: number) {
    this.id = id;
    this.model = model;
    this.position = model.resolution / 2;
    this.lastUpdate = now;
    this.phase = id * 1.3;
    this.set('Model_Number', model.modelNumber);
    this.set('ID', id);
    this.set('Min_Position_Limit', 0);
    this.set('Max_Position_Limit', model.resolution - 1);
    this.set('Goal_Position', this.position);
  }

  private register(name: keyof MotorModel['registers']) {
    return this.model.registers[name];
  }

  get(name: keyof MotorModel['registers']): number {
    const register = this.register(name);
    return decodeValue(register, readUint(this.memory, register.address, register.size));
  }

  set(name: keyof MotorModel['registers'], value: number) {
    const register = this.register(name);
    const limit = 2 ** (register.size * 8);
    writeUint(this.memory, register.address, register.size, ((Math.round(value) % limit) + limit) % limit);
  }

  get torque(): boolean {
    return this.get('Torque_Enable') !== 0;
  }

  /** Moves toward the goal at the model's top speed; a limp servo follows the hand when guided. */
  update(now: number, handGuided: boolean) {
    const dt = Math.min((now - this.lastUpdate) / 1000, 0.5);
    this.lastUpdate = now;
    const before = this.position;
    if (this.torque) {
      const goal = Math.min(Math.max(this.get('Goal_Position'), this.get('Min_Position_Limit')), this.get('Max_Position_Limit'));
      const step = this.model.maxSpeed * dt;
      this.position += Math.max(-step, Math.min(step, goal - this.position));
      this.temperature = Math.min(45, this.temperature + dt * 0.05);
    } else {
      if (handGuided) {
        // A person sweeping each joint through most of its travel, each at its own pace.
        const centre = this.model.resolution / 2;
        this.position = centre + (this.model.resolution * 0.4) * Math.sin(now / 1000 * (2 + this.id * 0.35) + this.phase);
      }
      this.temperature = Math.max(30, this.temperature - dt * 0.05);
    }
    const velocity = dt > 0 ? (this.position - before) / dt : 0;
    this.set('Present_Position', this.position);
    this.set('Present_Velocity', this.model.protocol === 'feetech' ? (velocity < 0 ? 0x8000 + Math.min(0x7fff, Math.round(-velocity)) : Math.round(velocity)) : velocity);
    this.set('Moving', Math.abs(velocity) > 1 ? 1 : 0);
    this.set('Present_Temperature', this.temperature);
    this.set('Present_Voltage', this.model.nominalVolts / this.model.voltageScale);
  }

  /** Like the real servo: enabling torque drives toward whatever Goal_Position holds. */
  writeBytes(address: number, data: Uint8Array) {
    this.memory.set(data.subarray(0, Math.max(0, 256 - address)), address);
  }
}

/**
 * N simulated servos answering one bus: the same control tables, instructions and replies as
 * the real ones, position dynamics with a speed limit, torque enable, temperature and voltage.
 */
export class SimServoBus {
  readonly protocol: Protocol;
  private readonly servos = new Map<number, SimServo>();
  private readonly random: () => number;
  faults: SimFaults = {};
  handGuided = false;

  constructor(protocol: Protocol, motors: { id: number; model: MotorModel }[], seed = 1) {
    this.protocol = protocol;
    this.random = seededRandom(seed);
    const now = performance.now();
    for (const motor of motors) this.servos.set(motor.id, new SimServo(motor.id, motor.model, now));
  }

  /** Pins a servo where a hand would put it (torque must be off for it to stay). */
  setPosition(id: number, position: number) {
    const servo = this.servos.get(id);
    if (!servo) return;
    servo.position = position;
    servo.set('Present_Position', position);
  }

  state(): SimServoState[] {
    const now = performance.now();
    return [...this.servos.values()].map((servo) => {
      servo.update(now, this.handGuided);
      return {
        id: servo.id,
        model: servo.model.name,
        torque: servo.torque,
        position: Math.round(servo.position),
        goal: servo.get('Goal_Position'),
        temperature: Math.round(servo.temperature * 10) / 10,
        volts: servo.model.nominalVolts,
      };
    });
  }

  /** Answers one instruction frame: the reply chunks, each with the delay before it is sent. */
  handle(frame: Frame): { bytes: Uint8Array; delayMs: number }[] {
    const now = performance.now();
    for (const servo of this.servos.values()) servo.update(now, this.handGuided);
    const width = this.protocol.addressBytes;
    const params = frame.params;
    const replies: { id: number; error: number; params: Uint8Array }[] = [];
    const target = frame.id === broadcastId ? undefined : this.servos.get(frame.id);
    switch (frame.code) {
      case instructions.ping: {
        if (!target) break;
        const body = this.protocol.name === 'dynamixel' ? Uint8Array.of(target.model.modelNumber & 0xff, target.model.modelNumber >> 8, 52) : new Uint8Array();
        replies.push({ id: target.id, error: 0, params: body });
        break;
      }
      case instructions.read: {
        if (!target || params.length < width * 2) break;
        const address = readUint(params, 0, width);
        const size = readUint(params, width, width);
        if (address + size > 256) {
          if (this.protocol.name === 'dynamixel') replies.push({ id: target.id, error: 4, params: new Uint8Array() });
          break;
        }
        replies.push({ id: target.id, error: 0, params: target.memory.slice(address, address + size) });
        break;
      }
      case instructions.write: {
        if (params.length < width) break;
        const address = readUint(params, 0, width);
        const data = params.subarray(width);
        if (address + data.length > 256) break;
        if (frame.id === broadcastId) for (const servo of this.servos.values()) servo.writeBytes(address, data);
        else if (target) {
          target.writeBytes(address, data);
          replies.push({ id: target.id, error: 0, params: new Uint8Array() });
        }
        break;
      }
      case instructions.syncRead: {
        if (params.length < width * 2) break;
        const address = readUint(params, 0, width);
        const size = readUint(params, width, width);
        if (address + size > 256) break;
        for (const id of params.subarray(width * 2)) {
          const servo = this.servos.get(id);
          if (servo) replies.push({ id, error: 0, params: servo.memory.slice(address, address + size) });
        }
        break;
      }
      case instructions.syncWrite: {
        if (params.length < width * 2) break;
        const address = readUint(params, 0, width);
        const size = readUint(params, width, width);
        if (size === 0 || address + size > 256) break;
        for (let at = width * 2; at + size + 1 <= params.length; at += size + 1) {
          this.servos.get(params[at])?.writeBytes(address, params.subarray(at + 1, at + 1 + size));
        }
        break;
      }
      default:
        if (target && this.protocol.name === 'dynamixel') replies.push({ id: target.id, error: 2, params: new Uint8Array() });
    }
    const silent = new Set(this.faults.silentIds ?? []);
    const out: { bytes: Uint8Array; delayMs: number }[] = [];
    for (const reply of replies) {
      if (silent.has(reply.id)) continue;
      if (this.random() < (this.faults.dropRate ?? 0)) continue;
      const bytes = this.protocol.encodeStatus(reply.id, reply.error | (this.faults.errorBits?.[reply.id] ?? 0), reply.params);
      if (this.random() < (this.faults.corruptRate ?? 0)) bytes[Math.floor(this.random() * bytes.length)] ^= 1 << Math.floor(this.random() * 8);
      const delayMs = this.random() < (this.faults.delayRate ?? 0) ? (this.faults.delayMs ?? 50) : 0;
      out.push({ bytes, delayMs });
    }
    return out;
  }
}
