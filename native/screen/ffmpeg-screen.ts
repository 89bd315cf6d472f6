import { SkillframeError } from '../../core/errors.ts';
import type { Rect } from '../../core/schemas/trajectory.ts';
import { runProgram } from '../process/run.ts';
import { ffmpegPath } from '../video/ffmpeg-path.ts';
import { clipRect, type Capture, type ScreenSource } from './screen.ts';

/**
 * Screen capture through ffmpeg x11grab (~0.1 s a frame): slower than robotjs, but works for any
 * DISPLAY named in `env`, not just this process's.
 */
export class FfmpegScreen implements ScreenSource {
  private readonly env: NodeJS.ProcessEnv;
  private cachedSize: { width: number; height: number } | undefined;
  constructor(env: NodeJS.ProcessEnv = process.env) {
    if (!env.DISPLAY) throw new SkillframeError('unavailable', 'no X display: DISPLAY is not set');
    this.env = env;
  }
  async size(): Promise<{ width: number; height: number }> {
    if (this.cachedSize) return this.cachedSize;
    const result = await runProgram('xdpyinfo', [], { env: this.env, timeoutMs: 10_000 }).catch(() => undefined);
    const match = result && /dimensions:\s+(\d+)x(\d+)/.exec(result.stdout);
    if (!match) throw new SkillframeError('unavailable', `cannot read the size of display ${this.env.DISPLAY} (is xdpyinfo installed?)`);
    this.cachedSize = { width: Number(match[1]), height: Number(match[2]) };
    return this.cachedSize;
  }
  async capture(region?: Rect): Promise<Capture> {
    const ffmpeg = ffmpegPath();
    if (!ffmpeg) throw new SkillframeError('unavailable', 'ffmpeg not found (npm package @ffmpeg-installer/ffmpeg)');
    const screen = await this.size();
    const area = clipRect(region ?? { x: 0, y: 0, ...screen }, screen.width, screen.height);
    if (area.width === 0 || area.height === 0) throw new SkillframeError('bad_input', `region ${JSON.stringify(region)} lies outside the screen`);
    const { spawn } = await import('node:child_process');
    // Without the pointer, like the robotjs path: a moved pointer is not a change of the app.
    const child = spawn(
      ffmpeg,
      ['-loglevel', 'error', '-f', 'x11grab', '-draw_mouse', '0', '-video_size', `${area.width}x${area.height}`, '-i', `${this.env.DISPLAY}+${area.x},${area.y}`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'],
      { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const rgba = Buffer.concat(chunks);
    if (code !== 0 || rgba.length !== area.width * area.height * 4) throw new SkillframeError('unavailable', `ffmpeg x11grab failed: ${stderr.trim().slice(0, 200)}`);
    return { width: area.width, height: area.height, data: rgba };
  }
  dispose(): void {}
}
