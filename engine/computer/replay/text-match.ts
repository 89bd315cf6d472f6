import type { Box } from '../../../native/image.ts';
import { stripInvisible } from '../../../core/text.ts';
import { splitWordsAtBars, type OcrWord } from '../../../perception/ocr.ts';

/** Lower-case, unify quotes and dashes, collapse whitespace: how labels are compared. */
export function normalizeLabel(text: string): string {
  // The live app may carry invisible characters that recorded (cleaned) text does not.
  return stripInvisible(text)
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[‘’`´]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/[‐-―−]/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
}

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (!a.length) return b.length;
  if (!b.length) return a.length;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** 1 for equal strings, 0 for nothing in common (normalised edit distance). */
export function similarity(a: string, b: string): number {
  const left = normalizeLabel(a);
  const right = normalizeLabel(b);
  const longest = Math.max(left.length, right.length);
  return longest === 0 ? 1 : 1 - levenshtein(left, right) / longest;
}

export interface LabelHit {
  /** Estimated box of the label inside the line. */
  box: Box;
  score: number;
}

/**
 * Finds `label` in an OCR line: the whole line, or a run of its words (OCR groups a menu bar or
 * a row of buttons into one line). With the recogniser's word boxes the run's box is theirs;
 * without them it is estimated from character positions.
 */
export function findLabelInLine(label: string, lineText: string, lineBox: Box, lineWords?: readonly OcrWord[]): LabelHit | undefined {
  const wanted = normalizeLabel(label);
  const line = normalizeLabel(lineText);
  if (!wanted || !line) return undefined;
  const whole = similarity(wanted, line);
  let best: LabelHit | undefined = whole >= 0.5 ? { box: lineBox, score: whole } : undefined;
  // Bars read from button borders are not part of any label ("Quit|Save|Load" holds "Save").
  const boxed = lineWords?.length ? splitWordsAtBars(lineWords).map((word) => ({ text: normalizeLabel(word.text), box: word.box })).filter((word) => word.text) : undefined;
  const perChar = lineBox[2] / Math.max(1, line.length);
  const words = boxed ?? [...line.matchAll(/\S+/g)].map((match) => {
    const start = match.index ?? 0;
    return { text: match[0], box: [Math.round(lineBox[0] + start * perChar), lineBox[1], Math.max(1, Math.round(match[0].length * perChar)), lineBox[3]] as Box };
  });
  const wantedWords = wanted.split(' ').length;
  for (let count = Math.max(1, wantedWords - 1); count <= wantedWords + 1; count += 1) {
    for (let first = 0; first + count <= words.length; first += 1) {
      const run = words.slice(first, first + count);
      // Part of a longer line ("Save" in "Save As…") ranks below a line that is the label itself.
      const score = similarity(wanted, run.map((word) => word.text).join(' ')) * (count < words.length ? partOfLine : 1);
      if (!best || score > best.score + 1e-9) best = { box: spanBox(run.map((word) => word.box)), score };
    }
  }
  return best;
}

/**
 * Short labels ("+", "7", "OK") are read exactly: the whole line, or one of its words exactly
 * (a menu bar "File Edit Help" holds "Edit"). Never a fuzzy or partial match.
 */
export function findExactLabel(label: string, lineText: string, lineBox: Box, lineWords?: readonly OcrWord[]): LabelHit | undefined {
  const wanted = normalizeLabel(label);
  if (!wanted) return undefined;
  if (normalizeLabel(lineText) === wanted) return { box: lineBox, score: 1 };
  const word = lineWords && splitWordsAtBars(lineWords).find((candidate) => normalizeLabel(candidate.text) === wanted);
  return word ? { box: word.box, score: partOfLine } : undefined;
}

/**
 * Score factor for a label found as some words of a longer line: enough below a whole-line match
 * that the two are not rivals (grounding treats hits within 0.05 of the best as rivals), still
 * above the 0.8 a match needs.
 */
const partOfLine = 0.92;

function spanBox(boxes: Box[]): Box {
  const left = Math.min(...boxes.map((box) => box[0]));
  const top = Math.min(...boxes.map((box) => box[1]));
  const right = Math.max(...boxes.map((box) => box[0] + box[2]));
  const bottom = Math.max(...boxes.map((box) => box[1] + box[3]));
  return [left, top, right - left, bottom - top];
}
