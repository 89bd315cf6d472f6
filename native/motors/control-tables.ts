import { SkillframeError } from '../../core/index.ts';

/**
 * Per-model register maps. Names follow the manufacturers' tables (and LeRobot's), so a reader
 * can check them against the datasheet. Values are little-endian; `signed` registers use two's
 * complement (Dynamixel) and `signBit` ones sign-magnitude (Feetech).
 */
export interface Register {
  address: number;
  size: 1 | 2 | 4;
  signed?: boolean;
  /** Feetech stores some signed values as magnitude plus this sign bit. */
  signBit?: number;
  /** Read-only registers are refused on write. */
  readOnly?: boolean;
}

export interface MotorModel {
  name: string;
  protocol: 'feetech' | 'dynamixel';
  modelNumber: number;
  /** Steps per full turn of Present_Position. */
  resolution: number;
  /** Top speed in steps per second, used by the simulator's dynamics. */
  maxSpeed: number;
  /** Volts per unit of Present_Voltage. */
  voltageScale: number;
  nominalVolts: number;
  registers: Record<RegisterName, Register>;
  /** Feetech keeps EEPROM (limits, offsets) write-protected behind this register (0 = writable). */
  eepromLock?: Register;
}

/** The registers the driver needs, present in every model under these names. */
export type RegisterName =
  | 'Model_Number'
  | 'ID'
  | 'Min_Position_Limit'
  | 'Max_Position_Limit'
  | 'Torque_Enable'
  | 'Goal_Position'
  | 'Present_Position'
  | 'Present_Velocity'
  | 'Present_Voltage'
  | 'Present_Temperature'
  | 'Moving'
  | 'Homing_Offset';

const sts3215: MotorModel = {
  name: 'sts3215',
  protocol: 'feetech',
  modelNumber: 777,
  resolution: 4096,
  maxSpeed: 3400,
  voltageScale: 0.1,
  nominalVolts: 12,
  eepromLock: { address: 55, size: 1 },
  registers: {
    Model_Number: { address: 3, size: 2, readOnly: true },
    ID: { address: 5, size: 1 },
    Min_Position_Limit: { address: 9, size: 2 },
    Max_Position_Limit: { address: 11, size: 2 },
    Homing_Offset: { address: 31, size: 2, signBit: 11 },
    Torque_Enable: { address: 40, size: 1 },
    Goal_Position: { address: 42, size: 2 },
    Present_Position: { address: 56, size: 2, readOnly: true },
    Present_Velocity: { address: 58, size: 2, signBit: 15, readOnly: true },
    Present_Voltage: { address: 62, size: 1, readOnly: true },
    Present_Temperature: { address: 63, size: 1, readOnly: true },
    Moving: { address: 66, size: 1, readOnly: true },
  },
};

function xSeries(name: string, modelNumber: number, maxSpeed: number): MotorModel {
  return {
    name,
    protocol: 'dynamixel',
    modelNumber,
    resolution: 4096,
    maxSpeed,
    voltageScale: 0.1,
    nominalVolts: name.startsWith('xl330') ? 5 : 12,
    registers: {
      Model_Number: { address: 0, size: 2, readOnly: true },
      ID: { address: 7, size: 1 },
      Homing_Offset: { address: 20, size: 4, signed: true },
      Max_Position_Limit: { address: 48, size: 4 },
      Min_Position_Limit: { address: 52, size: 4 },
      Torque_Enable: { address: 64, size: 1 },
      Goal_Position: { address: 116, size: 4, signed: true },
      Moving: { address: 122, size: 1, readOnly: true },
      Present_Velocity: { address: 128, size: 4, signed: true, readOnly: true },
      Present_Position: { address: 132, size: 4, signed: true, readOnly: true },
      Present_Voltage: { address: 144, size: 2, readOnly: true },
      Present_Temperature: { address: 146, size: 1, readOnly: true },
    },
  };
}

export const motorModels: Record<string, MotorModel> = {
  sts3215,
  xl330_m288: xSeries('xl330_m288', 1200, 4200),
  xl430_w250: xSeries('xl430_w250', 1060, 3900),
};

export function modelByNumber(protocol: 'feetech' | 'dynamixel', modelNumber: number): MotorModel | undefined {
  return Object.values(motorModels).find((model) => model.protocol === protocol && model.modelNumber === modelNumber);
}

export function motorModel(name: string): MotorModel {
  const model = Object.hasOwn(motorModels, name) ? motorModels[name] : undefined;
  if (!model) throw new SkillframeError('bad_input', `unknown motor model ${JSON.stringify(name)}; known: ${Object.keys(motorModels).join(', ')}`);
  return model;
}

/** Raw register bytes → number, honouring sign conventions. */
export function decodeValue(register: Register, raw: number): number {
  if (register.signBit !== undefined) {
    const bit = 2 ** register.signBit;
    return raw >= bit ? -(raw % bit) : raw;
  }
  if (register.signed) {
    const limit = 2 ** (register.size * 8);
    return raw >= limit / 2 ? raw - limit : raw;
  }
  return raw;
}

/** Number → raw register bytes; throws `bad_input` naming the register when it does not fit. */
export function encodeValue(register: Register, value: number, registerName: string): number {
  if (!Number.isInteger(value)) throw new SkillframeError('bad_input', `${registerName}: value ${value} is not an integer`);
  const limit = 2 ** (register.size * 8);
  if (register.signBit !== undefined) {
    const bit = 2 ** register.signBit;
    if (Math.abs(value) >= bit) throw new SkillframeError('bad_input', `${registerName}: value ${value} does not fit in ${register.signBit} bits plus sign`);
    return value < 0 ? bit + -value : value;
  }
  if (register.signed) {
    if (value < -limit / 2 || value >= limit / 2) throw new SkillframeError('bad_input', `${registerName}: value ${value} does not fit in a signed ${register.size * 8}-bit register`);
    return value < 0 ? value + limit : value;
  }
  if (value < 0 || value >= limit) throw new SkillframeError('bad_input', `${registerName}: value ${value} is outside 0..${limit - 1}`);
  return value;
}
