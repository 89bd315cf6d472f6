import { SkillframeError } from '../../../core/index.ts';
import type { Arm, JointValues, SendResult } from './arm.ts';
import { type RateReport, runAtFixedRate } from './rate.ts';

/**
 * What the control loop needs from a policy: an action chunk (joint targets) for an
 * observation. The arm room owns this small interface; adapters plug real runtimes into it.
 */
export interface ArmPolicy {
  readonly name: string;
  /** Actions of each chunk to execute before asking again (≤ chunk length). */
  readonly execute: number;
  nextChunk(observation: { positions: JointValues; time: number }, signal?: AbortSignal): Promise<JointValues[]>;
  /** Called with where the arm actually is after each executed action. */
  observe?(positions: JointValues): void;
  dispose?(): Promise<void>;
}

export interface ControlTick {
  tick: number;
  time: number;
  observation: JointValues;
  action: JointValues;
  sent: SendResult;
}

export interface ControlReport extends RateReport {
  policy: string;
  chunks: number;
  clampedTicks: number;
  stepLimitedTicks: number;
  /** Slowest policy inference, which is what usually causes deadline misses. */
  maxInferenceMs: number;
}

/**
 * Runs a policy against an arm at a fixed rate; every action goes through `arm.send`, so joint
 * limits, step limits, the watchdog and the e-stop apply exactly as for teleop. Holds at the end.
 */
export async function runPolicyLoop(
  arm: Arm,
  policy: ArmPolicy,
  options: { hz?: number; seconds?: number; maxTicks?: number; signal?: AbortSignal; onTick?: (tick: ControlTick) => void | Promise<void> },
): Promise<ControlReport> {
  let queue: JointValues[] = [];
  let chunks = 0;
  let clampedTicks = 0;
  let stepLimitedTicks = 0;
  let maxInferenceMs = 0;
  arm.controlAt(options.hz ?? 30);
  try {
    const report = await runAtFixedRate({
      hz: options.hz ?? 30,
      seconds: options.seconds,
      maxTicks: options.maxTicks,
      signal: options.signal,
      step: async (tick, time) => {
        const state = await arm.readState();
        policy.observe?.(state.positions);
        if (queue.length === 0) {
          const started = performance.now();
          const chunk = await policy.nextChunk({ positions: state.positions, time }, options.signal);
          maxInferenceMs = Math.max(maxInferenceMs, performance.now() - started);
          if (chunk.length === 0) throw new SkillframeError('internal', `policy ${policy.name} returned an empty chunk`);
          queue = chunk.slice(0, Math.max(1, Math.min(policy.execute, chunk.length)));
          chunks += 1;
        }
        const action = queue.shift()!;
        const sent = await arm.send(action, { clamp: true });
        if (sent.clamped.length) clampedTicks += 1;
        if (sent.stepLimited.length) stepLimitedTicks += 1;
        await options.onTick?.({ tick, time, observation: state.positions, action, sent });
      },
    });
    return { ...report, policy: policy.name, chunks, clampedTicks, stepLimitedTicks, maxInferenceMs: Math.round(maxInferenceMs * 100) / 100 };
  } finally {
    if (!arm.estopped) await arm.hold().catch(() => undefined);
  }
}

/** Holds the pose it first saw (a policy that does nothing, for checking the loop itself). */
export function holdPolicy(): ArmPolicy {
  let pose: JointValues | undefined;
  return {
    name: 'hold',
    execute: 10,
    nextChunk: async ({ positions }) => {
      pose ??= { ...positions };
      return Array.from({ length: 10 }, () => ({ ...pose! }));
    },
  };
}

/** A deterministic wave on every body joint around the start pose: a known, repeatable motion. */
export function sinePolicy(options: { amplitude?: number; periodSeconds?: number; hz?: number } = {}): ArmPolicy {
  const amplitude = options.amplitude ?? 15;
  const period = options.periodSeconds ?? 2;
  const dt = 1 / (options.hz ?? 30);
  let origin: JointValues | undefined;
  return {
    name: 'sine',
    execute: 8,
    nextChunk: async ({ positions, time }) => {
      origin ??= { ...positions };
      const chunk: JointValues[] = [];
      for (let index = 0; index < 16; index += 1) {
        const phase = (2 * Math.PI * (time + index * dt)) / period;
        const action: JointValues = {};
        for (const [name, value] of Object.entries(origin)) action[name] = name === 'gripper' ? value : value + amplitude * Math.sin(phase);
        chunk.push(action);
      }
      return chunk;
    },
  };
}
