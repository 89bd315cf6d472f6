import type { Box } from '../../../../native/image.ts';
import type { Point } from '../surface.ts';
import { findLabelInLine } from '../text-match.ts';
import { center, distance, farFromWindowPosition, lumaSpread, recordedInItsWindow, type Grounding, type GroundingInput, type Rung } from './rung.ts';

async function ground(input: GroundingInput): Promise<Grounding | string> {
  const anchors = input.step.target.anchors;
  if (!anchors.length) return 'the step has no anchors';
  // A target recorded outside the window the recording names (fluid: a Widget Bin button, the main
  // window active at the press) may sit in another window than its anchors, one that does not move
  // or scale with theirs: at 0.8x the offsets from the main window's menu bar, scaled, put the click
  // on the bin's next button.
  if (input.step.target.window && !recordedInItsWindow(input.step.target)) return 'the target was recorded outside its window: anchors elsewhere do not place it';
  const lines = await input.readLines();
  const predictions: Point[] = [];
  for (const anchor of anchors) {
    const hits = lines
      .map((line) => ({ line, hit: findLabelInLine(anchor.text, line.text, line.box, line.words) }))
      .filter((entry) => entry.hit && entry.hit.score >= 0.85);
    if (hits.length !== 1) continue; // an anchor must be unique to anchor anything
    const found = center(hits[0].hit!.box);
    predictions.push({ x: found.x + anchor.offset.dx * input.scale.x, y: found.y + anchor.offset.dy * input.scale.y });
  }
  if (!predictions.length) return 'no anchor read uniquely';
  const mean = { x: predictions.reduce((sum, p) => sum + p.x, 0) / predictions.length, y: predictions.reduce((sum, p) => sum + p.y, 0) / predictions.length };
  const spread = Math.max(...predictions.map((p) => distance(p, mean)));
  const tolerance = Math.max(10, 0.01 * input.frame.width);
  if (spread > tolerance) return `anchors disagree by ${Math.round(spread)} px`;
  // Anchors say where the target should be, not that it is drawn there: a key an app draws late, a
  // button a layout has not shown yet. Where the recorded crop has contrast, the live patch it would
  // cover must have some too; a flat patch there is background, and a click on it is a guess.
  const template = input.step.target.template;
  const needle = template ? await input.templateImage(template.file) : undefined;
  if (template && needle) {
    const needleSpread = lumaSpread(needle, [0, 0, needle.width, needle.height]);
    const patch: Box = [
      Math.round(mean.x - template.point_in_crop.x * input.scale.x),
      Math.round(mean.y - template.point_in_crop.y * input.scale.y),
      Math.max(1, Math.round(needle.width * input.scale.x)),
      Math.max(1, Math.round(needle.height * input.scale.y)),
    ];
    const liveSpread = lumaSpread(input.frame, patch);
    if (needleSpread >= minimumStructure && liveSpread < drawnFraction * needleSpread) {
      return `the anchors point at (${Math.round(mean.x)}, ${Math.round(mean.y)}), but nothing like the target is drawn there (contrast ${liveSpread.toFixed(1)} against ${needleSpread.toFixed(1)} recorded)`;
    }
  }
  // One anchor alone is a guess; agreeing anchors are evidence.
  const confidence = (predictions.length >= 2 ? 0.9 : 0.7) * (farFromWindowPosition(input, mean) ? 0.75 : 1);
  const box: Box = [Math.round(mean.x - 8), Math.round(mean.y - 8), 16, 16];
  return { tier: 'anchor', point: mean, box, confidence, evidence: `${predictions.length} anchor(s) agree within ${Math.round(spread)} px` };
}

/** Luma standard deviation below which a recorded crop is flat (an empty field): nothing to compare. */
const minimumStructure = 8;
/** The share of the recorded contrast a drawn target keeps under another theme or scale. */
const drawnFraction = 0.25;

/** Relative anchors: stable text near the target, read uniquely, agreeing on where it is. */
export const anchorRung: Rung = { surfaces: ['web', 'x11'], ground };
