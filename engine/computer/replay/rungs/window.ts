import type { Box } from '../../../../native/image.ts';
import { findTemplate } from '../../../../perception/template.ts';
import { boxToRect } from '../../../../core/geometry.ts';
import { labelUnderPoint } from '../../../../core/schemas/skill.ts';
import { findExactLabel, findLabelInLine, normalizeLabel } from '../text-match.ts';
import { colourDistance, lumaSpread, meanColour, type Grounding, type GroundingInput, type Rung } from './rung.ts';

async function ground(input: GroundingInput): Promise<Grounding | string> {
  const template = input.step.target.template;
  if (input.surface.kind !== 'x11') return 'not an X11 surface';
  if (!input.step.target.window?.point_in_window) return 'the step has no window-relative point';
  if (!template) return 'no template to check the mapped point against';
  const needle = await input.templateImage(template.file);
  if (!needle) return 'template image missing';
  if (lumaSpread(needle, [0, 0, needle.width, needle.height]) < 2) {
    // An empty text area or canvas: nothing to match, but the same flat colour at the mapped point
    // (stretched with the window when resized) is where a click lands the same way.
    const probe: Box = [Math.round(input.expected.x - 6), Math.round(input.expected.y - 6), 12, 12];
    const liveSpread = lumaSpread(input.frame, probe);
    const difference = colourDistance(meanColour(input.frame, probe), meanColour(needle, [Math.round(template.point_in_crop.x - 6), Math.round(template.point_in_crop.y - 6), 12, 12]));
    if (liveSpread < 4 && difference < 12) return { tier: 'window', point: input.expected, box: probe, confidence: 0.86, evidence: `window-relative point in a flat area of the recorded colour (Δ ${difference.toFixed(1)})` };
    return 'flat target, and the mapped point does not have its colour';
  }
  if (Math.abs(input.scale.x - 1) > 0.02 || Math.abs(input.scale.y - 1) > 0.02) return 'the window was resized: window-relative points are not trusted';
  // The window moved but kept its size: the target should sit exactly where the mapping says.
  const predicted: Box = [Math.round(input.expected.x - template.point_in_crop.x), Math.round(input.expected.y - template.point_in_crop.y), needle.width, needle.height];
  const margin = 6;
  const region: Box = [predicted[0] - margin, predicted[1] - margin, predicted[2] + 2 * margin, predicted[3] + 2 * margin];
  const matches = findTemplate(input.frame, needle, { scales: [1], region, minScore: 0.5, maxResults: 1, signal: input.signal });
  if (!matches.length) return 'the mapped point does not look like the recorded target';
  const match = matches[0];
  const point = { x: match.box[0] + template.point_in_crop.x, y: match.box[1] + template.point_in_crop.y };
  // Pixels that differ from the recording (another theme, a larger font that moved a menu's items
  // down) can still correlate with a neighbour: an imperfect match must show the recorded label.
  const label = input.step.target.ocr?.text;
  if (match.score < identicalScore && label && !(await labelReadAt(input, label, point))) return `the mapped point resembles the recorded target (score ${match.score.toFixed(3)}) but ${JSON.stringify(label)} is not read there`;
  return { tier: 'window', point, box: match.box, confidence: Math.min(0.99, match.score), evidence: `window-relative point, checked by template (score ${match.score.toFixed(3)})` };
}

/** A template score that only the same pixels reach (capture noise aside). */
const identicalScore = 0.98;

/** Whether OCR reads the label on the point (the label's box covers it, within the builder's margin). */
async function labelReadAt(input: GroundingInput, label: string, point: { x: number; y: number }): Promise<boolean> {
  const short = normalizeLabel(label).length <= 2;
  for (const line of await input.readLines()) {
    const hit = (short ? findExactLabel : findLabelInLine)(label, line.text, line.box, line.words);
    if (hit && hit.score >= 0.8 && labelUnderPoint(boxToRect(hit.box), point)) return true;
  }
  return false;
}

/**
 * X11: the recorded point mapped through the moved/resized window, checked against the recorded
 * crop. A position, not an identity: it is not trusted alone after a resize.
 */
export const windowRung: Rung = { surfaces: ['x11'], ground };
