import { SkillframeError, sleep, throwIfAborted } from '../core/index.ts';
import { checkImage, type Box, type RgbaImage } from '../native/image.ts';

export interface FrameDifference {
  /** Share of pixels that changed, 0..1. */
  fraction: number;
  /** Tight boxes around groups of changed pixels (neighbouring cells merged). */
  boxes: Box[];
}

export interface DifferenceOptions {
  /** A pixel changed when any channel moved by more than this (0..255). Absorbs re-encoding noise. */
  threshold?: number;
  /** Changed pixels closer than about this many pixels are merged into one box. */
  cell?: number;
}

/**
 * Where two frames of the same size differ. Equal 32-bit words are skipped first, so an idle
 * screen costs one pass of integer compares.
 */
export function frameDifference(before: RgbaImage, after: RgbaImage, options: DifferenceOptions = {}): FrameDifference {
  checkImage(before, 'before');
  checkImage(after, 'after');
  if (before.width !== after.width || before.height !== after.height) {
    throw new SkillframeError('bad_input', `frames differ in size: ${before.width}×${before.height} and ${after.width}×${after.height}`);
  }
  const threshold = options.threshold ?? 16;
  const cell = Math.max(4, options.cell ?? 16);
  const { width, height } = before;
  const columns = Math.ceil(width / cell);
  const rows = Math.ceil(height / cell);
  // Per cell: changed-pixel bounds, so boxes are tight rather than cell-aligned.
  const minX = new Int32Array(columns * rows).fill(-1);
  const maxX = new Int32Array(columns * rows);
  const minY = new Int32Array(columns * rows);
  const maxY = new Int32Array(columns * rows);
  const wordsBefore = aligned32(before.data);
  const wordsAfter = aligned32(after.data);
  const a = before.data;
  const b = after.data;
  // Whole rows compared natively first (memcmp): on a screen where one line changed, nearly every
  // row is equal and costs no pixel loop.
  const rowsBefore = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const rowsAfter = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const rowBytes = width * 4;
  let changed = 0;
  for (let y = 0; y < height; y += 1) {
    if (rowsBefore.compare(rowsAfter, y * rowBytes, (y + 1) * rowBytes, y * rowBytes, (y + 1) * rowBytes) === 0) continue;
    const rowStart = y * width;
    const cellRow = Math.floor(y / cell) * columns;
    for (let x = 0; x < width; x += 1) {
      const pixel = rowStart + x;
      if (wordsBefore && wordsAfter) {
        if (wordsBefore[pixel] === wordsAfter[pixel]) continue;
      }
      const byte = pixel * 4;
      if (
        Math.abs(a[byte] - b[byte]) <= threshold &&
        Math.abs(a[byte + 1] - b[byte + 1]) <= threshold &&
        Math.abs(a[byte + 2] - b[byte + 2]) <= threshold
      ) continue;
      changed += 1;
      const index = cellRow + Math.floor(x / cell);
      if (minX[index] < 0) {
        minX[index] = x;
        maxX[index] = x;
        minY[index] = y;
        maxY[index] = y;
      } else {
        if (x < minX[index]) minX[index] = x;
        if (x > maxX[index]) maxX[index] = x;
        if (y > maxY[index]) maxY[index] = y;
      }
    }
  }
  const boxes: Box[] = [];
  if (changed > 0) {
    // Connected components over changed cells (8-neighbourhood).
    const seen = new Uint8Array(columns * rows);
    const stack: number[] = [];
    for (let start = 0; start < columns * rows; start += 1) {
      if (minX[start] < 0 || seen[start]) continue;
      seen[start] = 1;
      stack.push(start);
      let x0 = Infinity;
      let y0 = Infinity;
      let x1 = -Infinity;
      let y1 = -Infinity;
      while (stack.length) {
        const index = stack.pop() as number;
        x0 = Math.min(x0, minX[index]);
        x1 = Math.max(x1, maxX[index]);
        y0 = Math.min(y0, minY[index]);
        y1 = Math.max(y1, maxY[index]);
        const cx = index % columns;
        const cy = (index - cx) / columns;
        for (let dy = -1; dy <= 1; dy += 1) {
          for (let dx = -1; dx <= 1; dx += 1) {
            const nx = cx + dx;
            const ny = cy + dy;
            if (nx < 0 || ny < 0 || nx >= columns || ny >= rows) continue;
            const next = ny * columns + nx;
            if (minX[next] >= 0 && !seen[next]) {
              seen[next] = 1;
              stack.push(next);
            }
          }
        }
      }
      boxes.push([x0, y0, x1 - x0 + 1, y1 - y0 + 1]);
    }
  }
  boxes.sort((p, q) => p[1] - q[1] || p[0] - q[0]);
  return { fraction: changed / (width * height), boxes };
}

function aligned32(bytes: Uint8Array): Uint32Array | undefined {
  return bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) : undefined;
}

export interface SettleOptions {
  /** The screen must stay unchanged this long. */
  quietMs?: number;
  /** Give up after this long (returns settled: false; the caller decides whether that is an error). */
  timeoutMs?: number;
  /** Pause between grabs. */
  intervalMs?: number;
  /** Changes smaller than this share of the screen count as quiet (a blinking caret, a clock). */
  tolerance?: number;
  threshold?: number;
  signal?: AbortSignal;
}

export interface SettleResult {
  settled: boolean;
  /** Time until the screen was last seen changing, then quiet for quietMs; or the timeout. */
  ms: number;
  frames: number;
  /** The last frame grabbed. */
  frame: RgbaImage;
  /** Union of everything that changed relative to the first frame. */
  changed: Box[];
}

/** Grabs frames until the screen stops changing for `quietMs` (or the timeout passes). */
export async function waitForSettle(grab: () => Promise<RgbaImage> | RgbaImage, options: SettleOptions = {}): Promise<SettleResult> {
  const quietMs = options.quietMs ?? 300;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const intervalMs = options.intervalMs ?? 50;
  const tolerance = options.tolerance ?? 0.0005;
  const started = Date.now();
  throwIfAborted(options.signal, 'waiting for the screen to settle');
  const first = await grab();
  let previous = first;
  let frames = 1;
  let lastChange = Date.now();
  while (true) {
    const now = Date.now();
    if (now - lastChange >= quietMs) break;
    if (now - started >= timeoutMs) {
      return { settled: false, ms: now - started, frames, frame: previous, changed: frameDifference(first, previous, { threshold: options.threshold }).boxes };
    }
    await sleep(intervalMs, options.signal, 'waiting for the screen to settle');
    const frame = await grab();
    frames += 1;
    const difference = frameDifference(previous, frame, { threshold: options.threshold });
    if (difference.fraction > tolerance) lastChange = Date.now();
    previous = frame;
  }
  return { settled: true, ms: Date.now() - started, frames, frame: previous, changed: frameDifference(first, previous, { threshold: options.threshold }).boxes };
}

