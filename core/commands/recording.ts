import { z } from 'zod';
import { defineCommand, defineEvent } from '../contract.ts';
import { commandMap, eventMap } from '../registry-helpers.ts';
import { TrajectoryEvent, TrajectoryMeta } from '../schemas/trajectory.ts';

/** Commands of the recording room: record an app or a page, list and show recordings, stop. */

export const RecordOutput = z.object({
  dir: z.string(),
  kind: z.enum(['x11', 'web']),
  events: z.number().int().nonnegative(),
  frames: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  /** What ended it: the script ran out, a stop (Ctrl+C, `skillframe stop`, the UI), the app closed, or --max-duration. */
  stoppedBy: z.enum(['script', 'signal', 'app_exit', 'max_duration']),
  video: z.string().optional(),
  warnings: z.array(z.string()),
});
export type RecordOutput = z.infer<typeof RecordOutput>;

export const RecordingSummary = z.object({
  dir: z.string(),
  id: z.string(),
  kind: z.enum(['x11', 'web']),
  /** The app name (X11) or the start URL (web). */
  subject: z.string(),
  started: z.string(),
  ended: z.string().optional(),
  status: z.enum(['recording', 'complete', 'repaired']),
  mode: z.enum(['person', 'script']),
  events: z.number().int().nonnegative(),
  startFrame: z.string().optional(),
  video: z.string().optional(),
});
export type RecordingSummary = z.infer<typeof RecordingSummary>;

/** An event as shown live: the stored event without its (long) aria snapshot. */
export const LiveEvent = TrajectoryEvent.omit({ ariaSnapshot: true });

const recordInput = z
  .object({
    url: z.string().max(8000).optional().describe('record this web page in Chromium'),
    app: z.string().max(4000).optional().describe('launch this X11 app command line and record it'),
    attach: z.string().max(1000).optional().describe('record a running X11 window: its id, "active", or a title regex'),
    out: z.string().max(4000).optional().describe('trajectory folder to create (default ~/.skillframe/recordings/<time>)'),
    script: z.string().max(4000).optional().describe('JSON file of steps that stand in for the person'),
    video: z.boolean().optional().describe('also record the screen to video.mp4 (X11)'),
    redact: z.array(z.string().max(1000)).max(50).optional().describe('redaction: email, private_key, api_key, card, password_like, none, or name=/regex/flags (default: all five built-ins)'),
    headed: z.boolean().optional().describe('show the browser window (default: shown for a person when DISPLAY is set, hidden for a script)'),
    keepApp: z.boolean().optional().describe('leave a launched app running afterwards'),
    maxDuration: z.number().int().min(0).max(24 * 3600_000).optional().describe('stop by itself after this many ms'),
    stepGap: z.number().int().min(0).max(60_000).optional().describe('ms between scripted steps (default 700 on X11, 500 on the web)'),
  })
  .strict()
  .superRefine((input, context) => {
    const given = [input.url, input.app, input.attach].filter((value) => value !== undefined).length;
    if (given !== 1) context.addIssue({ code: 'custom', path: ['url'], message: 'give exactly one of --url URL, --app "CMD" or --attach WINDOW' });
  });

export const commands = commandMap(
  defineCommand({
    name: 'record',
    summary: 'Record a person (or a --script standing in for one) using an X11 app (--app/--attach) or a web page (--url) into a trajectory folder.',
    input: recordInput,
    output: RecordOutput,
    timeoutMs: 0,
    stopGraceMs: 15_000,
    cli: {
      long: true,
      format: (output: RecordOutput) =>
        [
          `Recorded ${output.events} events (${output.frames} frames) in ${(output.durationMs / 1000).toFixed(1)} s → ${output.dir}`,
          `stopped by: ${output.stoppedBy}${output.video ? `; video: ${output.video}` : ''}`,
          ...output.warnings.map((warning) => `warning: ${warning}`),
        ].join('\n'),
    },
  }),
  defineCommand({
    name: 'record.list',
    summary: 'List recordings in a folder (default ~/.skillframe/recordings), newest first.',
    input: z.object({ dir: z.string().max(4000).optional() }).strict(),
    output: z.object({ dir: z.string(), recordings: z.array(RecordingSummary) }),
    cli: {
      format: (output: { dir: string; recordings: RecordingSummary[] }) =>
        output.recordings.length === 0
          ? `No recordings in ${output.dir}`
          : output.recordings.map((item) => `${item.started}  ${item.kind.padEnd(3)}  ${String(item.events).padStart(4)} events  ${item.status.padEnd(9)} ${item.subject}  ${item.dir}`).join('\n'),
    },
  }),
  defineCommand({
    name: 'record.show',
    summary: 'Show a recording (repairing a crashed one): its metadata and events.',
    input: z.object({ dir: z.string().max(4000), limit: z.number().int().min(0).max(100_000).default(1000) }).strict(),
    output: z.object({
      meta: TrajectoryMeta,
      events: z.array(LiveEvent),
      repair: z.object({ repaired: z.boolean(), droppedLines: z.number(), droppedBytes: z.number(), missingFrames: z.number(), removedTemporaryFiles: z.number(), live: z.boolean() }),
    }),
    cli: { positionals: ['dir'] },
  }),
  defineCommand({
    name: 'record.frame',
    summary: 'Read one stored frame of a recording as a PNG data URL (for the UI).',
    input: z.object({ dir: z.string().max(4000), frame: z.string().max(400) }).strict(),
    output: z.object({ dataUrl: z.string(), bytes: z.number().int() }),
    cli: { hidden: true },
  }),
  defineCommand({
    name: 'record.stop',
    summary: 'Stop the recordings running in this host (the UI stop button); `skillframe stop` stops everything.',
    input: z.object({}).strict(),
    output: z.object({ stopped: z.number().int().nonnegative() }),
    timeoutMs: 5_000,
  }),
);

export const events = eventMap(
  defineEvent('record.started', z.object({ dir: z.string(), kind: z.enum(['x11', 'web']), subject: z.string() })),
  defineEvent('record.event', z.object({ dir: z.string(), event: LiveEvent })),
  defineEvent('record.stopped', z.object({ dir: z.string(), events: z.number().int().nonnegative(), stoppedBy: z.string() })),
);
