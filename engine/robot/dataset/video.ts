import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { SkillframeError } from '../../../core/index.ts';
import { runProgram } from '../../../native/process/run.ts';
import { ffmpegPath } from '../../../native/video/ffmpeg-path.ts';

/**
 * Episode video that stays aligned with the state rows: the encoder takes exactly one frame per
 * row (raw RGB on its stdin) and stamps frame i at i / fps, so video and parquet can never drift.
 * A live camera runs in its own ffmpeg that decodes to raw frames; the recorder keeps only the
 * newest one and hands it to the encoder when a row is written. (Recording the camera straight to
 * mp4 let ffmpeg pick its own pace: a 2 s episode got 16–19 s of testsrc video.)
 */

function requireFfmpeg(why: string): string {
  const ffmpeg = ffmpegPath();
  if (!ffmpeg) throw new SkillframeError('unavailable', `ffmpeg is needed ${why} (system ffmpeg or npm @ffmpeg-installer/ffmpeg)`);
  return ffmpeg;
}

/** Waits for a child to exit; kills it after `limitMs`. Resolves with its stderr tail. */
function exited(child: ChildProcess, limitMs: number): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (code: number | null) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    };
    child.once('exit', (code) => finish(code));
    child.once('error', (error) => {
      stderr += error.message;
      finish(-1);
    });
    child.once('spawn', () => {
      timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
      timer.unref();
    });
  });
}

/** An mp4 encoder fed one raw RGB frame per call. */
export class FrameEncoder {
  private written = 0;
  private readonly child: ChildProcess;
  private readonly done: Promise<{ code: number | null; stderr: string }>;
  readonly frameBytes: number;

  constructor(
    readonly output: string,
    readonly width: number,
    readonly height: number,
    readonly fps: number,
  ) {
    const ffmpeg = requireFfmpeg('to encode camera video');
    mkdirSync(dirname(output), { recursive: true });
    this.frameBytes = width * height * 3;
    this.child = spawn(
      ffmpeg,
      // Even sizes for yuv420p; -g 2 keeps every cut within two frames of a keyframe.
      ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-framerate', String(fps), '-i', '-', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-g', '2', output],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    this.child.stdin!.on('error', () => undefined);
    this.done = exited(this.child, 24 * 3600 * 1000);
  }

  /** Queues one frame (width × height × 3 bytes, RGB). */
  write(rgb: Uint8Array): void {
    if (rgb.length !== this.frameBytes) throw new SkillframeError('internal', `camera frame has ${rgb.length} bytes, expected ${this.frameBytes} (${this.width}x${this.height} RGB)`);
    this.child.stdin!.write(rgb);
    this.written += 1;
  }

  async finish(): Promise<number> {
    this.child.stdin!.end();
    const result = await this.done;
    if (result.code !== 0) throw new SkillframeError('unavailable', `ffmpeg could not encode ${this.output}: ${result.stderr.slice(-300)}`);
    return this.written;
  }
}

