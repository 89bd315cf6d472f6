import { readFile, stat } from 'node:fs/promises';
import { SkillframeError } from '../core/index.ts';

/**
 * The one image type of the product: tightly packed RGBA, 4 bytes a pixel, row-major. Screen
 * captures, decoded keyframes and everything perception offers (OCR, matching, hashing, diff)
 * use it; this file is also the one place that loads sharp and encodes or decodes image files.
 */
export interface RgbaImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** One channel, 1 byte a pixel. */
export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export type { Box } from '../core/geometry.ts';
import type { Box } from '../core/geometry.ts';

type Sharp = (typeof import('sharp'))['default'];
let sharpModule: Sharp | undefined;
/** sharp, loaded on first use: the CLI must start without paying for it. */
export async function loadSharp(): Promise<Sharp> {
  sharpModule ??= (await import('sharp')).default;
  return sharpModule;
}

/** Beyond this many pixels a screenshot is not plausible and decoding it would exhaust memory. */
export const maxImagePixels = 100_000_000;
export const maxImageSide = 16_384;

/** Throws `bad_input` when the dimensions cannot belong to a usable image. */
export function checkDimensions(width: number, height: number, what = 'image'): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new SkillframeError('bad_input', `${what}: has no pixels (${width}×${height})`);
  }
  if (width > maxImageSide || height > maxImageSide || width * height > maxImagePixels) {
    throw new SkillframeError('bad_input', `${what}: ${width}×${height} is too large (at most ${maxImageSide} px a side and ${maxImagePixels / 1e6} megapixels)`);
  }
}

/** Checks an image that came from elsewhere (a caller, a grabber) before trusting its buffer. */
export function checkImage(image: RgbaImage, what = 'image'): RgbaImage {
  if (!image || typeof image !== 'object' || !(image.data instanceof Uint8Array)) throw new SkillframeError('bad_input', `${what}: expected {data: Uint8Array, width, height}`);
  checkDimensions(image.width, image.height, what);
  if (image.data.length !== image.width * image.height * 4) {
    throw new SkillframeError('bad_input', `${what}: buffer holds ${image.data.length} bytes, ${image.width}×${image.height} RGBA needs ${image.width * image.height * 4}`);
  }
  return image;
}

/**
 * Decodes PNG, JPEG, WebP, GIF or TIFF (from a file path or bytes) to RGBA. Corrupt, truncated,
 * empty and absurdly large images are refused with `bad_input` (`not_found` for a missing file)
 * before any pixel buffer is allocated.
 */
export async function decodeImage(input: Buffer | Uint8Array | string): Promise<RgbaImage> {
  let bytes: Buffer;
  const what = typeof input === 'string' ? `image ${input}` : 'image';
  if (typeof input === 'string') {
    try {
      const info = await stat(input);
      if (!info.isFile()) throw new SkillframeError('bad_input', `${what}: not a file`);
      bytes = await readFile(input);
    } catch (error) {
      if (error instanceof SkillframeError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new SkillframeError('not_found', `${what}: no such file`);
      throw new SkillframeError('bad_input', `${what}: cannot read (${(error as Error).message})`);
    }
  } else {
    bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  }
  if (bytes.length === 0) throw new SkillframeError('bad_input', `${what}: the file is empty`);
  const sharp = await loadSharp();
  let width: number | undefined;
  let height: number | undefined;
  try {
    const metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
    width = metadata.width;
    height = metadata.height;
  } catch (error) {
    throw new SkillframeError('bad_input', `${what}: not a readable image (${firstLine(error)})`);
  }
  checkDimensions(width ?? 0, height ?? 0, what);
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxImagePixels, failOn: 'truncated' })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (error) {
    throw new SkillframeError('bad_input', `${what}: corrupt or truncated image (${firstLine(error)})`);
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0].slice(0, 200);
}

/** PNG bytes of an image (fast compression: these are working files, not archives). */
export async function encodePng(image: RgbaImage, options: { compressionLevel?: number } = {}): Promise<Buffer> {
  checkImage(image);
  const sharp = await loadSharp();
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } })
    .png({ compressionLevel: options.compressionLevel ?? 3 })
    .toBuffer();
}

/** Wraps raw RGB or RGBA bytes (e.g. from a screen grabber) as an RgbaImage, copying once. */
export function fromRaw(data: Uint8Array, width: number, height: number, channels: 3 | 4, order: 'rgb' | 'bgr' = 'rgb'): RgbaImage {
  checkDimensions(width, height);
  if (data.length < width * height * channels) throw new SkillframeError('bad_input', `raw image: ${data.length} bytes is short of ${width}×${height}×${channels}`);
  const out = new Uint8Array(width * height * 4);
  const red = order === 'rgb' ? 0 : 2;
  const blue = order === 'rgb' ? 2 : 0;
  for (let source = 0, target = 0; target < out.length; source += channels, target += 4) {
    out[target] = data[source + red];
    out[target + 1] = data[source + 1];
    out[target + 2] = data[source + blue];
    out[target + 3] = channels === 4 ? data[source + 3] : 255;
  }
  return { data: out, width, height };
}

/** Clamps a box to the image; returns undefined when nothing of it is inside. */
export function clampBox(box: Box, width: number, height: number): Box | undefined {
  const x0 = Math.max(0, Math.floor(box[0]));
  const y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(width, Math.ceil(box[0] + box[2]));
  const y1 = Math.min(height, Math.ceil(box[1] + box[3]));
  if (x1 <= x0 || y1 <= y0) return undefined;
  return [x0, y0, x1 - x0, y1 - y0];
}

