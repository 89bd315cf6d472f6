import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeZodError, SkillframeError } from '../../../core/index.ts';
import { CameraGrabber, FrameEncoder } from './video.ts';
import { writeFileAtomically } from '../../../native/files.ts';

/**
 * Internal episode store: append-only, one folder per episode. `frames.jsonl` gets one line per
 * control tick as it happens, so a crash loses at most the tick in flight; `episode.json` is
 * rewritten atomically when the episode ends. Each row carries exactly one video frame per camera
 * (./video.ts), so frame i of the mp4 belongs to row i.
 */
export const EpisodeMeta = z.object({
  version: z.literal(1),
  index: z.number().int().nonnegative(),
  task: z.string(),
  robotType: z.string(),
  fps: z.number().positive(),
  jointNames: z.array(z.string()).min(1),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  length: z.number().int().nonnegative().optional(),
  cameras: z.array(z.object({ name: z.string(), file: z.string(), width: z.number().int(), height: z.number().int(), fps: z.number() })).default([]),
});
export type EpisodeMeta = z.infer<typeof EpisodeMeta>;

export const EpisodeFrame = z.object({
  /** Seconds since the episode started, as measured. */
  t: z.number(),
  observation: z.array(z.number()),
  action: z.array(z.number()),
  /** A copy of the previous row standing in for a control tick the loop skipped (a deadline miss). */
  filled: z.boolean().optional(),
});
export type EpisodeFrame = z.infer<typeof EpisodeFrame>;

export interface CameraSpec {
  /** `testsrc` (a synthetic pattern), `x11:DISPLAY` (screen grab), a V4L2 device like /dev/video0, or `frames` (given to `append`). */
  input: string;
  name: string;
  width: number;
  height: number;
}

function episodeFolder(datasetDir: string, index: number): string {
  return join(datasetDir, 'episodes', `episode-${String(index).padStart(6, '0')}`);
}

export function listEpisodes(datasetDir: string): EpisodeMeta[] {
  const root = join(datasetDir, 'episodes');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => /^episode-\d{6}$/.test(name))
    .sort()
    .map((name) => readEpisodeMeta(join(root, name)));
}

function readEpisodeMeta(folder: string): EpisodeMeta {
  const path = join(folder, 'episode.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SkillframeError('bad_input', `episode file ${path} is unreadable: ${(error as Error).message}`);
  }
  const parsed = EpisodeMeta.safeParse(raw);
  if (!parsed.success) throw new SkillframeError('bad_input', `episode file ${path}: ${describeZodError(parsed.error, raw, 'episode')}`);
  return parsed.data;
}

/** Frames of one episode; a torn last line (a crash mid-write) is dropped, not fatal. */
export function readEpisodeFrames(datasetDir: string, index: number): EpisodeFrame[] {
  const path = join(episodeFolder(datasetDir, index), 'frames.jsonl');
  const lines = readFileSync(path, 'utf8').split('\n');
  const frames: EpisodeFrame[] = [];
  lines.forEach((line, number) => {
    if (!line.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      if (number >= lines.length - 2) return; // the torn tail of a crashed recording
      throw new SkillframeError('bad_input', `${path}:${number + 1} is not JSON`);
    }
    const parsed = EpisodeFrame.safeParse(raw);
    if (!parsed.success) throw new SkillframeError('bad_input', `${path}:${number + 1}: ${describeZodError(parsed.error, raw, 'frame')}`);
    frames.push(parsed.data);
  });
  return frames;
}

export function episodeFile(datasetDir: string, index: number, file: string): string {
  return join(episodeFolder(datasetDir, index), file);
}

export class EpisodeRecorder {
  readonly folder: string;
  readonly meta: EpisodeMeta;
  private readonly framesPath: string;
  private length = 0;
  private origin: number | undefined;
  private previous: { frame: EpisodeFrame; images: Record<string, Uint8Array> } | undefined;
  private cameras: { name: string; encoder: FrameEncoder; grabber?: CameraGrabber }[] = [];