/** Where a camera's frames come from: testsrc, an X display, a V4L2 device. */
function cameraInput(input: string, width: number, height: number, fps: number): string[] {
  const size = `${width}x${height}`;
  // -re: a synthetic source would otherwise run as fast as the CPU allows.
  if (input === 'testsrc') return ['-re', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${fps}`];
  if (input.startsWith('x11:')) return ['-f', 'x11grab', '-framerate', String(fps), '-video_size', size, '-i', input.slice(4)];
  if (input.startsWith('/dev/video')) return ['-f', 'v4l2', '-framerate', String(fps), '-video_size', size, '-i', input];
  throw new SkillframeError('bad_input', `camera ${JSON.stringify(input)}: expected testsrc, x11:DISPLAY or /dev/videoN`);
}

/** A live camera decoded to raw RGB; `latest()` is the newest whole frame. */
export class CameraGrabber {
  private frame: Uint8Array | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly child: ChildProcess;
  private readonly done: Promise<{ code: number | null; stderr: string }>;
  private readonly frameBytes: number;
  captured = 0;

  private constructor(input: string, width: number, height: number, fps: number) {
    const ffmpeg = requireFfmpeg('for camera recording');
    this.frameBytes = width * height * 3;
    this.child = spawn(ffmpeg, ['-hide_banner', '-loglevel', 'error', ...cameraInput(input, width, height, fps), '-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => this.take(chunk));
    this.done = exited(this.child, 24 * 3600 * 1000);
  }

  private take(chunk: Buffer) {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= this.frameBytes) {
      const all = Buffer.concat(this.pending);
      this.frame = new Uint8Array(all.subarray(0, this.frameBytes));
      this.captured += 1;
      const rest = all.subarray(this.frameBytes);
      this.pending = rest.length ? [rest] : [];
      this.pendingBytes = rest.length;
    }
  }

  /** Starts the camera and waits for its first frame, so row 0 already has a picture. */
  static async start(input: string, width: number, height: number, fps: number, timeoutMs = 10_000): Promise<CameraGrabber> {
    const grabber = new CameraGrabber(input, width, height, fps);
    const deadline = Date.now() + timeoutMs;
    while (!grabber.frame) {
      const ended = await Promise.race([grabber.done, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10))]);
      if (ended) throw new SkillframeError('unavailable', `camera ${input} stopped before its first frame: ${ended.stderr.slice(-300)}`);
      if (Date.now() > deadline) {
        grabber.child.kill('SIGKILL');
        throw new SkillframeError('timeout', `camera ${input} gave no frame within ${timeoutMs} ms`);
      }
    }
    return grabber;
  }

  latest(): Uint8Array {
    return this.frame!;
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.done;
  }
}

/** Frames in a video's first stream, counted by decoding (exact, unlike the container's guess). */
export async function countFrames(file: string): Promise<number> {
  const ffmpeg = requireFfmpeg('to read video');
  const result = await runProgram(ffmpeg, ['-hide_banner', '-nostats', '-i', file, '-map', '0:v:0', '-f', 'null', '-'], { timeoutMs: 120_000 });
  const matches = [...result.stderr.matchAll(/frame=\s*(\d+)/g)];
  if (result.code !== 0 || !matches.length) throw new SkillframeError('bad_input', `${file} is not a readable video: ${result.stderr.slice(-300)}`);
  return Number(matches.at(-1)![1]);
}

/**
 * Frames [first, first + count) of `source` into `target`, re-stamped from 0 at `fps`. Selecting
 * by frame number (not by seeking to a time) is exact for the constant-rate files LeRobot writes.
 */
export async function cutFrames(source: string, target: string, first: number, count: number, fps: number): Promise<void> {
  const ffmpeg = requireFfmpeg('to cut episodes out of a packed video');
  mkdirSync(dirname(target), { recursive: true });
  const filter = `select=between(n\\,${first}\\,${first + count - 1}),setpts=N/(${fps}*TB)`;
  const result = await runProgram(
    ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-y', '-i', source, '-map', '0:v:0', '-vf', filter, '-r', String(fps), '-frames:v', String(count), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '2', target],
    { timeoutMs: 300_000 },
  );
  if (result.code !== 0) throw new SkillframeError('bad_input', `could not cut frames ${first}..${first + count - 1} out of ${source}: ${result.stderr.slice(-300)}`);
}

/** Joins videos end to end into one file at `fps` (LeRobot packs several episodes per mp4). */
export async function concatVideos(sources: string[], target: string, fps: number): Promise<void> {
  if (sources.length === 1) {
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(sources[0], target);
    return;
  }
  const ffmpeg = requireFfmpeg('to pack episode videos');
  mkdirSync(dirname(target), { recursive: true });
  const list = join(tmpdir(), `skillframe-concat-${process.pid}-${Date.now()}.txt`);
  writeFileSync(list, sources.map((source) => `file '${source.replace(/'/g, "'\\''")}'\n`).join(''));
  const result = await runProgram(
    ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-map', '0:v:0', '-vf', `setpts=N/(${fps}*TB)`, '-r', String(fps), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '2', target],
    { timeoutMs: 300_000 },
  );
  if (result.code !== 0) throw new SkillframeError('unavailable', `could not pack ${sources.length} videos into ${target}: ${result.stderr.slice(-300)}`);
}

/** Every frame of a video as raw RGB (width × height × 3 bytes each), scaled to that size. */
export async function decodeFrames(file: string, width: number, height: number): Promise<Uint8Array[]> {
  const ffmpeg = requireFfmpeg('to read video');
  const child = spawn(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-i', file, '-map', '0:v:0', '-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  const result = await exited(child, 300_000);
  if (result.code !== 0) throw new SkillframeError('bad_input', `${file} could not be decoded: ${result.stderr.slice(-300)}`);
  const all = Buffer.concat(chunks);
  const size = width * height * 3;
  return Array.from({ length: Math.floor(all.length / size) }, (_, index) => new Uint8Array(all.subarray(index * size, (index + 1) * size)));
}
