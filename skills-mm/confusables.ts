/**
 * Confusable letters folded to the Latin letters they imitate, so "ѕudo" (Cyrillic dze) reads as
 * "sudo" to the audit. This is a compact subset of Unicode's confusables.txt (UTS #39 skeletons)
 * for the scripts that matter for English-language instructions: Cyrillic, Greek, Armenian and
 * Latin look-alikes (IPA, small capitals, dotless i). Fullwidth forms and mathematical
 * alphanumerics are folded by NFKC, which `skeleton` applies first.
 */
const table: Record<string, string> = {
  // Cyrillic lower case
  а: 'a', в: 'b', ԁ: 'd', е: 'e', ё: 'e', һ: 'h', і: 'i', ї: 'i', ј: 'j', к: 'k', ӏ: 'l', м: 'm', н: 'h', о: 'o', р: 'p', ԛ: 'q', г: 'r', ѕ: 's', т: 't', у: 'y', ү: 'y', х: 'x', ԝ: 'w', ѡ: 'w', ь: 'b', ѵ: 'v', з: '3', ԍ: 'g', ɡ: 'g',
  // Cyrillic upper case
  А: 'a', В: 'b', С: 'c', Е: 'e', Ё: 'e', Н: 'h', І: 'i', Ї: 'i', Ј: 'j', К: 'k', М: 'm', О: 'o', Р: 'p', Ԛ: 'q', Ѕ: 's', Т: 't', У: 'y', Ү: 'y', Х: 'x', Ԝ: 'w', Ӏ: 'l', Ь: 'b',
  // Cyrillic с is listed apart: it is also the most common one
  с: 'c',
  // Greek lower case
  α: 'a', β: 'b', γ: 'y', δ: 'd', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', σ: 'o', ς: 's', τ: 't', υ: 'u', χ: 'x', ω: 'w', ϲ: 'c', ϳ: 'j',
  // Greek upper case
  Α: 'a', Β: 'b', Ε: 'e', Ζ: 'z', Η: 'h', Ι: 'i', Κ: 'k', Μ: 'm', Ν: 'n', Ο: 'o', Ρ: 'p', Τ: 't', Υ: 'y', Χ: 'x', Ϲ: 'c', Ϳ: 'j',
  // Armenian
  օ: 'o', ս: 'u', ց: 'g', հ: 'h', ո: 'n', ա: 'w', զ: 'q',
  // Latin look-alikes
  ı: 'i', ɩ: 'i', ɑ: 'a', ɒ: 'a', ʀ: 'r', ꜱ: 's', ᴀ: 'a', ʙ: 'b', ᴄ: 'c', ᴅ: 'd', ᴇ: 'e', ɢ: 'g', ʜ: 'h', ɪ: 'i', ᴊ: 'j', ᴋ: 'k', ʟ: 'l', ᴍ: 'm', ɴ: 'n', ᴏ: 'o', ᴘ: 'p', ᴛ: 't', ᴜ: 'u', ᴠ: 'v', ᴡ: 'w', ʏ: 'y', ᴢ: 'z',
};

const confusable = new RegExp(`[${Object.keys(table).join('')}]`, 'gu');

/**
 * The text as the audit reads it: NFKC (fullwidth, math letters, ligatures), confusables folded,
 * diacritics dropped, lower case, runs of spaces and tabs collapsed.
 */
export function skeleton(text: string): string {
  return text
    .normalize('NFKC')
    .replace(confusable, (letter) => table[letter])
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[ \t\u00a0]+/g, ' ');
}

/**
 * A word that mixes Latin letters with letters of another script that imitates Latin (one
 * Cyrillic "е" in "delete"): real labels are written in one script per word; a mix is how a
 * word is disguised from a reader and from word lists alike.
 */
export function mixedScriptWord(text: string): string | undefined {
  for (const word of text.normalize('NFKC').match(/[\p{L}\p{M}]{2,}/gu) ?? []) {
    const latin = /\p{Script=Latin}/u.test(word);
    const lookAlike = /[\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Armenian}]/u.test(word);
    if (latin && lookAlike) return word;
  }
  return undefined;
}