  private constructor(folder: string, meta: EpisodeMeta) {
    this.folder = folder;
    this.meta = meta;
    this.framesPath = join(folder, 'frames.jsonl');
  }

  /**
   * Creates the next episode folder of a dataset and starts the cameras (each has given its first
   * frame when this returns). A camera whose input is `frames` is fed by the caller through
   * `append(frame, images)` (a simulator's rendered view).
   */
  static async start(datasetDir: string, options: { task: string; robotType: string; fps: number; jointNames: string[]; cameras?: CameraSpec[]; signal?: AbortSignal }): Promise<EpisodeRecorder> {
    const existing = listEpisodes(datasetDir);
    const index = existing.length ? Math.max(...existing.map((episode) => episode.index)) + 1 : 0;
    const folder = episodeFolder(datasetDir, index);
    mkdirSync(folder, { recursive: true });
    const meta: EpisodeMeta = {
      version: 1,
      index,
      task: options.task,
      robotType: options.robotType,
      fps: options.fps,
      jointNames: options.jointNames,
      startedAt: new Date().toISOString(),
      cameras: (options.cameras ?? []).map((camera) => ({ name: camera.name, file: `camera-${camera.name}.mp4`, width: camera.width, height: camera.height, fps: options.fps })),
    };
    const recorder = new EpisodeRecorder(folder, meta);
    writeFileSync(recorder.framesPath, '');
    recorder.writeMeta();
    try {
      for (const camera of options.cameras ?? []) {
        const grabber = camera.input === 'frames' ? undefined : await CameraGrabber.start(camera.input, camera.width, camera.height, options.fps);
        recorder.cameras.push({ name: camera.name, grabber, encoder: new FrameEncoder(join(folder, `camera-${camera.name}.mp4`), camera.width, camera.height, options.fps) });
      }
    } catch (error) {
      await recorder.finish().catch(() => undefined);
      throw error;
    }
    return recorder;
  }

  /**
   * One state row, and with it exactly one video frame per camera (the newest it captured). Row i
   * stands for time i / fps: when the control loop skipped ticks (deadline misses on a loaded
   * machine), the previous row and frames are repeated for the skipped slots, marked `filled`, so
   * rows and video never fall behind the clock; a row whose slot is already taken (a late tick
   * followed by an early one) is left out, so no row runs ahead of it either.
   */
  append(frame: EpisodeFrame, images: Record<string, Uint8Array> = {}): void {
    this.origin ??= frame.t;
    const slot = Math.round((frame.t - this.origin) * this.meta.fps);
    if (slot < this.length) return;
    while (this.previous && this.length < slot) this.write({ ...this.previous.frame, t: this.origin + this.length / this.meta.fps, filled: true }, this.previous.images);
    const current: Record<string, Uint8Array> = {};
    for (const camera of this.cameras) {
      const image = camera.grabber ? camera.grabber.latest() : images[camera.name];
      if (!image) throw new SkillframeError('internal', `row ${this.length} has no image for camera ${camera.name}`);
      current[camera.name] = image;
    }
    this.write(frame, current);
    this.previous = { frame, images: current };
  }

  private write(frame: EpisodeFrame, images: Record<string, Uint8Array>): void {
    for (const camera of this.cameras) camera.encoder.write(images[camera.name]);
    appendFileSync(this.framesPath, `${JSON.stringify(frame)}\n`);
    this.length += 1;
  }

  private writeMeta() {
    const path = join(this.folder, 'episode.json');
    writeFileAtomically(path, `${JSON.stringify(this.meta, null, 2)}\n`);
  }

  async finish(): Promise<EpisodeMeta> {
    const cameras = this.cameras;
    this.cameras = [];
    await Promise.all(cameras.map((camera) => camera.grabber?.stop()));
    await Promise.all(cameras.map((camera) => camera.encoder.finish()));
    this.meta.length = this.length;
    this.meta.endedAt = new Date().toISOString();
    this.writeMeta();
    return this.meta;
  }
}
