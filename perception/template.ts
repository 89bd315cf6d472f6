import { SkillframeError, throwIfAborted } from '../core/index.ts';
import { checkImage, clampBox, crop, intersectionOverUnion, resizeGray, toGray, type Box, type GrayImage, type RgbaImage } from '../native/image.ts';

export interface TemplateMatch {
  /** Where the needle was found, in haystack pixels. */
  box: Box;
  /** Normalised cross-correlation, -1..1 (1 = identical up to brightness and contrast). */
  score: number;
  /** Needle size relative to the original needle. */
  scale: number;
}

export interface TemplateOptions {
  /** Needle scales to try; default 0.8–1.25 in steps of 0.05. */
  scales?: readonly number[];
  /** Search only here (haystack pixels). */
  region?: Box;
  /** Matches below this score are dropped. */
  minScore?: number;
  /** At most this many matches, best first, not overlapping each other. */
  maxResults?: number;
  signal?: AbortSignal;
  /** Adds the pixel products the search computed (its cost, for benchmarks and tests). */
  work?: { products: number };
}

export const defaultScales: readonly number[] = [0.8, 0.85, 0.9, 0.95, 1, 1.05, 1.1, 1.15, 1.2, 1.25];

function grayOf(image: RgbaImage | GrayImage, what: string): GrayImage {
  if (image.data.length === image.width * image.height) return image as GrayImage;
  return toGray(checkImage(image as RgbaImage, what));
}

/**
 * Finds a needle (a crop of an earlier screen) in a haystack (the live screen) at several
 * scales. Coarse-to-fine: every scale is searched exhaustively on a downscaled pair (integral
 * images make each window's mean and variance O(1)), then the best few candidates are refined
 * at full resolution in a small window.
 */
