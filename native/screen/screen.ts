import type { RgbaImage } from '../image.ts';
import type { Rect } from '../../core/schemas/trajectory.ts';

/** A captured image: tightly packed RGBA, row after row. */
/** A screen grab: the product's one image type (native/image.ts). */
export type Capture = RgbaImage;

/** Reads pixels from a screen. */
export interface ScreenSource {
  size(): Promise<{ width: number; height: number }>;
  /** The whole screen, or a region of it (clipped to the screen). */
  capture(region?: Rect): Promise<Capture>;
  dispose(): void;
}

/** Clips a region to a screen; throws nothing, returns an empty rect when outside. */
export function clipRect(region: Rect, width: number, height: number): Rect {
  const x = Math.max(0, Math.floor(region.x));
  const y = Math.max(0, Math.floor(region.y));
  const right = Math.min(width, Math.ceil(region.x + region.width));
  const bottom = Math.min(height, Math.ceil(region.y + region.height));
  return { x, y, width: Math.max(0, right - x), height: Math.max(0, bottom - y) };
}
