import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describeZodError, SkillframeError } from '../../core/errors.ts';
import {
  TrajectoryEvent,
  TrajectoryMeta,
  trajectoryFiles,
  type Trajectory,
  type TrajectoryEventInput,
  type TrajectoryMetaInput,
} from '../../core/schemas/trajectory.ts';
import { writeFileAtomically } from '../../native/files.ts';

/**
 * Reading and writing trajectory folders (format: core/schemas/trajectory.ts).
 *
 * Crash safety comes from the order of writes, not from locks: a frame is written to a temp name
 * and renamed before the event line that names it is appended, and each line goes to the kernel
 * in one write() as soon as the event is complete. A `kill -9` therefore leaves at most one torn
 * line at the end of events.jsonl and maybe a stray *.tmp frame, which `readTrajectory` repairs.
 */

const lockName = 'recording.lock';

export interface RepairReport {
  /** True when the folder on disk was changed by this read. */
  repaired: boolean;
  /** Lines dropped: a torn tail, or lines that were not valid events. */
  droppedLines: number;
  /** Bytes cut from the end of events.jsonl. */
  droppedBytes: number;
  /** Frame references that pointed at missing files (removed from the events). */
  missingFrames: number;
  /** Stray temp files removed from frames/. */
  removedTemporaryFiles: number;
  /** A live recorder still holds the folder, so nothing was changed on disk. */
  live: boolean;
}

export interface ReadTrajectoryResult extends Trajectory {
  repair: RepairReport;
}

/**
 * Reads a trajectory folder. Unless a live recorder holds it, a crashed recording is repaired in
 * place: the torn tail is cut, stray temp frames removed, references to missing frames dropped,
 * and trajectory.json marked `repaired` with `ended` set to the last event's time.
 */
