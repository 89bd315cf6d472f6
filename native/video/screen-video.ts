import { spawn } from 'node:child_process';
import { SkillframeError } from '../../core/errors.ts';
import { ffmpegPath } from './ffmpeg-path.ts';

/** A running screen video; `stop()` finishes the file, `dispose()` makes sure ffmpeg is gone. */
export interface ScreenVideo {
  readonly path: string;
  stop(): Promise<{ path: string; ok: boolean }>;
  dispose(): void;
}

/**
 * Records the X display to an mp4 with ffmpeg x11grab + libx264. The file is fragmented
 * (empty_moov), so even a recording whose process was killed leaves a playable video.
 */
export async function startScreenVideo(options: {
  path: string;
  width: number;
  height: number;
  fps?: number;
  env?: NodeJS.ProcessEnv;
}): Promise<ScreenVideo> {
  const ffmpeg = ffmpegPath();
  if (!ffmpeg) throw new SkillframeError('unavailable', 'ffmpeg not found (npm package @ffmpeg-installer/ffmpeg)');
  const env = options.env ?? process.env;
  if (!env.DISPLAY) throw new SkillframeError('unavailable', 'screen video needs an X display: DISPLAY is not set');
  // libx264 wants even sizes.
  const width = options.width - (options.width % 2);
  const height = options.height - (options.height % 2);
  const child = spawn(
    ffmpeg,
    [
      '-loglevel', 'error', '-y',
      '-f', 'x11grab', '-framerate', String(options.fps ?? 10), '-video_size', `${width}x${height}`, '-i', `${env.DISPLAY}+0,0`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
      '-movflags', 'frag_keyframe+empty_moov',
      options.path,
    ],
    { env, stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4096)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (error) => reject(new SkillframeError('unavailable', `ffmpeg failed to start: ${error.message}`)));
  });
  let stopped: Promise<{ path: string; ok: boolean }> | undefined;
  return {
    path: options.path,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null) child.stdin?.end('q');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        const code = await exited;
        clearTimeout(timer);
        if (code !== 0 && stderr) process.emitWarning(`ffmpeg screen video: ${stderr.trim().slice(0, 300)}`);
        return { path: options.path, ok: code === 0 };
      })();
      return stopped;
    },
    dispose() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
