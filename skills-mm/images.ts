import type { Rect } from '../core/schemas/skill.ts';
import { loadSharp } from '../native/image.ts';

/**
 * Views for a package (skills-mm/FORMAT.md): frames scaled to fit model context, with a red box on the
 * target and a green box on the check. sharp is loaded lazily so the CLI starts fast.
 */

export const maxViewSide = 1280;

export interface Mark {
  box: Rect;
  color: 'red' | 'green';
}

export interface RenderedImage {
  data: Buffer;
  width: number;
  height: number;
}

const strokeColors = { red: '#e0242b', green: '#18a34a' } as const;

/**
 * Cuts `crop` (whole frame when absent) out of a frame, draws the marks (given in frame
 * coordinates), scales so the longer side is at most `maxSide`, and encodes.
 */
export async function renderView(
  frame: Buffer,
  frameSize: { width: number; height: number },
  options: { crop?: Rect; marks?: Mark[]; maxSide?: number; format?: 'png' | 'webp' } = {},
): Promise<RenderedImage> {
  const sharp = await loadSharp();
  const crop = clampRect(options.crop ?? { x: 0, y: 0, width: frameSize.width, height: frameSize.height }, frameSize);
  const maxSide = options.maxSide ?? maxViewSide;
  const scale = Math.min(1, maxSide / Math.max(crop.width, crop.height));
  const width = Math.max(1, Math.round(crop.width * scale));
  const height = Math.max(1, Math.round(crop.height * scale));
  let pipeline = sharp(frame, { limitInputPixels: 16_384 * 16_384 })
    .extract({ left: crop.x, top: crop.y, width: crop.width, height: crop.height })
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' });
  const marks = options.marks ?? [];
  if (marks.length) {
    const stroke = Math.max(2, Math.round(3 * Math.max(width, height) / 1280));
    const rects = marks
      .map((mark) => {
        const x = (mark.box.x - crop.x) * scale;
        const y = (mark.box.y - crop.y) * scale;
        return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(4, mark.box.width * scale).toFixed(1)}" height="${Math.max(4, mark.box.height * scale).toFixed(1)}" fill="none" stroke="${strokeColors[mark.color]}" stroke-width="${stroke}"/>`;
      })
      .join('');
    const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${rects}</svg>`);
    pipeline = pipeline.composite([{ input: svg, top: 0, left: 0 }]);
  }
  const data = options.format === 'png' ? await pipeline.png({ compressionLevel: 9 }).toBuffer() : await pipeline.webp({ quality: 80, effort: 4 }).toBuffer();
  return { data, width, height };
}

/** An exact crop at full resolution, lossless, for template matching at replay. */
export async function cropPng(frame: Buffer, frameSize: { width: number; height: number }, box: Rect): Promise<RenderedImage> {
  const sharp = await loadSharp();
  const area = clampRect(box, frameSize);
  const data = await sharp(frame).extract({ left: area.x, top: area.y, width: area.width, height: area.height }).png({ compressionLevel: 9 }).toBuffer();
  return { data, width: area.width, height: area.height };
}

/**
 * The frame with `boxes` (frame coordinates) painted black, lossless: what a package must not
 * show, such as a secret typed into a field.
 */
export async function hideBoxes(frame: Buffer, frameSize: { width: number; height: number }, boxes: readonly Rect[]): Promise<Buffer> {
  const sharp = await loadSharp();
  const rects = boxes
    .map((box) => clampRect(box, frameSize))
    .filter((box) => box.width > 0 && box.height > 0)
    .map((box) => `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" fill="#000"/>`)
    .join('');
  if (!rects) return frame;
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${frameSize.width}" height="${frameSize.height}">${rects}</svg>`);
  return sharp(frame, { limitInputPixels: 16_384 * 16_384 }).composite([{ input: svg, top: 0, left: 0 }]).png({ compressionLevel: 1 }).toBuffer();
}

/** A small PNG thumbnail as a data URL, for the UI (which only talks through the contract). */
export async function thumbnailDataUrl(image: Buffer, maxSide: number): Promise<string> {
  const sharp = await loadSharp();
  const data = await sharp(image, { limitInputPixels: 4096 * 4096 }).resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true }).png({ compressionLevel: 9 }).toBuffer();
  return `data:image/png;base64,${data.toString('base64')}`;
}

export function clampRect(box: Rect, size: { width: number; height: number }): Rect {
  const x = Math.max(0, Math.min(size.width - 1, Math.round(box.x)));
  const y = Math.max(0, Math.min(size.height - 1, Math.round(box.y)));
  const right = Math.max(x + 1, Math.min(size.width, Math.round(box.x + box.width)));
  const bottom = Math.max(y + 1, Math.min(size.height, Math.round(box.y + box.height)));
  return { x, y, width: right - x, height: bottom - y };
}

/** A box of the given size centred on a point, kept inside the frame. */
export function boxAround(point: { x: number; y: number }, width: number, height: number, size: { width: number; height: number }): Rect {
  const w = Math.min(width, size.width);
  const h = Math.min(height, size.height);
  const x = Math.max(0, Math.min(size.width - w, Math.round(point.x - w / 2)));
  const y = Math.max(0, Math.min(size.height - h, Math.round(point.y - h / 2)));
  return { x, y, width: w, height: h };
}

export function grow(box: Rect, margin: number, size: { width: number; height: number }): Rect {
  return clampRect({ x: box.x - margin, y: box.y - margin, width: box.width + 2 * margin, height: box.height + 2 * margin }, size);
}

export function unionOf(boxes: readonly Rect[]): Rect | undefined {
  if (!boxes.length) return undefined;
  const x = Math.min(...boxes.map((box) => box.x));
  const y = Math.min(...boxes.map((box) => box.y));
  const right = Math.max(...boxes.map((box) => box.x + box.width));
  const bottom = Math.max(...boxes.map((box) => box.y + box.height));
  return { x, y, width: right - x, height: bottom - y };
}

export function intersects(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
