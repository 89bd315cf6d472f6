import { SkillframeError, sleep } from '../../../core/index.ts';
import { minControlHz } from '../../../core/commands/arm.ts';
import type { MotorBus } from '../../../native/motors/bus.ts';
import { type Calibration, limitsOf, toJoint, toRaw } from './calibration.ts';
import type { ArmLayout, JointSpec } from './config.ts';

export type JointValues = Record<string, number>;

export interface SafetyOptions {
  /** Largest change of a body joint per command, in degrees (smooth, not jerky). */
  maxStepDegrees?: number;
  /** Largest change of the gripper per command, in percent. */
  maxStepPercent?: number;
  /** Torque goes off when no command arrives for this long while streaming (the floor; a control loop raises it to three of its periods). */
  watchdogMs?: number;
}

export interface SendResult {
  /** What actually went to the motors, in joint units. */
  sent: JointValues;
  /** Joints whose target was outside the limits and was clamped to them. */
  clamped: string[];
  /** Joints whose step was shortened to the per-command maximum. */
  stepLimited: string[];
}

export interface ArmState {
  positions: JointValues;
  raw: Record<string, number>;
}

export type ArmEventListener = (event: { kind: 'torque-off'; reason: 'watchdog' | 'estop'; failed: number[] }) => void;

/**
 * One arm with its safety on every path. Commands are in joint units; `send` clamps to the
 * calibrated limits, shortens steps to the per-command maximum, arms a watchdog that switches
 * torque off when commands stop, and returns what it actually sent. The e-stop wins: it drops
 * queued bus traffic, switches torque off, and refuses every command until released.
 */
export class Arm {
  readonly layout: ArmLayout;
  readonly calibration: Calibration;
  readonly bus: MotorBus;
  readonly armId: string;
  private readonly maxStepDegrees: number;
  private readonly maxStepPercent: number;
  private readonly watchdogFloorMs: number;
  /** The current watchdog timeout: the configured floor, or three control periods of the running loop if longer. */
  watchdogMs: number;
  private lastGoal: JointValues | undefined;
  private torqueOn = false;
  private watchdog: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly listeners = new Set<ArmEventListener>();
  watchdogTrips = 0;
  private readonly disposeLink: () => Promise<void>;

  constructor(options: { layout: ArmLayout; calibration: Calibration; bus: MotorBus; armId: string; safety?: SafetyOptions; dispose?: () => Promise<void> }) {
    this.layout = options.layout;
    this.calibration = options.calibration;
    this.bus = options.bus;
    this.armId = options.armId;
    this.maxStepDegrees = options.safety?.maxStepDegrees ?? 10;
    this.maxStepPercent = options.safety?.maxStepPercent ?? 15;
    this.watchdogFloorMs = options.safety?.watchdogMs ?? 100;
    this.watchdogMs = this.watchdogFloorMs;
    this.disposeLink = options.dispose ?? (() => Promise.resolve());
  }

  /**
   * Prepares the safety path for a control loop at `hz`: refuses rates under the minimum, and sets
   * the watchdog to at least three control periods (observed: a fixed 100 ms tripped every tick of
   * a 2 Hz loop, so a real arm would sag between commands).
   */
  controlAt(hz: number): void {
    if (!Number.isFinite(hz) || hz < minControlHz) throw new SkillframeError('bad_input', `control rate ${hz} Hz is below the minimum of ${minControlHz} Hz (the watchdog would keep the arm powered too long without a command)`);
    this.watchdogMs = Math.max(this.watchdogFloorMs, Math.ceil((3 * 1000) / hz));
  }

  get jointNames(): string[] {
    return this.layout.joints.map((joint) => joint.name);
  }

  get ids(): number[] {
    return this.layout.joints.map((joint) => joint.id);
  }

  get estopped(): boolean {
    return this.stopped;
  }

