import type { Rect } from '../../core/schemas/trajectory.ts';
import { clipRect, type Capture, type ScreenSource } from './screen.ts';

/**
 * A screen in memory: a solid background plus rectangles the test paints, so capture, crop and
 * blur can be checked without a display.
 */
export class FakeScreen implements ScreenSource {
  readonly width: number;
  readonly height: number;
  readonly pixels: Buffer;
  captures = 0;
  constructor(width = 320, height = 240, background: [number, number, number] = [240, 240, 240]) {
    this.width = width;
    this.height = height;
    this.pixels = Buffer.alloc(width * height * 4);
    this.fill({ x: 0, y: 0, width, height }, background);
  }
  fill(rect: Rect, color: [number, number, number]): void {
    const area = clipRect(rect, this.width, this.height);
    for (let y = area.y; y < area.y + area.height; y += 1) {
      for (let x = area.x; x < area.x + area.width; x += 1) {
        const offset = (y * this.width + x) * 4;
        this.pixels[offset] = color[0];
        this.pixels[offset + 1] = color[1];
        this.pixels[offset + 2] = color[2];
        this.pixels[offset + 3] = 255;
      }
    }
  }
  async size(): Promise<{ width: number; height: number }> {
    return { width: this.width, height: this.height };
  }
  async capture(region?: Rect): Promise<Capture> {
    this.captures += 1;
    const area = clipRect(region ?? { x: 0, y: 0, width: this.width, height: this.height }, this.width, this.height);
    const rgba = Buffer.alloc(area.width * area.height * 4);
    for (let row = 0; row < area.height; row += 1) {
      const start = ((area.y + row) * this.width + area.x) * 4;
      this.pixels.copy(rgba, row * area.width * 4, start, start + area.width * 4);
    }
    return { width: area.width, height: area.height, data: rgba };
  }
  dispose(): void {}
}
