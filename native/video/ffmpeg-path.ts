import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * SKILLFRAME_FFMPEG, else the system's ffmpeg (kept current by the distribution, with ffprobe
 * beside it), else the one that ships in @ffmpeg-installer (a 2018 build, but x11grab + libx264
 * on any machine).
 */
export function ffmpegPath(): string | undefined {
  if (process.env.SKILLFRAME_FFMPEG && existsSync(process.env.SKILLFRAME_FFMPEG)) return process.env.SKILLFRAME_FFMPEG;
  const system = ['/usr/bin/ffmpeg', '/usr/local/bin/ffmpeg'].find((path) => existsSync(path));
  if (system) return system;
  try {
    const require = createRequire(import.meta.url);
    const installer = require('@ffmpeg-installer/ffmpeg') as { path: string };
    if (existsSync(installer.path)) return installer.path;
  } catch {
    /* not installed */
  }
  return undefined;
}
