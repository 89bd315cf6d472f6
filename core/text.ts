/**
 * Text as Skillframe stores it: what an app shows can carry characters a reader never sees
 * (zero-width spaces that real web apps put in long paths for line breaking, bidi controls, tag
 * characters). Recorders store labels, names and titles cleaned; the audit refuses the same
 * characters anywhere a package did not explain them. One list, used by both sides.
 */

/**
 * Characters that render as nothing: zero-width and joiner characters, bidi controls, soft
 * hyphen, word joiner and invisible operators, BOM, Mongolian vowel separator, Hangul fillers,
 * interlinear annotation marks, combining grapheme joiner and tag characters.
 */
export const invisibleCharacterClass = '\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u206F\\u3164\\uFEFF\\uFFA0\\uFFF9-\\uFFFB\\u{E0000}-\\u{E007F}';

const invisibleAll = new RegExp(`[${invisibleCharacterClass}]`, 'gu');
const invisibleOne = new RegExp(`[${invisibleCharacterClass}]`, 'u');

/** The first invisible character in `text` and where it is, or undefined. */
export function findInvisible(text: string): { character: string; index: number } | undefined {
  const match = invisibleOne.exec(text);
  return match ? { character: match[0], index: match.index } : undefined;
}

/** `text` without invisible characters, in NFC; whitespace (line breaks included) kept as is. */
export function stripInvisible(text: string): string {
  return text.normalize('NFC').replace(invisibleAll, '');
}

/** A label, name, title or visible text as stored: NFC, no invisible characters, one space between words, trimmed. */
export function cleanText(text: string): string {
  return stripInvisible(text).replace(/\s+/g, ' ').trim();
}

/**
 * What Playwright itself ignores when it compares accessible names and text (it drops U+200B and
 * U+00AD and collapses whitespace). When the cleaned string and the raw one agree after this, the
 * cleaned one matches the live app exactly and the raw one need not be kept.
 */
export function playwrightFolded(text: string): string {
  return text.replace(/[\u200b\u00ad]/g, '').replace(/\s+/g, ' ').trim();
}

/** The raw string to keep beside `clean` for an exact match against the live app, or undefined when `clean` does. */
export function rawWhenNeeded(raw: string | undefined, clean: string | undefined): string | undefined {
  if (raw === undefined || clean === undefined) return undefined;
  return playwrightFolded(raw) === clean ? undefined : raw;
}

/** JSON text with every invisible character written as a `\u` escape, so no file holds one literally. */
export function escapeInvisibleInJson(json: string): string {
  return json.replace(invisibleAll, (character) =>
    [...character]
      .map((unit) => unit.codePointAt(0)!)
      .flatMap((point) => (point > 0xffff ? [0xd800 + ((point - 0x10000) >> 10), 0xdc00 + ((point - 0x10000) & 0x3ff)] : [point]))
      .map((unit) => `\\u${unit.toString(16).padStart(4, '0')}`)
      .join(''),
  );
}
