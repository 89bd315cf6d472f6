import { GroundingTier as GroundingTiers } from '../../../core/commands/replay.ts';
import type { PlanStep } from '../../../core/schemas/skill.ts';
import type { RgbaImage } from '../../../native/image.ts';
import { decodeImage } from '../../../native/image.ts';
import { a11yRung } from './rungs/a11y.ts';
import { anchorRung } from './rungs/anchor.ts';
import { domRung, unconfirmedAt } from './rungs/dom.ts';
import { ocrRung } from './rungs/ocr.ts';
import type { Attempt, Deferral, Grounding, GroundingInput, Rung } from './rungs/rung.ts';
import { templateRung } from './rungs/template.ts';
import { vlmRung } from './rungs/vlm.ts';
import { windowRung } from './rungs/window.ts';
import type { GroundingTier } from './types.ts';

export type { Attempt, Deferral, Grounding, GroundingInput, GroundingMemory, Refusal, Rung } from './rungs/rung.ts';

/** Every tier has its rung (the compiler finds a tier added in core without one). */
export const rungs: Record<GroundingTier, Rung> = {
  dom: domRung,
  a11y: a11yRung,
  window: windowRung,
  template: templateRung,
  ocr: ocrRung,
  anchor: anchorRung,
  vlm: vlmRung,
};

/** The ladder of a surface: the tiers in core's order, those whose rung works there. */
export function ladderFor(kind: 'web' | 'x11'): GroundingTier[] {
  return GroundingTiers.options.filter((tier) => rungs[tier].surfaces.includes(kind));
}

/**
 * The grounding ladder (docs/ARCHITECTURE.md, "The grounding ladder"): DOM (web) or accessibility + window point (X11) → template
 * → OCR → relative anchors → VLM, stopping at the first tier confident enough. A tier that finds
 * several equally good places and cannot tell them apart reports low confidence rather than
 * guessing: replay never clicks when unsure, so an ambiguous target ends the replay as `unsafe`
 * instead of hitting the wrong thing.
 */
export async function groundStep(input: Omit<GroundingInput, 'frame'> & { frame: RgbaImage | (() => Promise<RgbaImage>) }): Promise<{ found?: Grounding; best?: Grounding; attempts: Attempt[]; refused?: true }> {
  const attempts: Attempt[] = [];
  let best: Grounding | undefined;
  // The frame is taken only when a rung that reads pixels is reached.
  let frame = typeof input.frame === 'function' ? undefined : input.frame;
  const capture = input.frame;
  // The ladder in order; a rung that puts searches off is resumed after the others, only if none
  // of them was confident.
  const queue: { tier: GroundingTier; resume?: Deferral['resume'] }[] = ladderFor(input.surface.kind).map((tier) => ({ tier }));
  for (let next = queue.shift(); next; next = queue.shift()) {
    const { tier, resume } = next;
    input.signal?.throwIfAborted();
    if (input.disabled.has(tier)) continue;
    const rung = rungs[tier];
    if (rung.readsPixels !== false && !frame && typeof capture === 'function') frame = await capture();
    let result: Awaited<ReturnType<Rung['ground']>>;
    try {
      result = resume ? await resume() : await rung.ground({ ...input, frame: frame ?? noFrame });
    } catch (error) {
      if (input.signal?.aborted) throw error;
      result = `failed: ${(error as Error).message}`;
    }
    if (result && typeof result === 'object' && 'refused' in result) {
      attempts.push({ tier, reason: result.refused });
      return { best, attempts, refused: true };
    }
    if (result && typeof result === 'object' && 'deferred' in result) {
      attempts.push({ tier, ...(result.best ? { confidence: round(result.best.confidence) } : {}), reason: result.deferred });
      if (result.best && (!best || result.best.confidence > best.confidence)) best = result.best;
      queue.push({ tier, resume: result.resume });
      continue;
    }
    if (result === undefined || typeof result === 'string') {
      attempts.push({ tier, reason: result ?? 'no candidate' });
      continue;
    }
    // On the web a place found by looks must be an element the recording describes (see unconfirmedAt).
    const locator = input.step.target.locator;
    const page = input.surface.page;
    const doubt = tier !== 'dom' && page && locator && result.confidence >= input.threshold ? await unconfirmedAt(page, locator, result.point, tier === 'template' || tier === 'ocr') : undefined;
    if (doubt) {
      attempts.push({ tier, confidence: round(result.confidence), reason: `${result.evidence}, but ${doubt}` });
      continue;
    }
    attempts.push({ tier, confidence: round(result.confidence), reason: result.evidence });
    if (!best || result.confidence > best.confidence) best = result;
    if (result.confidence >= input.threshold) return { found: result, best, attempts };
  }
  return { best, attempts };
}

/** What a rung that never reads pixels is handed before any capture: nothing to read. */
const noFrame: RgbaImage = { data: new Uint8Array(0), width: 0, height: 0 };

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Loads a template from the package once and keeps it (decoded) for the whole replay. */
export function templateLoader(images: Map<string, Buffer>): (file: string) => Promise<RgbaImage | undefined> {
  const cache = new Map<string, Promise<RgbaImage | undefined>>();
  return (file) => {
    let pending = cache.get(file);
    if (!pending) {
      const data = images.get(file);
      pending = data ? decodeImage(data).catch(() => undefined) : Promise.resolve(undefined);
      cache.set(file, pending);
    }
    return pending;
  };
}


/**
 * Starts decoding every step's recorded crops (the drop target's too), in plan order, without
 * waiting: grounding work that does not depend on the live frame, done while the replay looks the
 * window up and the earlier steps act and settle, so no step waits for its crop's decode.
 */
export function prefetchTemplates(steps: readonly PlanStep[], load: (file: string) => Promise<RgbaImage | undefined>): void {
  for (const step of steps) {
    const targets = 'to' in step ? [step.target, step.to] : 'target' in step ? [step.target] : [];
    for (const target of targets) if (target?.template) void load(target.template.file).catch(() => undefined);
  }
}