export function readTrajectory(dir: string, options: { repair?: boolean } = {}): ReadTrajectoryResult {
  const metaPath = join(dir, trajectoryFiles.meta);
  if (!existsSync(metaPath)) throw new SkillframeError('not_found', `trajectory folder ${JSON.stringify(dir)} has no ${trajectoryFiles.meta}`);
  let rawMeta: unknown;
  try {
    rawMeta = JSON.parse(readFileSync(metaPath, 'utf8'));
  } catch (error) {
    throw new SkillframeError('bad_input', `${metaPath}: not valid JSON (${(error as Error).message})`);
  }
  const metaResult = TrajectoryMeta.safeParse(rawMeta);
  if (!metaResult.success) throw new SkillframeError('bad_input', `${metaPath}: ${describeZodError(metaResult.error, rawMeta, 'trajectory')}`);
  let meta = metaResult.data;

  const live = isHeldByLiveRecorder(dir);
  const allowWrite = options.repair !== false && !live;
  const report: RepairReport = { repaired: false, droppedLines: 0, droppedBytes: 0, missingFrames: 0, removedTemporaryFiles: 0, live };

  const eventsPath = join(dir, trajectoryFiles.events);
  const buffer = existsSync(eventsPath) ? readFileSync(eventsPath) : Buffer.alloc(0);
  const events: TrajectoryEvent[] = [];
  let goodEnd = 0; // byte offset just past the last line we keep verbatim
  let rewriteNeeded = false;
  let start = 0;
  while (start < buffer.length) {
    const newline = buffer.indexOf(0x0a, start);
    const end = newline === -1 ? buffer.length : newline + 1;
    const line = buffer.subarray(start, newline === -1 ? buffer.length : newline).toString('utf8').trim();
    const isTail = newline === -1;
    if (line.length > 0) {
      const event = parseEventLine(line);
      if (event && (events.length === 0 || event.seq > events[events.length - 1].seq)) {
        events.push(event);
        // A whole last line that only lacks its newline is kept; the rewrite adds the newline.
        if (isTail) rewriteNeeded = true;
        else if (!rewriteNeeded) goodEnd = end;
      } else {
        report.droppedLines += 1;
        // A bad line in the middle (not just a torn tail) means the file must be rewritten.
        if (!isTail && !rewriteNeeded) rewriteNeeded = true;
      }
    } else if (!rewriteNeeded) goodEnd = end;
    start = end;
  }
  report.droppedBytes = rewriteNeeded ? 0 : buffer.length - goodEnd;

  for (const event of events) {
    if (!event.frames) continue;
    for (const which of ['before', 'after'] as const) {
      const name = event.frames[which];
      if (name !== undefined && !isSafeRelative(name)) {
        delete event.frames[which];
        report.missingFrames += 1;
        rewriteNeeded = true;
      } else if (name !== undefined && !existsSync(join(dir, name))) {
        delete event.frames[which];
        report.missingFrames += 1;
        rewriteNeeded = true;
      }
    }
  }

  const framesDir = join(dir, trajectoryFiles.frames);
  const temporary = existsSync(framesDir) ? readdirSync(framesDir).filter((name) => name.endsWith('.tmp')) : [];
  const crashed = meta.status === 'recording' && !live;

  if (allowWrite && (rewriteNeeded || report.droppedBytes > 0 || temporary.length > 0 || crashed)) {
    if (rewriteNeeded) {
      writeAtomically(eventsPath, events.map((event) => `${JSON.stringify(event)}\n`).join(''));
    } else if (report.droppedBytes > 0) {
      writeAtomically(eventsPath, buffer.subarray(0, goodEnd));
    }
    for (const name of temporary) rmSync(join(framesDir, name), { force: true });
    report.removedTemporaryFiles = temporary.length;
    if (crashed || meta.status !== 'complete' || rewriteNeeded || report.droppedBytes > 0) {
      const last = events[events.length - 1];
      meta = {
        ...meta,
        status: meta.status === 'complete' ? 'complete' : 'repaired',
        ended: meta.ended ?? new Date(last ? last.at : Date.parse(meta.started)).toISOString(),
        eventCount: events.length,
      };
      writeAtomically(metaPath, `${JSON.stringify(meta, null, 2)}\n`);
    }
    rmSync(join(dir, lockName), { force: true });
    report.repaired = true;
  }
  return { dir, meta, events, repair: report };
}

