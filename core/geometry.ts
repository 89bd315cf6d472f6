import { z } from 'zod';

/**
 * The geometry types, once. Two shapes of rectangle exist on purpose: `Rect` is the object form
 * stored in skill packages (named fields survive format upgrades), `Box` the compact tuple that
 * perception code computes with. Converters live beside them so no file re-invents either.
 */

const pixels = z.number().int().min(-1_000_000).max(1_000_000);
const extent = z.number().int().min(0).max(1_000_000);

/** A point in pixels (screen pixels on X11, CSS pixels of the viewport on the web); may be fractional. */
export const Point = z.object({ x: z.number(), y: z.number() });
export type Point = z.infer<typeof Point>;

/** A point in whole pixels, as stored in skill packages. */
export const PixelPoint = z.object({ x: z.number().int(), y: z.number().int() }).strict();
export type PixelPoint = z.infer<typeof PixelPoint>;

/** A rectangle in whole pixels, as stored in skill packages. */
export const Rect = z.object({ x: pixels, y: pixels, width: extent, height: extent }).strict();
export type Rect = z.infer<typeof Rect>;

/** [x, y, width, height] in pixels: the form perception (OCR, detection, template match) returns. */
export const Box = z.tuple([z.number(), z.number(), z.number(), z.number()]);
export type Box = z.infer<typeof Box>;

export const Size = z.object({ width: z.number().int().positive().max(16_384), height: z.number().int().positive().max(16_384) }).strict();
export type Size = z.infer<typeof Size>;

/** A planar point or vector of the robot tasks, in metres: [x, y]. */
export const Vector2 = z.tuple([z.number(), z.number()]);
export type Vector2 = z.infer<typeof Vector2>;

/** Whether a point lies in a rectangle (left and top edges in, right and bottom edges out). */
export function rectContains(rect: Rect, point: Point): boolean {
  return point.x >= rect.x && point.y >= rect.y && point.x < rect.x + rect.width && point.y < rect.y + rect.height;
}

export function rectToBox(rect: Rect): Box {
  return [rect.x, rect.y, rect.width, rect.height];
}

export function boxToRect(box: Box): Rect {
  return { x: Math.round(box[0]), y: Math.round(box[1]), width: Math.max(0, Math.round(box[2])), height: Math.max(0, Math.round(box[3])) };
}
