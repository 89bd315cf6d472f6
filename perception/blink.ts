import { frameDifference } from './diff.ts';
import { clampBox, crop, type Box, type RgbaImage } from '../native/image.ts';

/**
 * Things that blink — a text caret, a pointer, a spinner — change pixels without the app having
 * changed. They are not evidence either way: a blink must not prove a step, and a caret in its
 * off phase must not disprove one.
 */

/** A change the size of a text caret or a pointer's edge: at most 3 px thick and 48 px long. */
export function caretSized(box: Box | { width: number; height: number }): boolean {
  const [width, height] = Array.isArray(box) ? [box[2], box[3]] : [box.width, box.height];
  return Math.min(width, height) <= 3 && Math.max(width, height) <= 48;
}

/**
 * Where `after` differs from `before` in a way that counts: caret-sized changes are dropped; with
 * a `second` capture (taken a little after `after`), so is a change that is gone again in it (it
 * toggled back: a blink) and a small one that keeps moving (a spinner). A larger region still in
 * transition (a button fading to its hover colour) keeps counting.
 */
export function evidenceOfChange(before: RgbaImage, after: RgbaImage, second?: RgbaImage): Box[] {
  if (before.width !== after.width || before.height !== after.height) return [[0, 0, after.width, after.height]];
  const boxes = frameDifference(before, after).boxes.filter((box) => !caretSized(box));
  if (!second || second.width !== after.width || second.height !== after.height || !boxes.length) return boxes;
  const persisting = frameDifference(before, second).boxes.filter((box) => !caretSized(box));
  const moving = frameDifference(after, second).boxes;
  const spinnerSized = (box: Box) => Math.max(box[2], box[3]) <= 32;
  return boxes.filter((box) => persisting.some((kept) => overlaps(kept, box)) && !(spinnerSized(box) && moving.some((motion) => overlaps(motion, box))));
}

function overlaps(a: Box, b: Box): boolean {
  return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

/**
 * A text caret inside `region`: a vertical line 1–3 px wide and 8–60 px tall that stands out
 * from the pixels on both sides of it, which look alike. Returns its box, or undefined.
 */
export function findCaret(image: RgbaImage, region: Box): Box | undefined {
  const area = clampBox(region, image.width, image.height);
  if (!area) return undefined;
  const [x0, y0, width, height] = area;
  const { data } = image;
  const luma = (x: number, y: number) => {
    const byte = (y * image.width + x) * 4;
    return (data[byte] * 77 + data[byte + 1] * 150 + data[byte + 2] * 29) >> 8;
  };
  const contrast = 48;
  // A column pixel is "line-like" when it differs from the pixels 2 px left and right of it and
  // those two agree: the signature of a 1–3 px stroke on a flat background.
  const lineLike = (x: number, y: number) => {
    if (x < 2 || x + 2 >= image.width) return false;
    const left = luma(x - 2, y);
    const right = luma(x + 2, y);
    const middle = luma(x, y);
    return Math.abs(left - right) <= 24 && Math.abs(middle - left) >= contrast && Math.abs(middle - right) >= contrast;
  };
  for (let x = x0; x < x0 + width; x += 1) {
    for (let y = y0; y < y0 + height; y += 1) {
      // Only where a stroke starts (or enters the region): measure all of it, past the region too,
      // so a caret cut by the region's edge is still seen whole.
      if (!lineLike(x, y) || (y > y0 && lineLike(x, y - 1))) continue;
      let top = y;
      while (top > 0 && y - top < 64 && lineLike(x, top - 1)) top -= 1;
      let bottom = y;
      while (bottom + 1 < image.height && bottom - top < 64 && lineLike(x, bottom + 1)) bottom += 1;
      const length = bottom - top + 1;
      // Longer than 60 px it is part of something bigger (a border, a rule).
      if (length >= 8 && length <= 60) return [x, top, 1, length];
      y = bottom;
    }
  }
  return undefined;
}

/** Crops both images to the same box (for comparing a region across captures). */
export function cropBoth(a: RgbaImage, b: RgbaImage, box: Box): [RgbaImage, RgbaImage] | undefined {
  const inside = clampBox(box, Math.min(a.width, b.width), Math.min(a.height, b.height));
  return inside ? [crop(a, inside), crop(b, inside)] : undefined;
}
