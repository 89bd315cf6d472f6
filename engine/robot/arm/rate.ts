import { SkillframeError } from '../../../core/index.ts';
import { sleep } from '../../../core/index.ts';

export interface RateReport {
  ticks: number;
  seconds: number;
  /** Ticks per second actually achieved. */
  achievedHz: number;
  targetHz: number;
  /** Ticks whose work ran past the start of the next tick (that tick is then skipped, not bunched). */
  deadlineMisses: number;
  meanTickMs: number;
  maxTickMs: number;
  /** Ticks lost to a bus that did not answer in time (the loop goes on; the watchdog guards the gap). */
  busErrors: number;
}

/**
 * Runs `step` at a fixed rate on an absolute schedule (no drift). A step that overruns its
 * period is a deadline miss; the schedule skips ahead instead of firing late ticks back to back,
 * so an arm never gets a burst of stale commands.
 */
export async function runAtFixedRate(options: {
  hz: number;
  seconds?: number;
  maxTicks?: number;
  signal?: AbortSignal;
  step: (tick: number, elapsedSeconds: number) => Promise<void | 'stop'>;
  /** Consecutive ticks lost to bus timeouts before the loop gives up (default 5). */
  maxConsecutiveBusErrors?: number;
}): Promise<RateReport> {
  if (!(options.hz > 0 && options.hz <= 1000)) throw new SkillframeError('bad_input', `rate ${options.hz} Hz is outside 0..1000`);
  const period = 1000 / options.hz;
  const start = performance.now();
  const endAt = options.seconds === undefined ? Infinity : start + options.seconds * 1000;
  let ticks = 0;
  let misses = 0;
  let total = 0;
  let worst = 0;
  let slot = 0;
  let busErrors = 0;
  let consecutive = 0;
  while (performance.now() < endAt && ticks < (options.maxTicks ?? Infinity)) {
    if (options.signal?.aborted) throw options.signal.reason ?? new SkillframeError('aborted', 'cancelled');
    const tickStart = performance.now();
    let verdict: void | 'stop' = undefined;
    try {
      verdict = await options.step(ticks, (tickStart - start) / 1000);
      consecutive = 0;
    } catch (error) {
      // One late reply on a loaded machine should not end a teleop session; a dead bus should.
      if (!(error instanceof SkillframeError && error.code === 'timeout') || options.signal?.aborted) throw error;
      busErrors += 1;
      consecutive += 1;
      if (consecutive > (options.maxConsecutiveBusErrors ?? 5)) throw error;
    }
    const took = performance.now() - tickStart;
    ticks += 1;
    total += took;
    worst = Math.max(worst, took);
    if (verdict === 'stop') break;
    slot += 1;
    const now = performance.now();
    if (now > start + slot * period) {
      misses += 1;
      slot = Math.ceil((now - start) / period);
    }
    await sleep(Math.max(0, start + slot * period - performance.now()), options.signal);
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    ticks,
    seconds: round(seconds),
    achievedHz: round(ticks / Math.max(seconds, 1e-6)),
    targetHz: options.hz,
    deadlineMisses: misses,
    meanTickMs: round(ticks ? total / ticks : 0),
    maxTickMs: round(worst),
    busErrors,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
