import type { OcrLine } from '../../../../perception/ocr.ts';
import type { Box } from '../../../../native/image.ts';
import { labelUnderPoint } from '../../../../core/schemas/skill.ts';
import { findExactLabel, findLabelInLine, normalizeLabel } from '../text-match.ts';
import { center, disambiguate, farFromWindowPosition, type Grounding, type GroundingInput, type Rung } from './rung.ts';

async function ground(input: GroundingInput): Promise<Grounding | string> {
  const label = input.step.target.ocr?.text ?? input.step.target.locator?.name ?? input.step.target.locator?.text ?? (input.step.target.accessible?.name || undefined);
  if (!label) return 'the step has no label text';
  // Packages built before the builder kept only labels under the pointer may carry a neighbour's
  // text as the label; acting on it clicks the neighbour (galculator's "+" for its "-").
  const recorded = input.step.target.ocr?.box;
  if (recorded && input.step.target.ocr?.text === label && !labelUnderPoint(recorded, input.step.target.point)) return `the recorded label ${JSON.stringify(label)} lies beside the click, not under it`;
  const along = alongLabel(input.step.target, label);
  const lines = await input.readLines();
  // One- and two-character labels ("+", "-", "7") are too short for fuzzy matching or for a
  // position estimated from characters: they must be read exactly, as a line or a boxed word.
  const short = normalizeLabel(label).length <= 2;
  const hits = lines
    .map((line) => ({ line, hit: (short ? findExactLabel : findLabelInLine)(label, line.text, line.box, line.words) }))
    .filter((entry): entry is { line: OcrLine; hit: NonNullable<ReturnType<typeof findLabelInLine>> } => Boolean(entry.hit && entry.hit.score >= 0.8))
    .map((entry) => ({ ...entry, point: pointAlong(entry.hit.box, along), score: entry.hit.score * Math.min(1, 0.15 + entry.line.confidence) }));
  if (!hits.length) return `label ${JSON.stringify(label)} not read on screen`;
  hits.sort((a, b) => b.score - a.score);
  const rivals = hits.filter((hit) => hit.score >= hits[0].score - 0.05);
  const { pick, ambiguous } = disambiguate(rivals, input.expected, input.positionTrusted);
  if (!pick) return `label ${JSON.stringify(label)} read ${rivals.length} times; position cannot tell which`;
  const far = farFromWindowPosition(input, pick.point);
  const confidence = Math.min(0.97, pick.score) * (ambiguous ? 0.9 : 1) * (far ? 0.75 : 1);
  return { tier: 'ocr', point: pick.point, box: pick.hit.box, confidence, evidence: `${far ? 'far from the window-relative position; ' : ''}read ${JSON.stringify(pick.line.text)} (match ${pick.hit.score.toFixed(2)})${ambiguous ? ', nearest of several' : ''}` };
}

/**
 * Where across its label the recording clicked, 0 (left edge) to 1 (right edge). A label of several
 * words (a Tk menu bar read as the one phrase "File Edit Format Run") is acted on at the recorded
 * word, not at its centre, which would open another menu.
 */
function alongLabel(target: GroundingInput['step']['target'], label: string): number {
  const box = target.ocr?.text === label ? target.ocr.box : undefined;
  if (!box || box.width <= 0) return 0.5;
  return Math.min(1, Math.max(0, (target.point.x - box.x) / box.width));
}

function pointAlong(box: Box, along: number): { x: number; y: number } {
  return { x: box[0] + along * box[2], y: center(box).y };
}

/** The target's label read on screen. */
export const ocrRung: Rung = { surfaces: ['web', 'x11'], ground };