function parseEventLine(line: string): TrajectoryEvent | undefined {
  try {
    const result = TrajectoryEvent.safeParse(JSON.parse(line));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** Frame paths are relative, inside the folder: a hand-edited file must not point elsewhere. */
function isSafeRelative(name: string): boolean {
  return !name.startsWith('/') && !name.split(/[\\/]/).includes('..');
}

function isHeldByLiveRecorder(dir: string): boolean {
  const path = join(dir, lockName);
  if (!existsSync(path)) return false;
  try {
    const pid = Number(JSON.parse(readFileSync(path, 'utf8')).pid);
    if (!Number.isInteger(pid) || pid <= 1) return false;
    if (pid === process.pid) return true;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Recordings hold screens and keystrokes: files are the owner's alone (0600, folders 0700). */
const privateFile = 0o600;
const privateFolder = 0o700;

function writeAtomically(path: string, data: string | Buffer): void {
  writeFileAtomically(path, data, { mode: privateFile });
}

/** How many frames a trajectory folder holds (0 when it has no frames/ folder). */
export function countFrames(dir: string): number {
  try {
    return readdirSync(join(dir, trajectoryFiles.frames)).filter((name) => name.endsWith('.png')).length;
  } catch {
    return 0;
  }
}

/**
 * Appends to a new trajectory folder. One owner; `close()` marks it complete. Every append is
 * validated against the schema, so a bug in a recorder cannot write a line a reader would drop.
 */
export class TrajectoryWriter {
  readonly dir: string;
  private meta: TrajectoryMeta;
  private readonly fd: number;
  private seq = 0;
  private closed = false;
  private readonly durable: boolean;
  private readonly startedAt: number;

  private constructor(dir: string, meta: TrajectoryMeta, fd: number, durable: boolean) {
    this.dir = dir;
    this.meta = meta;
    this.fd = fd;
    this.durable = durable;
    this.startedAt = Date.parse(meta.started);
  }

  /**
   * Creates the folder (it must be empty or absent) and writes trajectory.json.
   * `durable` also fsyncs each line, for power loss rather than a killed process.
   */
  static create(dir: string, meta: TrajectoryMetaInput, options: { durable?: boolean } = {}): TrajectoryWriter {
    if (existsSync(dir)) {
      if (!statSync(dir).isDirectory()) throw new SkillframeError('bad_input', `--out ${JSON.stringify(dir)} exists and is not a folder`);
      const present = readdirSync(dir);
      if (present.length > 0) throw new SkillframeError('refused', `--out ${JSON.stringify(dir)} is not empty (${present.slice(0, 3).join(', ')}); pick a new folder`);
    }
    mkdirSync(join(dir, trajectoryFiles.frames), { recursive: true, mode: privateFolder });
    const parsed = TrajectoryMeta.safeParse(meta);
    if (!parsed.success) throw new SkillframeError('internal', `recorder wrote bad trajectory meta: ${describeZodError(parsed.error, meta, 'trajectory')}`);
    writeFileSync(join(dir, lockName), JSON.stringify({ pid: process.pid, since: Date.now() }), { mode: privateFile });
    writeAtomically(join(dir, trajectoryFiles.meta), `${JSON.stringify(parsed.data, null, 2)}\n`);
    const fd = openSync(join(dir, trajectoryFiles.events), 'a', privateFile);
    return new TrajectoryWriter(dir, parsed.data, fd, options.durable ?? false);
  }

  get eventCount(): number {
    return this.seq;
  }

  get metadata(): TrajectoryMeta {
    return this.meta;
  }

  /** Milliseconds since the recording started. */
  elapsed(at = Date.now()): number {
    return Math.max(0, at - this.startedAt);
  }

  /** Stores a frame under frames/ and returns its path relative to the folder. */
  writeFrame(name: string, png: Buffer): string {
    if (!/^[\w.-]+$/.test(name)) throw new SkillframeError('internal', `bad frame name ${JSON.stringify(name)}`);
    const relative = `${trajectoryFiles.frames}/${name}`;
    writeAtomically(join(this.dir, relative), png);
    return relative;
  }

  /** Validates and appends one event; it is on disk (in the kernel) when this returns. */
  append(event: Omit<TrajectoryEventInput, 'seq' | 't'> & { t?: number }): TrajectoryEvent {
    if (this.closed) throw new SkillframeError('internal', 'append after close');
    const candidate = { ...event, seq: this.seq, t: event.t ?? this.elapsed(event.at) };
    const parsed = TrajectoryEvent.safeParse(candidate);
    if (!parsed.success) throw new SkillframeError('internal', `recorder produced a bad event: ${describeZodError(parsed.error, candidate, 'event')}`);
    writeSync(this.fd, `${JSON.stringify(parsed.data)}\n`);
    if (this.durable) fsyncSync(this.fd);
    this.seq += 1;
    return parsed.data;
  }

  /** Adds fields to trajectory.json (e.g. the start frame, the video) while recording. */
  updateMeta(patch: Partial<TrajectoryMetaInput>): void {
    const next = TrajectoryMeta.parse({ ...this.meta, ...patch });
    this.meta = next;
    writeAtomically(join(this.dir, trajectoryFiles.meta), `${JSON.stringify(next, null, 2)}\n`);
  }

  /** Marks the trajectory complete. Safe to call twice. */
  close(): TrajectoryMeta {
    if (this.closed) return this.meta;
    this.closed = true;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.updateMeta({ status: 'complete', ended: new Date().toISOString(), eventCount: this.seq });
    rmSync(join(this.dir, lockName), { force: true });
    return this.meta;
  }
}
