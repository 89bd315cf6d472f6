import type { TrajectoryEvent } from '../../../core/schemas/trajectory.ts';
import type { RedactionPattern } from './privacy.ts';
import type { ScriptStep } from './script.ts';

/** What both recorders take. */
export interface CommonRecordOptions {
  /** The trajectory folder to create (must be absent or empty). */
  out: string;
  /** Steps that stand in for the person; without them the recorder waits for `signal`. */
  script?: ScriptStep[];
  redactions: readonly RedactionPattern[];
  /** Stops a person-driven recording (Ctrl+C, `skillframe stop`, the UI's stop button). */
  signal: AbortSignal;
  env?: NodeJS.ProcessEnv;
  onEvent?: (event: TrajectoryEvent) => void;
  onLog?: (level: 'info' | 'warn', message: string) => void;
  /** Pause between scripted steps, so each settles into its own event (a person's pace). */
  stepGapMs?: number;
  /** Quiet time before an action's `after` frame; see RecordingSession. */
  settleMs?: number;
  /** Stop by itself after this long (0 = never). */
  maxDurationMs?: number;
}

export interface RecordResult {
  dir: string;
  kind: 'x11' | 'web';
  events: number;
  frames: number;
  durationMs: number;
  stoppedBy: 'script' | 'signal' | 'app_exit' | 'max_duration';
  video?: string;
  /** Problems that did not stop the recording (a frame that could not be taken, …). */
  warnings: string[];
}

export const recorderInfo = { name: 'skillframe-recorder', version: '1' };
