import type { Box } from '../../../perception/image.ts';
import { stripInvisible } from '../../../core/text.ts';

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
 * a row of buttons into one line). The sub-box is estimated from character positions, which is
 * close enough for proportional UI fonts to click the right word.
 */
export function findLabelInLine(label: string, lineText: string, lineBox: Box): LabelHit | undefined {
  const wanted = normalizeLabel(label);
  const line = normalizeLabel(lineText);
  if (!wanted || !line) return undefined;
  const whole = similarity(wanted, line);
  let best: LabelHit | undefined = whole >= 0.5 ? { box: lineBox, score: whole } : undefined;
  const words = [...line.matchAll(/\S+/g)].map((match) => ({ text: match[0], start: match.index ?? 0 }));
  const wantedWords = wanted.split(' ').length;
  for (let count = Math.max(1, wantedWords - 1); count <= wantedWords + 1; count += 1) {
    for (let first = 0; first + count <= words.length; first += 1) {
      const start = words[first].start;
      const last = words[first + count - 1];
      const end = last.start + last.text.length;
      const score = similarity(wanted, line.slice(start, end));
      if (!best || score > best.score + 1e-9) {
        const perChar = lineBox[2] / Math.max(1, line.length);
        best = { box: [Math.round(lineBox[0] + start * perChar), lineBox[1], Math.max(1, Math.round((end - start) * perChar)), lineBox[3]], score };
      }
    }
  }
  return best;
}
