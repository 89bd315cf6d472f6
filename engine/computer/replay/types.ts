import type { z } from 'zod';
import type { GroundingTier as GroundingTierSchema, ReplayReport, ReplayStep } from '../../../core/commands/replay.ts';
import type { Surface } from './surface.ts';

/** The tier list lives once, in core. */
export type GroundingTier = z.infer<typeof GroundingTierSchema>;

/** Per-step result and the whole report: the contract's types (`skillframe replay --json`), not restated here. */
export type ReplayStepReport = z.infer<typeof ReplayStep>;
export type { ReplayReport };

export interface ReplayOptions {
  skillDirectory: string;
  /** Where to act: an existing surface (the caller owns it), or what to open. */
  surface?: Surface;
  url?: string;
  app?: string;
  attach?: boolean;
  dryRun?: boolean;
  confirm?: 'ask' | 'auto' | 'never';
  params?: Record<string, string>;
  /** Minimum grounding confidence to act (default from settings, 0.8). */
  threshold?: number;
  /** The vision-language model for the last rung (only asked when every other rung failed). */
  model?: import('../../../perception/models/vlm.ts').VlmProvider;
  /** Tiers to skip (benchmarks and `library verify` use it to probe the ladder). */
  disabledTiers?: GroundingTier[];
  signal?: AbortSignal;
  /** Highest permission tier that runs without asking (from settings). */
  autoApproveTier?: 'read' | 'input' | 'system' | 'robot';
  /** Where evidence of an aborted step (screenshots, what was expected) is written. */
  evidenceDirectory?: string;
  /** Show the browser window (web replays) instead of running headless. */
  headed?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Called before each step is grounded and after it ends, for live views. */
  onStep?: (step: ReplayStepReport, frame?: import('../../../native/image.ts').RgbaImage) => void;
  askConfirmation?: (question: string, details: unknown) => Promise<boolean>;
  /**
   * What exploration learnt about the app (its action-primitive database): controls that crashed,
   * froze, left the app or kept failing. A step on one is confirmed first, like a destructive step.
   */
  boundariesFor?: (app: { name: string; url?: string }) => Promise<import('../../../core/commands/explore.ts').KnownBoundary[]>;
}
