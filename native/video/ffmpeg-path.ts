import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The ffmpeg that ships in @ffmpeg-installer (x11grab + libx264), else one on PATH. */
export function ffmpegPath(): string | undefined {
  if (process.env.SKILLFRAME_FFMPEG && existsSync(process.env.SKILLFRAME_FFMPEG)) return process.env.SKILLFRAME_FFMPEG;
  try {
    const require = createRequire(import.meta.url);
    const installer = require('@ffmpeg-installer/ffmpeg') as { path: string };
    if (existsSync(installer.path)) return installer.path;
  } catch {
    /* fall through to PATH */
  }
  return ['/usr/bin/ffmpeg', '/usr/local/bin/ffmpeg'].find((path) => existsSync(path));
}
