import { TabletopScene } from '../../../core/schemas/tabletop.ts';
import { defaultCamera } from './render.ts';

/** The training scene: cube in front and to the right, bin to the left, nothing in the way. */
export const defaultScene: TabletopScene = TabletopScene.parse({
  name: 'so101-train',
  cube: { position: [0.06, -0.24] },
  bin: { position: [-0.1, -0.22] },
});

/** RGB bytes (height × width × 3) → the policy's image input [3, height, width] in 0..1. */
export function cameraTensor(rgb: Uint8Array, width = defaultCamera.width, height = defaultCamera.height): Float32Array {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let pixel = 0; pixel < plane; pixel += 1) {
    out[pixel] = rgb[pixel * 3] / 255;
    out[plane + pixel] = rgb[pixel * 3 + 1] / 255;
    out[2 * plane + pixel] = rgb[pixel * 3 + 2] / 255;
  }
  return out;
}
