import type { Rect } from '../../core/schemas/trajectory.ts';
import { decodeImage } from '../image.ts';
import { clipRect, type Capture } from './screen.ts';

/** What the recorders do to stored frames: hide typed secrets, decode, compare. */

/**
 * Pixelates then blurs each region in place, so nothing typed there can be read back (a plain
 * Gaussian blur of large text can sometimes be reversed; coarse blocks cannot).
 */
export function obscureRegions(capture: Capture, regions: readonly Rect[]): Capture {
  if (regions.length === 0) return capture;
  const rgba = Uint8Array.from(capture.data);
  const block = 12;
  for (const region of regions) {
    const area = clipRect({ x: region.x - 2, y: region.y - 2, width: region.width + 4, height: region.height + 4 }, capture.width, capture.height);
    // Each block becomes the mean colour of the whole region: no per-glyph signal survives.
    let red = 0;
    let green = 0;
    let blue = 0;
    let count = 0;
    for (let y = area.y; y < area.y + area.height; y += 1) {
      for (let x = area.x; x < area.x + area.width; x += 1) {
        const offset = (y * capture.width + x) * 4;
        red += rgba[offset];
        green += rgba[offset + 1];
        blue += rgba[offset + 2];
        count += 1;
      }
    }
    if (count === 0) continue;
    const mean = [Math.round(red / count), Math.round(green / count), Math.round(blue / count)];
    for (let y = area.y; y < area.y + area.height; y += 1) {
      for (let x = area.x; x < area.x + area.width; x += 1) {
        const offset = (y * capture.width + x) * 4;
        // A faint block pattern shows that something was hidden here, without any of its content.
        const shade = ((Math.floor((x - area.x) / block) + Math.floor((y - area.y) / block)) % 2) * 8;
        rgba[offset] = Math.max(0, mean[0] - shade);
        rgba[offset + 1] = Math.max(0, mean[1] - shade);
        rgba[offset + 2] = Math.max(0, mean[2] - shade);
      }
    }
  }
  return { width: capture.width, height: capture.height, data: rgba };
}

/** Decodes a stored frame (PNG or any format sharp reads), bounds-checked. */
export function decodePng(png: Buffer): Promise<Capture> {
  return decodeImage(png);
}

/** Mean absolute difference per channel (0..255) between two same-size captures; Infinity when sizes differ. */
export function meanDifference(a: Capture, b: Capture): number {
  if (a.width !== b.width || a.height !== b.height) return Infinity;
  let total = 0;
  // Every 4th pixel is plenty to tell "settled" from "changing".
  const stride = 16;
  let samples = 0;
  for (let offset = 0; offset < a.data.length; offset += stride) {
    total += Math.abs(a.data[offset] - b.data[offset]) + Math.abs(a.data[offset + 1] - b.data[offset + 1]) + Math.abs(a.data[offset + 2] - b.data[offset + 2]);
    samples += 3;
  }
  return samples ? total / samples : 0;
}
