import { hammingDistance, pHash } from '../perception/hash.ts';
import { crop, type RgbaImage } from '../native/image.ts';

/**
 * Visual match of a screen to a skill's keyframes. A whole-screen hash alone is dominated by the
 * desktop around a small app window (two apps on a black Xvfb root look alike), so each image
 * also gets a hash of its content box: the part that differs from the border colour.
 */

export interface ScreenHashes {
  full: string;
  content: string;
}

export function screenHashes(image: RgbaImage): ScreenHashes {
  return { full: pHash(image), content: pHash(contentOf(image)) };
}

/** 0..1; both hashes count equally when both are known. */
export function visualSimilarity(a: ScreenHashes, b: { full: string; content?: string }): number {
  const full = 1 - hammingDistance(a.full, b.full) / 64;
  if (!b.content) return full;
  return 0.5 * full + 0.5 * (1 - hammingDistance(a.content, b.content) / 64);
}

/** The bounding box of pixels that differ from the border colour (the whole image if that is tiny or everything). */
export function contentOf(image: RgbaImage): RgbaImage {
  const { data, width, height } = image;
  const at = (x: number, y: number) => (y * width + x) * 4;
  const corners = [at(0, 0), at(width - 1, 0), at(0, height - 1), at(width - 1, height - 1)];
  // The border colour is the one most corners share.
  const background = corners.map((offset) => [data[offset], data[offset + 1], data[offset + 2]]).sort((p, q) => corners.filter((o) => near(data, o, q)).length - corners.filter((o) => near(data, o, p)).length)[0];
  let left = width;
  let top = height;
  let right = -1;
  let bottom = -1;
  const step = Math.max(1, Math.floor(Math.min(width, height) / 400));
  for (let y = 0; y < height; y += step) {
    for (let x = 0; x < width; x += step) {
      const offset = at(x, y);
      if (Math.abs(data[offset] - background[0]) + Math.abs(data[offset + 1] - background[1]) + Math.abs(data[offset + 2] - background[2]) > 48) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        if (y > bottom) bottom = y;
      }
    }
  }
  if (right < 0) return image;
  const box: [number, number, number, number] = [left, top, Math.min(width, right + step) - left, Math.min(height, bottom + step) - top];
  const area = box[2] * box[3];
  if (area < 0.005 * width * height || area > 0.95 * width * height || box[2] < 9 || box[3] < 9) return image;
  return crop(image, box);
}

function near(data: Uint8Array, offset: number, color: number[]): boolean {
  return Math.abs(data[offset] - color[0]) + Math.abs(data[offset + 1] - color[1]) + Math.abs(data[offset + 2] - color[2]) <= 24;
}
