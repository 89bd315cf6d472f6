import { SkillframeError } from '../../core/errors.ts';
import type { Rect } from '../../core/schemas/trajectory.ts';
import { loadRobot } from '../input/robot-input.ts';
import { clipRect, type Capture, type ScreenSource } from './screen.ts';

/**
 * Screen capture through robotjs (XGetImage): 5–30 ms for 1080p under Xvfb. Safe to use in the
 * same process as the uiohook recorder.
 */
export class RobotScreen implements ScreenSource {
  private readonly robot: ReturnType<typeof loadRobot>;
  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.robot = loadRobot(env);
  }
  async size(): Promise<{ width: number; height: number }> {
    return this.robot.getScreenSize();
  }
  async capture(region?: Rect): Promise<Capture> {
    const screen = this.robot.getScreenSize();
    const area = clipRect(region ?? { x: 0, y: 0, width: screen.width, height: screen.height }, screen.width, screen.height);
    if (area.width === 0 || area.height === 0) throw new SkillframeError('bad_input', `region ${JSON.stringify(region)} lies outside the ${screen.width}x${screen.height} screen`);
    const bitmap = this.robot.screen.capture(area.x, area.y, area.width, area.height);
    // robotjs gives BGRA rows of byteWidth bytes (possibly padded); repack as tight RGBA.
    const { width, height, byteWidth, bytesPerPixel, image } = bitmap;
    const rgba = Buffer.allocUnsafe(width * height * 4);
    for (let row = 0; row < height; row += 1) {
      let source = row * byteWidth;
      let target = row * width * 4;
      for (let column = 0; column < width; column += 1) {
        rgba[target] = image[source + 2];
        rgba[target + 1] = image[source + 1];
        rgba[target + 2] = image[source];
        rgba[target + 3] = 255;
        source += bytesPerPixel;
        target += 4;
      }
    }
    return { width, height, data: rgba };
  }
  dispose(): void {}
}
