import type { Arm, ArmState, JointValues, SendResult } from './arm.ts';
import { type RateReport, runAtFixedRate } from './rate.ts';

export interface TeleopTick {
  tick: number;
  /** Seconds since the start. */
  time: number;
  /** The leader's joints: the action the follower is asked to take. */
  action: JointValues;
  /** What the follower actually got after clamps and step limits. */
  sent: SendResult;
  /** The follower's measured joints just before the command (the observation; empty when not observing). */
  observation: JointValues;
}

export interface TeleopReport extends RateReport {
  clampedTicks: number;
  stepLimitedTicks: number;
  /** Mean time from reading the leader to the follower's command being on the wire. */
  meanRoundTripMs: number;
}

/**
 * Leader → follower: the leader goes limp (a person moves it), each tick reads its joints and
 * sends them to the follower through the follower's safety path. Ends by holding the follower.
 */
export async function runTeleop(
  leader: Arm,
  follower: Arm,
  options: {
    hz?: number;
    seconds?: number;
    maxTicks?: number;
    signal?: AbortSignal;
    /** Read the follower each tick for the observation (recording needs it; plain teleop does not). */
    observe?: boolean;
    onTick?: (tick: TeleopTick) => void | Promise<void>;
  },
): Promise<TeleopReport> {
  follower.controlAt(options.hz ?? 60);
  await leader.release();
  let clampedTicks = 0;
  let stepLimitedTicks = 0;
  let roundTrip = 0;
  try {
    const report = await runAtFixedRate({
      hz: options.hz ?? 60,
      seconds: options.seconds,
      maxTicks: options.maxTicks,
      signal: options.signal,
      step: async (tick, time) => {
        const started = performance.now();
        const [lead, current]: [ArmState, ArmState | undefined] = await Promise.all([leader.readState(), options.observe === false ? undefined : follower.readState()]);
        const action = lead.positions;
        const sent = await follower.send(action, { clamp: true });
        roundTrip += performance.now() - started;
        if (sent.clamped.length) clampedTicks += 1;
        if (sent.stepLimited.length) stepLimitedTicks += 1;
        await options.onTick?.({ tick, time, action, sent, observation: current?.positions ?? {} });
      },
    });
    return { ...report, clampedTicks, stepLimitedTicks, meanRoundTripMs: Math.round((roundTrip / Math.max(1, report.ticks)) * 100) / 100 };
  } finally {
    if (!follower.estopped) await follower.hold().catch(() => undefined);
  }
}