export function findTemplate(haystack: RgbaImage | GrayImage, needle: RgbaImage | GrayImage, options: TemplateOptions = {}): TemplateMatch[] {
  const scales = options.scales?.length ? options.scales : defaultScales;
  const minScore = options.minScore ?? 0.8;
  const maxResults = options.maxResults ?? 5;
  const small = grayOf(needle, 'needle');
  let hay: GrayImage;
  let offsetX = 0;
  let offsetY = 0;
  if (options.region) {
    const region = clampBox(options.region, haystack.width, haystack.height);
    if (!region) throw new SkillframeError('bad_input', `region [${options.region.join(', ')}] lies outside the ${haystack.width}×${haystack.height} haystack`);
    // Only the region is turned to grey: a window is a fraction of a 1080p screen.
    hay = haystack.data.length === haystack.width * haystack.height ? cropGray(haystack as GrayImage, region) : grayOf(crop(checkImage(haystack as RgbaImage, 'haystack'), region), 'haystack');
    [offsetX, offsetY] = region;
  } else hay = grayOf(haystack, 'haystack');
  if (isFlat(small)) throw new SkillframeError('bad_input', `needle ${small.width}×${small.height} is one flat colour: there is nothing to match`);

  const sizes = scales
    .map((scale) => ({ scale, width: Math.round(small.width * scale), height: Math.round(small.height * scale) }))
    .filter((size) => size.width >= 3 && size.height >= 3 && size.width <= hay.width && size.height <= hay.height);
  if (sizes.length === 0) return [];
  const smallestSide = Math.min(...sizes.map((size) => Math.min(size.width, size.height)));
  // Coarse level: about 6 px of needle on its short side is enough to find candidates; the fine
  // level decides. Each halving of resolution cuts the work about 16-fold.
  const factor = Math.max(1, Math.min(16, Math.floor(smallestSide / 6)));
  const coarseHay = factor > 1 ? resizeGray(hay, Math.max(1, Math.floor(hay.width / factor)), Math.max(1, Math.floor(hay.height / factor))) : hay;
  const coarseTables = integralTables(coarseHay);
  const coarseHayFloat = Float32Array.from(coarseHay.data);
  // Coarse correlation tolerates a few per cent of scale, so every other scale is searched
  // coarsely and its neighbours are tried during refinement.
  const coarseSizes = factor > 1 && sizes.length > 3 ? sizes.filter((_, index) => index % 2 === 0 || index === sizes.length - 1) : sizes;

  interface Candidate { x: number; y: number; score: number; size: (typeof sizes)[number]; reachX: number }
  const candidates: Candidate[] = [];
  for (const size of coarseSizes) {
    throwIfAborted(options.signal, 'template search');
    const coarseWidth = Math.max(2, Math.round(size.width / factor));
    const coarseHeight = Math.max(2, Math.round(size.height / factor));
    if (coarseWidth > coarseHay.width || coarseHeight > coarseHay.height) continue;
    const coarseNeedle = resizeGray(small, coarseWidth, coarseHeight);
    // Every other column: a peak is at least two coarse pixels wide across a needle this wide,
    // and refinement searches ±2 coarse pixels horizontally anyway.
    const stride = coarseWidth >= 24 ? 2 : 1;
    const scores = correlate(coarseHayFloat, coarseHay.width, coarseTables, coarseNeedle, 0, 0, coarseHay.width - coarseWidth, coarseHay.height - coarseHeight, stride, options.work);
    const columns = Math.floor((coarseHay.width - coarseWidth) / stride) + 1;
    const peaks = topPeaks(scores, columns, scores.length / columns, 6, Math.max(1, Math.floor(Math.min(coarseWidth, coarseHeight) / 2)));
    for (const peak of peaks) {
      if (peak.score < minScore - 0.35) continue;
      candidates.push({ x: peak.x * stride * factor, y: peak.y * factor, score: peak.score, size, reachX: stride * factor + 1 });
    }
  }
  candidates.sort((a, b) => b.score - a.score);

  const fineTables = factor > 1 ? integralTables(hay) : coarseTables;
  const fineHayFloat = factor > 1 ? Float32Array.from(hay.data) : coarseHayFloat;
  // Between the coarse level and full resolution, a half-resolution level: the candidate's
  // neighbourhood is searched there with a quarter of the needle's pixels, and full resolution then
  // only looks ±2 px around what it found (a peak at half resolution is within a pixel of the
  // full-resolution one). Most of the refinement's work was the full-resolution window.
  const half = factor >= 4 ? halfLevel(hay) : undefined;
  const needles = new Map<number, GrayImage>();
  const halfNeedles = new Map<number, GrayImage>();
  const matches: TemplateMatch[] = [];
  const refined = new Set<string>();
  for (const candidate of candidates.slice(0, 12)) {
    // Refine at full resolution: the candidate's scale and its untried neighbours, a few pixels around.
    const nearby = sizes.filter((size) => Math.abs(size.scale - candidate.size.scale) <= (coarseSizes === sizes ? 0 : 0.051));
    let best: TemplateMatch | undefined;
    for (const size of nearby) {
      throwIfAborted(options.signal, 'template search');
      let fineNeedle = needles.get(size.scale);
      if (!fineNeedle) {
        fineNeedle = size.scale === 1 ? small : resizeGray(small, size.width, size.height);
        needles.set(size.scale, fineNeedle);
      }
      const reach = factor + 1;
      const x0 = Math.max(0, candidate.x - candidate.reachX);
      const y0 = Math.max(0, candidate.y - reach);
      const x1 = Math.min(hay.width - size.width, candidate.x + candidate.reachX);
      const y1 = Math.min(hay.height - size.height, candidate.y + reach);
      if (x1 < x0 || y1 < y0) continue;
      const key = `${size.scale}:${x0}:${y0}`;
      if (refined.has(key)) continue;
      refined.add(key);
      let window = { x0, y0, x1, y1 };
      if (half) {
        let halfNeedle = halfNeedles.get(size.scale);
        if (!halfNeedle) {
          halfNeedle = resizeGray(small, Math.max(2, Math.round(size.width / 2)), Math.max(2, Math.round(size.height / 2)));
          halfNeedles.set(size.scale, halfNeedle);
        }
        const hx0 = Math.floor(x0 / 2);
        const hy0 = Math.floor(y0 / 2);
        const hx1 = Math.min(half.image.width - halfNeedle.width, Math.ceil(x1 / 2));
        const hy1 = Math.min(half.image.height - halfNeedle.height, Math.ceil(y1 / 2));
        if (hx1 >= hx0 && hy1 >= hy0) {
          const coarse = correlate(half.float, half.image.width, half.tables, halfNeedle, hx0, hy0, hx1, hy1, 1, options.work);
          const top = argmax(coarse);
          const columns = hx1 - hx0 + 1;
          const cx = 2 * (hx0 + (top % columns));
          const cy = 2 * (hy0 + Math.floor(top / columns));
          window = { x0: Math.max(x0, cx - 2), y0: Math.max(y0, cy - 2), x1: Math.min(x1, cx + 2), y1: Math.min(y1, cy + 2) };
          if (window.x1 < window.x0 || window.y1 < window.y0) window = { x0, y0, x1, y1 };
        }
      }
      const scores = correlate(fineHayFloat, hay.width, fineTables, fineNeedle, window.x0, window.y0, window.x1, window.y1, 1, options.work);
      const columns = window.x1 - window.x0 + 1;
      const top = argmax(scores);
      const score = scores[top];
      if (!best || score > best.score) {
        best = { box: [window.x0 + (top % columns) + offsetX, window.y0 + Math.floor(top / columns) + offsetY, size.width, size.height], score: Math.min(1, score), scale: size.scale };
      }
    }
    if (best && best.score >= minScore) matches.push(best);
  }
  matches.sort((a, b) => b.score - a.score);
  const kept: TemplateMatch[] = [];
  for (const match of matches) {
    if (kept.some((other) => intersectionOverUnion(other.box, match.box) > 0.3)) continue;
    kept.push(match);
    if (kept.length >= maxResults) break;
  }
  return kept;
}

