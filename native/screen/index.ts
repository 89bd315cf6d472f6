export { clipRect, type Capture, type ScreenSource } from './screen.ts';
export { FakeScreen } from './fake-screen.ts';
export { decodePng, meanDifference, obscureRegions } from './image.ts';
export { encodePng } from '../image.ts';

/** The real screen of `env.DISPLAY`: robotjs (fast) when it can take that display, else ffmpeg. */
export async function createScreen(env: NodeJS.ProcessEnv = process.env) {
  if (env.DISPLAY) {
    try {
      return new (await import('./robot-screen.ts')).RobotScreen(env);
    } catch {
      /* robotjs missing: fall back to ffmpeg */
    }
  }
  return new (await import('./ffmpeg-screen.ts')).FfmpegScreen(env);
}
