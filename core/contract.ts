import { z } from 'zod';
import { ErrorBody } from './errors.ts';

/**
 * How a command shows up on the command line. The CLI is generated from this plus the input
 * schema: flags are the schema's fields (kebab-case), positionals fill the named fields in order.
 */
export interface CliSpec {
  /** Input fields filled by positional words, in order. The last may be an array field. */
  positionals?: readonly string[];
  /** Long work: the CLI shows a progress bar for progress events. */
  long?: boolean;
  /** Hidden from `--help` (internal plumbing). */
  hidden?: boolean;
  /** Exit status for a successful reply whose content is a failure (e.g. an audit that refuses → 3). */
  exitCode?: (output: never) => number;
  /** Human rendering of the output (without --json); the default prints the fields. */
  format?: (output: never) => string;
}

export interface CommandSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** Dotted name; CLI words are the dots: `robot.arm.scan` → `skillframe robot arm scan`. */
  readonly name: string;
  readonly summary: string;
  readonly input: I;
  readonly output: O;
  /** Default deadline in ms; the caller may shorten it. 0 means none. */
  readonly timeoutMs: number;
  /**
   * After a stop (caller abort, kill switch), how long the handler may still take to return a
   * result. For commands whose normal end is a stop (a recording), so a stop is not a failure.
   */
  readonly stopGraceMs?: number;
  /** May run as a job on a fleet (`fleet submit`): it needs nothing from the submitting machine but library names. */
  readonly fleet?: boolean;
  readonly cli?: CliSpec;
}

export function defineCommand<const N extends string, I extends z.ZodType, O extends z.ZodType>(spec: {
  name: N;
  summary: string;
  input: I;
  output: O;
  timeoutMs?: number;
  stopGraceMs?: number;
  fleet?: boolean;
  cli?: CliSpec;
}): CommandSpec<I, O> & { readonly name: N } {
  return { timeoutMs: 30_000, ...spec };
}

export interface EventSpec<P extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly payload: P;
}

export function defineEvent<const N extends string, P extends z.ZodType>(name: N, payload: P): EventSpec<P> & { readonly name: N } {
  return { name, payload };
}

/** The answer every host gives for every command. */
/**
 * The WebSocket subprotocols of /events: the plain one every client offers, and the prefix of the
 * one that carries the token for clients that cannot send the cookie (`skillframe.token.<token>`).
 */
export const eventsProtocol = 'skillframe.events';
export const tokenProtocolPrefix = 'skillframe.token.';

export const Reply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorBody }),
]);
export type Reply<V = unknown> = { ok: true; value: V } | { ok: false; error: ErrorBody };

/** A request as it crosses a wire (HTTP body, WebSocket message, IPC). */
export const Request = z.object({
  name: z.string().min(1).max(200),
  input: z.unknown().optional(),
  /** Optional id the caller picks to match progress events and replies on a WebSocket. */
  id: z.union([z.string().max(200), z.number()]).optional(),
  timeoutMs: z.number().int().positive().max(24 * 3600_000).optional(),
});
export type Request = z.infer<typeof Request>;

/** Every event travels in this envelope. */
export const EventEnvelope = z.object({
  event: z.string(),
  payload: z.unknown(),
  /** The request this event belongs to, when there is one. */
  requestId: z.union([z.string(), z.number()]).optional(),
  at: z.number(),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;