function argmax(scores: Float32Array): number {
  let top = 0;
  for (let index = 1; index < scores.length; index += 1) if (scores[index] > scores[top]) top = index;
  return top;
}

/** The haystack at half resolution, with its tables, for the refinement's middle level. */
function halfLevel(hay: GrayImage): { image: GrayImage; tables: Tables; float: Float32Array } {
  const image = resizeGray(hay, Math.max(1, Math.floor(hay.width / 2)), Math.max(1, Math.floor(hay.height / 2)));
  return { image, tables: integralTables(image), float: Float32Array.from(image.data) };
}

interface Tables {
  sum: Float64Array;
  squares: Float64Array;
  stride: number;
}

function integralTables(image: GrayImage): Tables {
  const stride = image.width + 1;
  const sum = new Float64Array(stride * (image.height + 1));
  const squares = new Float64Array(stride * (image.height + 1));
  for (let y = 0; y < image.height; y += 1) {
    let rowSum = 0;
    let rowSquares = 0;
    for (let x = 0; x < image.width; x += 1) {
      const value = image.data[y * image.width + x];
      rowSum += value;
      rowSquares += value * value;
      sum[(y + 1) * stride + x + 1] = sum[y * stride + x + 1] + rowSum;
      squares[(y + 1) * stride + x + 1] = squares[y * stride + x + 1] + rowSquares;
    }
  }
  return { sum, squares, stride };
}

/** NCC of the needle at every top-left position in [x0..x1]×[y0..y1]. */
function correlate(hay: Float32Array, hayWidth: number, tables: Tables, needle: GrayImage, x0: number, y0: number, x1: number, y1: number, stride = 1, work?: { products: number }): Float32Array {
  const { width, height } = needle;
  const count = width * height;
  let mean = 0;
  for (let index = 0; index < count; index += 1) mean += needle.data[index];
  mean /= count;
  const centred = new Float32Array(count);
  let norm = 0;
  for (let index = 0; index < count; index += 1) {
    centred[index] = needle.data[index] - mean;
    norm += centred[index] * centred[index];
  }
  norm = Math.sqrt(norm);
  const columns = Math.floor((x1 - x0) / stride) + 1;
  const rows = y1 - y0 + 1;
  const out = new Float32Array(columns * rows);
  if (work) work.products += columns * rows * count;
  const { sum, squares, stride: tableStride } = tables;
  for (let y = y0; y <= y1; y += 1) {
    for (let column = 0; column < columns; column += 1) {
      const x = x0 + column * stride;
      const a = y * tableStride + x;
      const b = a + width;
      const c = (y + height) * tableStride + x;
      const d = c + width;
      const windowSum = sum[d] - sum[b] - sum[c] + sum[a];
      const windowSquares = squares[d] - squares[b] - squares[c] + squares[a];
      const variance = windowSquares - (windowSum * windowSum) / count;
      let score = 0;
      if (variance > 1e-6 * count) {
        let dot = 0;
        for (let row = 0; row < height; row += 1) {
          const hayRow = (y + row) * hayWidth + x;
          const needleRow = row * width;
          for (let column = 0; column < width; column += 1) dot += hay[hayRow + column] * centred[needleRow + column];
        }
        score = dot / (Math.sqrt(variance) * norm);
      }
      out[(y - y0) * columns + column] = score;
    }
  }
  return out;
}

function topPeaks(scores: Float32Array, columns: number, rows: number, count: number, spacing: number): { x: number; y: number; score: number }[] {
  // A few argmax passes with suppression around each peak: linear, unlike sorting every window.
  const working = scores.slice();
  const peaks: { x: number; y: number; score: number }[] = [];
  for (let pass = 0; pass < count; pass += 1) {
    let best = -1;
    let bestScore = -Infinity;
    for (let index = 0; index < working.length; index += 1) {
      if (working[index] > bestScore) {
        bestScore = working[index];
        best = index;
      }
    }
    if (best < 0 || bestScore === -Infinity) break;
    const x = best % columns;
    const y = Math.floor(best / columns);
    peaks.push({ x, y, score: bestScore });
    for (let row = Math.max(0, y - spacing); row <= Math.min(rows - 1, y + spacing); row += 1) {
      for (let column = Math.max(0, x - spacing); column <= Math.min(columns - 1, x + spacing); column += 1) working[row * columns + column] = -Infinity;
    }
  }
  return peaks;
}

function cropGray(image: GrayImage, box: Box): GrayImage {
  const [x, y, width, height] = box;
  const out = new Uint8Array(width * height);
  for (let row = 0; row < height; row += 1) out.set(image.data.subarray((y + row) * image.width + x, (y + row) * image.width + x + width), row * width);
  return { data: out, width, height };
}

function isFlat(image: GrayImage): boolean {
  const first = image.data[0];
  for (let index = 1; index < image.data.length; index += 1) if (image.data[index] !== first) return false;
  return true;
}

