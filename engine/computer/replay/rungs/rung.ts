import { rectContains } from '../../../../core/geometry.ts';
import type { PlanFile, PlanStep, TargetDescriptor } from '../../../../core/schemas/skill.ts';
import type { Box, RgbaImage } from '../../../../native/image.ts';
import type { OcrLine } from '../../../../perception/ocr.ts';
import type { Point, Surface } from '../surface.ts';
import type { GroundingTier } from '../types.ts';
import type { AccessibleNode } from '../../../../native/a11y/index.ts';

/** A place to act, and how sure the ladder is that it is the recorded target. */
export interface Grounding {
  tier: GroundingTier;
  point: Point;
  box: Box;
  confidence: number;
  evidence: string;
  /** The live accessible acted on (the `a11y` rung), for verification by accessibility state. */
  accessible?: AccessibleNode;
}

export interface Attempt {
  tier: GroundingTier;
  confidence?: number;
  reason: string;
}

export type TargetStep = Extract<PlanStep, { target: TargetDescriptor }>;

/** Everything one step's grounding may look at; expensive things are computed once, lazily. */
export interface GroundingInput {
  surface: Surface;
  plan: PlanFile;
  step: TargetStep;
  frame: RgbaImage;
  /** Where to look (the app window on X11; the viewport on the web). */
  region: Box;
  /** The recorded point mapped into the live frame (through the moved/resized window on X11). */
  expected: Point;
  /**
   * Whether `expected` may break ties between look-alike candidates: true on X11, where it is
   * mapped through the window; false on the web, where a banner or a reordered list moves targets
   * by more than the distance between look-alikes (rows of "Archive" buttons).
   */
  positionTrusted: boolean;
  /** Live/recorded size ratio of the region (1 on the web unless the viewport changed). */
  scale: { x: number; y: number };
  readLines: () => Promise<OcrLine[]>;
  templateImage: (file: string) => Promise<RgbaImage | undefined>;
  /** Asks the vision-language model (only when the other tiers fail and one is configured). */
  askModel?: (step: TargetStep, frame: RgbaImage) => Promise<Grounding | undefined>;
  threshold: number;
  disabled: ReadonlySet<GroundingTier>;
  signal?: AbortSignal;
  /** What this replay has learnt about its window so far (X11): lets a rung put off a search that keeps finding nothing there. */
  memory?: GroundingMemory;
}

/**
 * What one replay learns about its window while it grounds its steps, per search and window
 * geometry: how often the search found its target there with confidence, and how often not. Drift
 * applies to the whole window — a theme that inverted its shades, a resize that stretched every
 * control — so a search that has missed more often than it found in this window most likely
 * misses on the next step too. A moved or resized window starts a new record.
 */
export interface GroundingMemory {
  searches: Map<string, { found: number; missed: number }>;
}

/**
 * A rung that put off searches this window predicts will fail (see GroundingMemory): the ladder
 * goes on to the next rungs, and comes back to `resume` (the put-off searches) only if none of
 * them is confident. `best`: what the searches it did run found.
 */
export interface Deferral {
  deferred: string;
  best?: Grounding;
  resume: () => Promise<Grounding | string>;
}

/**
 * One rung of the ladder. A rung answers a place to act with its confidence, or a sentence saying
 * why it has nothing (that sentence is the evidence of an aborted step).
 */
export interface Rung {
  /** The surfaces this rung can work on. */
  readonly surfaces: readonly Surface['kind'][];
  /**
   * False for a rung that reads the page or the accessibility tree, never the frame: replay runs
   * it before any screenshot is taken, so a step grounded there costs no capture at all.
   */
  readonly readsPixels?: boolean;
  ground(input: GroundingInput): Promise<Grounding | Refusal | Deferral | string | undefined>;
}

/**
 * A rung that knows the target is not on screen (the accessibility tree has it, hidden) stops the
 * ladder: whatever a later rung would find by looks is something else.
 */
export interface Refusal {
  refused: string;
}

// Helpers several rungs share.

export function center(box: Box): Point {
  return { x: box[0] + box[2] / 2, y: box[1] + box[3] / 2 };
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/**
 * Picks one candidate among several: the single one, or the one clearly closest to where the
 * recorded target should be now. `undefined` when they cannot be told apart.
 */
export function disambiguate<T extends { point: Point }>(candidates: T[], expected: Point, trusted: boolean, margin = 0.5): { pick?: T; ambiguous: boolean } {
  if (candidates.length === 0) return { ambiguous: false };
  if (candidates.length === 1) return { pick: candidates[0], ambiguous: false };
  if (!trusted) return { ambiguous: true };
  const sorted = [...candidates].sort((a, b) => distance(a.point, expected) - distance(b.point, expected));
  const first = distance(sorted[0].point, expected);
  const second = distance(sorted[1].point, expected);
  return first < second * margin ? { pick: sorted[0], ambiguous: true } : { ambiguous: true };
}

/**
 * On X11 the window says where the target should be (mapped through its move and resize). A rung
 * that lands far from there — a neighbouring button that correlates, a look-alike label — is not
 * enough on its own to act.
 */
export function farFromWindowPosition(input: GroundingInput, point: Point): boolean {
  return input.positionTrusted && distance(point, input.expected) > Math.max(40, 0.2 * Math.hypot(input.region[2], input.region[3]));
}

/** Standard deviation of luma inside a box: how much contrast a patch has. */
export function lumaSpread(image: RgbaImage, box: Box): number {
  const [x0, y0, width, height] = box;
  let sum = 0;
  let squares = 0;
  let count = 0;
  for (let y = Math.max(0, y0); y < Math.min(image.height, y0 + height); y += 1) {
    for (let x = Math.max(0, x0); x < Math.min(image.width, x0 + width); x += 1) {
      const at = (y * image.width + x) * 4;
      const luma = 0.299 * image.data[at] + 0.587 * image.data[at + 1] + 0.114 * image.data[at + 2];
      sum += luma;
      squares += luma * luma;
      count += 1;
    }
  }
  if (count === 0) return 0;
  const mean = sum / count;
  return Math.sqrt(Math.max(0, squares / count - mean * mean));
}

export function meanColour(image: RgbaImage, box: Box): [number, number, number] {
  const total = [0, 0, 0];
  let count = 0;
  for (let y = Math.max(0, box[1]); y < Math.min(image.height, box[1] + box[3]); y += 1) {
    for (let x = Math.max(0, box[0]); x < Math.min(image.width, box[0] + box[2]); x += 1) {
      const at = (y * image.width + x) * 4;
      total[0] += image.data[at];
      total[1] += image.data[at + 1];
      total[2] += image.data[at + 2];
      count += 1;
    }
  }
  return count ? [total[0] / count, total[1] / count, total[2] / count] : [0, 0, 0];
}

export function colourDistance(a: [number, number, number], b: [number, number, number]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/**
 * Whether a target's point was recorded inside the window the recording names for it, give or
 * take the window manager's frame (64 px): the recorder names the window active at the press, which
 * is not always the one under the pointer.
 */
export function recordedInItsWindow(target: Pick<GroundingInput['step']['target'], 'point' | 'window'>): boolean {
  const box = target.window?.geometry;
  return box !== undefined && target.point !== undefined && rectContains({ x: box.x - 64, y: box.y - 64, width: box.width + 128, height: box.height + 128 }, target.point);
}