  onEvent(listener: ArmEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  limits(): Record<string, { min: number; max: number }> {
    return Object.fromEntries(this.layout.joints.map((joint) => [joint.name, limitsOf(joint, this.entry(joint))]));
  }

  private entry(joint: JointSpec) {
    return this.calibration.joints[joint.name];
  }

  private register(name: 'Goal_Position' | 'Present_Position' | 'Torque_Enable') {
    return this.layout.joints[0].motor.registers[name];
  }

  async readState(): Promise<ArmState> {
    const raw = await this.bus.syncRead(this.ids, this.register('Present_Position'));
    const positions: JointValues = {};
    const rawByName: Record<string, number> = {};
    for (const joint of this.layout.joints) {
      const value = raw.get(joint.id)!;
      rawByName[joint.name] = value;
      positions[joint.name] = round(toJoint(joint, this.entry(joint), value));
    }
    return { positions, raw: rawByName };
  }

  /** Switches torque on without a jump: each goal is first set to where the motor is. */
  private async enableTorque(): Promise<JointValues> {
    const state = await this.readState();
    await this.bus.syncWrite(new Map(this.layout.joints.map((joint) => [joint.id, state.raw[joint.name]])), this.register('Goal_Position'), 'Goal_Position');
    // An e-stop that landed while we waited has already switched torque off; never switch it back on.
    this.refuseIfStopped();
    await this.bus.syncWrite(new Map(this.ids.map((id) => [id, 1])), this.register('Torque_Enable'), 'Torque_Enable');
    // SYNC_WRITE has no reply: read back so a lost packet cannot leave one joint limp unnoticed.
    const check = await this.bus.syncRead(this.ids, this.register('Torque_Enable'));
    const limp = this.layout.joints.filter((joint) => check.get(joint.id) !== 1).map((joint) => `${joint.name} (motor ${joint.id})`);
    if (limp.length) throw new SkillframeError('unavailable', `torque did not switch on for ${limp.join(', ')}`);
    this.torqueOn = true;
    this.lastGoal = state.positions;
    return state.positions;
  }

  /** Validates a target: known joints, finite numbers, inside limits (or clamped to them). */
  private resolveTarget(target: JointValues, clamp: boolean): { goal: JointValues; clamped: string[] } {
    const goal: JointValues = {};
    const clamped: string[] = [];
    const limits = this.limits();
    for (const [name, value] of Object.entries(target)) {
      const joint = this.layout.joints.find((candidate) => candidate.name === name);
      if (!joint) throw new SkillframeError('bad_input', `joint ${JSON.stringify(name)} is not on this ${this.layout.model} arm; joints: ${this.jointNames.join(', ')}`);
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new SkillframeError('bad_input', `joint ${name} (motor ${joint.id}): target ${String(value)} is not a finite number`);
      const { min, max } = limits[name];
      if (value < min || value > max) {
        if (!clamp) {
          throw new SkillframeError('unsafe', `joint ${name} (motor ${joint.id}): target ${round(value)} is outside its limits ${round(min)}..${round(max)}; nothing was sent`, {
            joint: name,
            motor: joint.id,
            value,
            min,
            max,
          });
        }
        clamped.push(name);
      }
      goal[name] = Math.min(max, Math.max(min, value));
    }
    return { goal, clamped };
  }

  /**
   * One command toward `target` (joint units). Clamps to limits (or refuses with `unsafe` when
   * `clamp` is false), shortens each step to the maximum, writes Goal_Position to every named
   * joint in one SYNC_WRITE, and re-arms the watchdog. Returns what it actually sent.
   */
  async send(target: JointValues, options: { clamp?: boolean } = {}): Promise<SendResult> {
    this.refuseIfStopped();
    const { goal, clamped } = this.resolveTarget(target, options.clamp ?? true);
    if (!this.torqueOn || !this.lastGoal) await this.enableTorque();
    this.refuseIfStopped();
    const previous = this.lastGoal!;
    const sent: JointValues = {};
    const stepLimited: string[] = [];
    const raw = new Map<number, number>();
    for (const [name, value] of Object.entries(goal)) {
      const joint = this.layout.joints.find((candidate) => candidate.name === name)!;
      const maxStep = joint.unit === 'percent' ? this.maxStepPercent : this.maxStepDegrees;
      const from = previous[name];
      let next = value;
      if (Math.abs(value - from) > maxStep) {
        next = from + Math.sign(value - from) * maxStep;
        stepLimited.push(name);
      }
      sent[name] = round(next);
      raw.set(joint.id, toRaw(joint, this.entry(joint), next));
    }
    await this.bus.syncWrite(raw, this.register('Goal_Position'), 'Goal_Position');
    // The e-stop may have fired while this write waited; it already switched torque off after it.
    this.refuseIfStopped();
    this.lastGoal = { ...previous, ...sent };
    this.armWatchdog();
    return { sent, clamped, stepLimited };
  }

  /** Smooth move to a target: repeated `send` at `hz` until every joint is within tolerance. */
  async moveTo(
    target: JointValues,
    options: { signal?: AbortSignal; hz?: number; clamp?: boolean; tolerance?: number; timeoutMs?: number; onStep?: (result: SendResult, state: ArmState) => void } = {},
  ): Promise<{ final: ArmState; steps: number; clamped: string[] }> {
    const { goal, clamped } = this.resolveTarget(target, options.clamp ?? false);
    this.controlAt(options.hz ?? 50);
    const period = 1000 / (options.hz ?? 50);
    const tolerance = options.tolerance ?? 1.5;
    const deadline = Date.now() + (options.timeoutMs ?? 20_000);
    let steps = 0;
    try {
      for (;;) {
        if (options.signal?.aborted) throw options.signal.reason ?? new SkillframeError('aborted', 'move cancelled');
        const started = performance.now();
        const result = await this.send(goal, { clamp: true });
        steps += 1;
        const state = await this.readState();
        options.onStep?.(result, state);
        const reached = Object.entries(goal).every(([name, value]) => Math.abs(state.positions[name] - value) <= tolerance);
        if (reached) return { final: state, steps, clamped };
        if (Date.now() > deadline) {
          const far = Object.entries(goal)
            .filter(([name, value]) => Math.abs(state.positions[name] - value) > tolerance)
            .map(([name, value]) => `${name} at ${state.positions[name]} (target ${round(value)})`);
          throw new SkillframeError('timeout', `move did not arrive in time: ${far.join(', ')}`);
        }
        await sleep(Math.max(0, period - (performance.now() - started)));
      }
    } finally {
      if (!this.stopped) await this.hold().catch(() => undefined);
    }
  }

  /** Stops streaming and keeps the arm where it is (torque stays on, the watchdog is off). */
  async hold(): Promise<void> {
    this.disarmWatchdog();
    if (!this.torqueOn || this.stopped) return;
    const state = await this.readState();
    await this.bus.syncWrite(new Map(this.layout.joints.map((joint) => [joint.id, state.raw[joint.name]])), this.register('Goal_Position'), 'Goal_Position');
    this.lastGoal = state.positions;
  }

  /** Torque off for every motor (the arm goes limp); the person holds it. */
  async release(): Promise<{ failed: number[] }> {
    this.disarmWatchdog();
    const result = await this.bus.urgentWrite(this.ids, this.register('Torque_Enable'), 0, 'torque released');
    this.torqueOn = false;
    this.lastGoal = undefined;
    return { failed: result.failed };
  }

  /** The e-stop: wins over everything in flight or queued, and latches until `releaseEstop`. */
  async estop(): Promise<{ failed: number[] }> {
    this.stopped = true;
    this.disarmWatchdog();
    const result = await this.bus.urgentWrite(this.ids, this.register('Torque_Enable'), 0, 'e-stop');
    this.torqueOn = false;
    this.lastGoal = undefined;
    for (const listener of this.listeners) listener({ kind: 'torque-off', reason: 'estop', failed: result.failed });
    return { failed: result.failed };
  }

  releaseEstop(): void {
    this.stopped = false;
  }

  private refuseIfStopped() {
    if (this.stopped) throw new SkillframeError('unsafe', `e-stop is engaged on arm ${this.armId}; release it before commanding the arm`);
  }

  private armWatchdog() {
    this.disarmWatchdog();
    this.watchdog = setTimeout(() => void this.tripWatchdog(), this.watchdogMs);
  }

  private disarmWatchdog() {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private async tripWatchdog() {
    this.watchdog = undefined;
    this.watchdogTrips += 1;
    this.torqueOn = false;
    this.lastGoal = undefined;
    const result = await this.bus.urgentWrite(this.ids, this.register('Torque_Enable'), 0, 'watchdog').catch(() => ({ failed: this.ids }));
    for (const listener of this.listeners) listener({ kind: 'torque-off', reason: 'watchdog', failed: result.failed });
  }

  /** Closes the bus. A streaming arm is held first, so closing never leaves it chasing a goal. */
  async dispose(): Promise<void> {
    if (this.watchdog && !this.stopped) await this.hold().catch(() => undefined);
    this.disarmWatchdog();
    this.listeners.clear();
    await this.bus.dispose();
    await this.disposeLink();
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

