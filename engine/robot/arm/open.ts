import { basename } from 'node:path';
import { SkillframeError } from '../../../core/index.ts';
import { fakeSerialPair } from '../../../native/serial/fake.ts';
import { listSerialPorts, openSerialPort, type SerialLink } from '../../../native/serial/link.ts';
import { Arm, type SafetyOptions } from './arm.ts';
import { MotorBus } from '../../../native/motors/bus.ts';
import { type Calibration, calibrationPath, checkCalibration, readCalibration, simulatedCalibration } from './calibration.ts';
import { type ArmConfig, type ArmLayout, armLayout, jointById } from './config.ts';
import { attachSimulator } from '../../../native/motors/sim/responder.ts';
import { SimServoBus } from '../../../native/motors/sim/servos.ts';

const simulatedArms = new Map<string, SimServoBus>();

export interface OpenedBus {
  bus: MotorBus;
  layout: ArmLayout;
  armId: string;
  dispose(): Promise<void>;
}

export interface OpenBusOptions {
  timeoutMs?: number;
  retries?: number;
  /** Keep trying this long when the port is held by another process (the e-stop uses it). */
  waitForLockMs?: number;
}

/**
 * Opens the bus for an arm config. A `sim` arm lives in this process on an in-memory link; the
 * others open the serial port (a pty from the simulated-arm process looks the same).
 */
export async function openBus(config: ArmConfig, options: OpenBusOptions = {}): Promise<OpenedBus> {
  const layout = armLayout(config.model);
  const describeMotor = (id: number) => {
    const joint = jointById(layout, id);
    return joint ? `motor ${id} (${joint.name})` : `motor ${id}`;
  };
  let link: SerialLink;
  let stopSimulator = () => {};
  if (config.model === 'sim') {
    const [host, device] = fakeSerialPair('sim');
    // One simulated arm per id for the life of the process, so its pose persists across commands.
    const key = `${config.armId ?? 'sim'}:${config.seed}`;
    let servos = simulatedArms.get(key);
    if (!servos) {
      servos = new SimServoBus(layout.protocol, layout.joints.map((joint) => ({ id: joint.id, model: joint.motor })), config.seed);
      simulatedArms.set(key, servos);
    }
    servos.handGuided = config.handGuided;
    stopSimulator = attachSimulator(device, servos);
    link = host;
  } else {
    link = await openSerialPort({ path: config.port, baudRate: config.baudRate, waitForLockMs: options.waitForLockMs });
  }
  const bus = new MotorBus(link, layout.protocol, { timeoutMs: options.timeoutMs ?? (config.model === 'sim' ? 20 : 50), retries: options.retries ?? 3, describeMotor });
  return {
    bus,
    layout,
    armId: await armIdOf(config),
    dispose: async () => {
      await bus.dispose();
      stopSimulator();
    },
  };
}

/** The arm's identity for calibration: given, else the USB serial number, else model + port name. */
export async function armIdOf(config: ArmConfig): Promise<string> {
  if (config.armId) return config.armId;
  if (config.model === 'sim') return 'sim';
  const port = (await listSerialPorts()).find((candidate) => candidate.path === config.port);
  const serial = port?.serialNumber?.replace(/[^\w.-]/g, '');
  return serial ? `${config.model}-${serial}` : `${config.model}-${basename(config.port).replace(/[^\w.-]/g, '')}`;
}

/** Opens a calibrated arm; refuses when the arm has no calibration or it belongs to another arm. */
export async function openArm(config: ArmConfig, options: OpenBusOptions & { home: string; calibrationFile?: string; safety?: SafetyOptions }): Promise<Arm> {
  const opened = await openBus(config, options);
  try {
    const calibration = loadCalibration(opened.layout, opened.armId, options.home, options.calibrationFile, config.model === 'sim');
    const missing: string[] = [];
    for (const joint of opened.layout.joints) if (!(await opened.bus.ping(joint.id))) missing.push(`motor ${joint.id} (${joint.name})`);
    if (missing.length) throw new SkillframeError('not_found', `no answer from ${missing.join(', ')} on ${opened.bus.link.path}`, { motors: missing });
    return new Arm({ layout: opened.layout, calibration, bus: opened.bus, armId: opened.armId, safety: options.safety, dispose: async () => opened.dispose() });
  } catch (error) {
    await opened.dispose();
    throw error;
  }
}

export function loadCalibration(layout: ArmLayout, armId: string, home: string, file: string | undefined, simulated: boolean): Calibration {
  const path = file ?? calibrationPath(home, armId);
  const calibration = readCalibration(path);
  if (!calibration) {
    if (simulated && !file) return simulatedCalibration(layout, armId);
    throw new SkillframeError('refused', `arm ${armId} has no calibration at ${path}; run \`skillframe robot arm calibrate\` first`);
  }
  checkCalibration(calibration, layout, armId, path);
  return calibration;
}
