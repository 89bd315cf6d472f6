import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { SkillframeError } from '../../core/errors.ts';
import type { RecordingSummary } from '../../core/commands/recording.ts';
import type { HandlerTable } from '../dispatcher.ts';
import { homePath } from '../home.ts';

/**
 * Handlers of the recording room. Keep this file thin: import heavy modules lazily inside each
 * handler so the CLI starts fast.
 */

/** Recordings started by this host, so the UI's stop button can end them (and only them). */
const activeRecordings = new Set<AbortController>();

function recordingsRoot(): string {
  return homePath('recordings');
}

function defaultOut(): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('Z', '');
  return join(recordingsRoot(), stamp);
}

export const recordingHandlers: HandlerTable = {
  record: async (input, context) => {
    const { parseRedactions } = await import('../../engine/computer/recorder/privacy.ts');
    const { readScript } = await import('../../engine/computer/recorder/script.ts');
    const redactions = parseRedactions(input.redact);
    const script = input.script !== undefined ? readScript(resolve(input.script)) : undefined;
    const out = resolve(input.out ?? defaultOut());
    // Refuse a used folder before launching anything (the writer checks again, atomically enough).
    if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
      throw new SkillframeError('refused', `input.out: ${JSON.stringify(out)} already exists and is not an empty folder; pick a new one`);
    }
    const stop = new AbortController();
    const onStop = () => stop.abort(context.signal.reason);
    if (context.signal.aborted) onStop();
    context.signal.addEventListener('abort', onStop, { once: true });
    activeRecordings.add(stop);
    const subject = input.url ?? input.app ?? `window ${input.attach}`;
    const common = {
      out,
      script,
      redactions,
      signal: stop.signal,
      maxDurationMs: input.maxDuration,
      stepGapMs: input.stepGap,
      onEvent: (event: import('../../core/schemas/trajectory.ts').TrajectoryEvent) => {
        const { ariaSnapshot: _snapshot, ...live } = event;
        context.emit('record.event', { dir: out, event: live });
        context.progress({ message: `${event.seq + 1} events · last: ${describeEvent(event)}` });
      },
      onLog: (level: 'info' | 'warn', message: string) => context.emit('log', { level, message }),
    };
    try {
      let started = false;
      const announce = (kind: 'x11' | 'web') => {
        if (started) return;
        started = true;
        context.emit('record.started', { dir: out, kind, subject });
      };
      let result;
      if (input.url !== undefined) {
        const { recordWeb } = await import('../../engine/computer/recorder/web-recorder.ts');
        announce('web');
        // A person needs to see the page they are showing; a script does not.
        const headed = input.headed ?? (script === undefined && Boolean(process.env.DISPLAY));
        result = await recordWeb({ ...common, url: input.url, headed });
      } else {
        const { recordX11 } = await import('../../engine/computer/recorder/x11-recorder.ts');
        announce('x11');
        result = await recordX11({ ...common, app: input.app, attach: input.attach, video: input.video, keepApp: input.keepApp });
      }
      context.emit('record.stopped', { dir: out, events: result.events, stoppedBy: result.stoppedBy });
      return result;
    } finally {
      activeRecordings.delete(stop);
      context.signal.removeEventListener('abort', onStop);
    }
  },

  'record.list': async (input) => {
    const { readTrajectory } = await import('../../skills-mm/trajectory/store.ts');
    const dir = resolve(input.dir ?? recordingsRoot());
    if (!existsSync(dir)) return { dir, recordings: [] };
    const recordings: RecordingSummary[] = [];
    const candidates = existsSync(join(dir, 'trajectory.json')) ? [dir] : readdirSync(dir).map((name) => join(dir, name));
    for (const candidate of candidates) {
      try {
        if (!statSync(candidate).isDirectory() || !existsSync(join(candidate, 'trajectory.json'))) continue;
        // Listing must not change folders: a live recording, or one another tool is reading.
        const { meta, events } = readTrajectory(candidate, { repair: false });
        recordings.push({
          dir: candidate,
          id: meta.id,
          kind: meta.kind,
          subject: meta.url ?? meta.app?.name ?? meta.app?.command ?? meta.app?.window?.title ?? meta.kind,
          started: meta.started,
          ...(meta.ended ? { ended: meta.ended } : {}),
          status: meta.status,
          mode: meta.mode,
          events: events.length,
          ...(meta.startFrame ? { startFrame: meta.startFrame } : {}),
          ...(meta.video ? { video: meta.video } : {}),
        });
      } catch {
        /* not a readable trajectory: skip it */
      }
    }
    recordings.sort((a, b) => b.started.localeCompare(a.started));
    return { dir, recordings };
  },

  'record.show': async (input) => {
    const { readTrajectory } = await import('../../skills-mm/trajectory/store.ts');
    const read = readTrajectory(resolve(input.dir));
    const events = read.events.slice(-input.limit).map(({ ariaSnapshot: _snapshot, ...event }) => event);
    return { meta: read.meta, events, repair: read.repair };
  },

  'record.frame': (input) => {
    const dir = resolve(input.dir);
    const path = resolve(dir, input.frame);
    const inside = relative(dir, path);
    if (inside.startsWith('..') || isAbsolute(inside) || !inside.startsWith('frames')) throw new SkillframeError('refused', `input.frame: ${JSON.stringify(input.frame)} is not a frame inside the recording`);
    if (!existsSync(path)) throw new SkillframeError('not_found', `input.frame: ${JSON.stringify(input.frame)} does not exist in ${dir}`);
    const bytes = readFileSync(path);
    if (bytes.length > 16 * 1024 * 1024) throw new SkillframeError('refused', `input.frame: ${bytes.length} bytes is too large to send`);
    return { dataUrl: `data:image/png;base64,${bytes.toString('base64')}`, bytes: bytes.length };
  },

  'record.stop': () => {
    let stopped = 0;
    for (const controller of activeRecordings) {
      if (controller.signal.aborted) continue;
      controller.abort(new SkillframeError('aborted', 'stopped from the UI'));
      stopped += 1;
    }
    return { stopped };
  },
};

function describeEvent(event: { kind: string; text?: string; key?: string; target?: { name?: string; role?: string }; window?: { title: string } }): string {
  const what = event.text !== undefined ? `"${event.text.slice(0, 30)}"` : event.key ?? '';
  const where = event.target?.name ?? event.window?.title ?? '';
  return [event.kind, what, where && `on ${where.slice(0, 40)}`].filter(Boolean).join(' ');
}