/** A copy of part of the image. The box is clamped; a box wholly outside is `bad_input`. */
export function crop(image: RgbaImage, box: Box): RgbaImage {
  const inside = clampBox(box, image.width, image.height);
  if (!inside) throw new SkillframeError('bad_input', `crop box [${box.join(', ')}] lies outside the ${image.width}×${image.height} image`);
  const [x, y, width, height] = inside;
  const out = new Uint8Array(width * height * 4);
  const rowBytes = width * 4;
  for (let row = 0; row < height; row += 1) {
    const start = ((y + row) * image.width + x) * 4;
    out.set(image.data.subarray(start, start + rowBytes), row * rowBytes);
  }
  return { data: out, width, height };
}

/** A copy of `image` with `patch` laid over it at (x, y); what falls outside is dropped. */
export function paste(image: RgbaImage, patch: RgbaImage, x: number, y: number): RgbaImage {
  const out = new Uint8Array(image.data);
  const inside = clampBox([x, y, patch.width, patch.height], image.width, image.height);
  if (!inside) return { data: out, width: image.width, height: image.height };
  const [left, top, width, height] = inside;
  for (let row = 0; row < height; row += 1) {
    const from = ((top - y + row) * patch.width + (left - x)) * 4;
    out.set(patch.data.subarray(from, from + width * 4), ((top + row) * image.width + left) * 4);
  }
  return { data: out, width: image.width, height: image.height };
}

/** Luma (BT.601, integer arithmetic), ignoring alpha. */
export function toGray(image: RgbaImage): GrayImage {
  const { data, width, height } = image;
  const out = new Uint8Array(width * height);
  for (let pixel = 0, byte = 0; pixel < out.length; pixel += 1, byte += 4) {
    out[pixel] = (data[byte] * 77 + data[byte + 1] * 150 + data[byte + 2] * 29) >> 8;
  }
  return { data: out, width, height };
}

/**
 * Area-average downscale / bilinear upscale of a gray image to an exact size. Pure JS so the hot
 * paths (hashing, template pyramids) avoid a native round trip per call.
 */
export function resizeGray(image: GrayImage, width: number, height: number): GrayImage {
  checkDimensions(width, height, 'resize target');
  if (width === image.width && height === image.height) return { data: image.data.slice(), width, height };
  if (width <= image.width && height <= image.height) return areaDownscale(image, width, height);
  return bilinear(image, width, height);
}

function areaDownscale(image: GrayImage, width: number, height: number): GrayImage {
  const { data, width: sourceWidth, height: sourceHeight } = image;
  const sums = new Float64Array(width * height);
  const counts = new Float64Array(width * height);
  const columnOf = new Int32Array(sourceWidth);
  for (let x = 0; x < sourceWidth; x += 1) columnOf[x] = Math.min(width - 1, Math.floor((x * width) / sourceWidth));
  for (let y = 0; y < sourceHeight; y += 1) {
    const rowBase = Math.min(height - 1, Math.floor((y * height) / sourceHeight)) * width;
    const sourceRow = y * sourceWidth;
    for (let x = 0; x < sourceWidth; x += 1) {
      const target = rowBase + columnOf[x];
      sums[target] += data[sourceRow + x];
      counts[target] += 1;
    }
  }
  const out = new Uint8Array(width * height);
  for (let index = 0; index < out.length; index += 1) out[index] = counts[index] ? Math.round(sums[index] / counts[index]) : 0;
  return { data: out, width, height };
}

function bilinear(image: GrayImage, width: number, height: number): GrayImage {
  const out = new Uint8Array(width * height);
  const scaleX = image.width / width;
  const scaleY = image.height / height;
  for (let y = 0; y < height; y += 1) {
    const sourceY = Math.max(0, (y + 0.5) * scaleY - 0.5);
    const y0 = Math.min(image.height - 1, Math.floor(sourceY));
    const y1 = Math.min(image.height - 1, y0 + 1);
    const fy = sourceY - y0;
    for (let x = 0; x < width; x += 1) {
      const sourceX = Math.max(0, (x + 0.5) * scaleX - 0.5);
      const x0 = Math.min(image.width - 1, Math.floor(sourceX));
      const x1 = Math.min(image.width - 1, x0 + 1);
      const fx = sourceX - x0;
      const top = image.data[y0 * image.width + x0] * (1 - fx) + image.data[y0 * image.width + x1] * fx;
      const bottom = image.data[y1 * image.width + x0] * (1 - fx) + image.data[y1 * image.width + x1] * fx;
      out[y * width + x] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return { data: out, width, height };
}

/** Intersection over union of two boxes. */
export function intersectionOverUnion(a: Box, b: Box): number {
  const x0 = Math.max(a[0], b[0]);
  const y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y1 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

export function boxesOverlap(a: Box, b: Box, margin = 0): boolean {
  return a[0] - margin < b[0] + b[2] && b[0] - margin < a[0] + a[2] && a[1] - margin < b[1] + b[3] && b[1] - margin < a[1] + a[3];
}

export function unionBox(a: Box, b: Box): Box {
  const x0 = Math.min(a[0], b[0]);
  const y0 = Math.min(a[1], b[1]);
  return [x0, y0, Math.max(a[0] + a[2], b[0] + b[2]) - x0, Math.max(a[1] + a[3], b[1] + b[3]) - y0];
}

