import { randomUUID } from 'node:crypto';
import {
  describeZodError,
  findCommand,
  findEvent,
  SkillframeError,
  toErrorBody,
  type CommandName,
  type EventEnvelope,
  type EventName,
  type OutputOf,
  type ParsedInputOf,
  type PayloadOf,
  type Reply,
} from '../core/index.ts';

export interface Progress {
  fraction?: number;
  message?: string;
}

/** What a handler gets besides its parsed input. */
export interface CommandContext {
  /** Aborted by the caller, the deadline, or the kill switch. Long work must check it often. */
  readonly signal: AbortSignal;
  /** Epoch ms after which the command is cut off, or undefined for none. */
  readonly deadline: number | undefined;
  readonly requestId: string | number;
  progress(progress: Progress): void;
  emit<E extends EventName>(event: E, payload: PayloadOf<E>): void;
  /** Asks the person (CLI prompt, UI dialog). Resolves false when nobody can answer. */
  confirm(question: string, details?: unknown): Promise<boolean>;
  /** Runs another command through the same validation, sharing this one's signal. */
  call<N extends CommandName>(name: N, input: unknown): Promise<OutputOf<N>>;
  /** The dispatcher's own state that host commands (stop, confirm.answer) act on: per instance, never process-wide. */
  readonly host: HostServices;
}

export interface HostServices {
  /** Aborts every command running in this dispatcher except those named; returns how many. */
  abortAll(reason?: string, except?: readonly string[]): number;
  /** Confirmations asked of a UI, by id, waiting for `confirm.answer`. */
  readonly pendingConfirmations: Map<string, (approve: boolean) => void>;
}

export type Handler<N extends CommandName> = (input: ParsedInputOf<N>, context: CommandContext) => Promise<OutputOf<N>> | OutputOf<N>;
export type HandlerTable = { [N in CommandName]?: Handler<N> };

export interface DispatchOptions {
  signal?: AbortSignal;
  /** Shortens (never lengthens past a hard cap) the command's own deadline. */
  timeoutMs?: number;
  requestId?: string | number;
  onEvent?: (event: EventEnvelope) => void;
  confirm?: (question: string, details: unknown, signal: AbortSignal) => Promise<boolean>;
}

type Listener = (event: EventEnvelope) => void;

/**
 * The one place commands run. Every host (CLI, HTTP/WS server, MCP, Electron IPC) goes through
 * `dispatch`, so validation, deadlines, cancellation and error shape are the same everywhere.
 */
export class Dispatcher {
  private readonly handlers: HandlerTable;
  private readonly running = new Map<string, { name: string; controller: AbortController }>();
  private readonly listeners = new Set<Listener>();
  /** Confirmations this dispatcher's UI was asked (host/confirm.ts) and `confirm.answer` settles. */
  readonly pendingConfirmations = new Map<string, (approve: boolean) => void>();
  private readonly services: HostServices = {
    abortAll: (reason, except) => this.abortAll(reason, except),
    pendingConfirmations: this.pendingConfirmations,
  };

  constructor(handlers: HandlerTable) {
    this.handlers = handlers;
  }

  /** Events of every command, for hosts that broadcast (the WebSocket, the Electron window). */
  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Aborts every running command except those named in `except`; returns how many. */
  abortAll(reason = 'stopped by the kill switch', except: readonly string[] = []): number {
    let count = 0;
    for (const { name, controller } of this.running.values()) {
      if (except.includes(name) || controller.signal.aborted) continue;
      controller.abort(new SkillframeError('aborted', reason));
      count += 1;
    }
    return count;
  }

  runningCount(): number {
    return this.running.size;
  }

  hasHandler(name: string): boolean {
    return Object.hasOwn(this.handlers, name);
  }

  async dispatch(name: string, rawInput: unknown, options: DispatchOptions = {}): Promise<Reply> {
    try {
      return { ok: true, value: await this.run(name, rawInput, options) };
    } catch (error) {
      return { ok: false, error: toErrorBody(error) };
    }
  }

  /** Like dispatch, but returns the value or throws a SkillframeError. */
  async run(name: string, rawInput: unknown, options: DispatchOptions = {}): Promise<unknown> {
    const spec = findCommand(name);
    if (!spec) throw new SkillframeError('not_found', `unknown command ${JSON.stringify(name).slice(0, 200)}`);
    const handler = this.handlers[name as CommandName] as Handler<CommandName> | undefined;
    if (!handler) throw new SkillframeError('unavailable', `command ${name} has no handler in this build`);

    const parsed = spec.input.safeParse(rawInput ?? {});
    if (!parsed.success) {
      throw new SkillframeError('bad_input', describeZodError(parsed.error, rawInput ?? {}), {
        issues: parsed.error.issues.map((issue) => ({ path: ['input', ...issue.path.map(String)].join('.'), message: issue.message })),
      });
    }

    const limits = [spec.timeoutMs > 0 ? spec.timeoutMs : Infinity, options.timeoutMs ?? Infinity];
    const timeoutMs = Math.min(...limits);
    const deadline = Number.isFinite(timeoutMs) ? Date.now() + timeoutMs : undefined;
    const controller = new AbortController();
    const runId = randomUUID();
    const requestId = options.requestId ?? runId;
    const onCallerAbort = () => controller.abort(new SkillframeError('aborted', `${name} was cancelled`));
    if (options.signal?.aborted) onCallerAbort();
    options.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const timer =
      deadline === undefined
        ? undefined
        : setTimeout(() => controller.abort(new SkillframeError('timeout', `${name} passed its deadline of ${timeoutMs} ms`)), timeoutMs);
    this.running.set(runId, { name, controller });

    const emit = (event: string, payload: unknown) => {
      const eventSpec = findEvent(event);
      if (!eventSpec) throw new SkillframeError('internal', `handler of ${name} emitted unknown event ${event}`);
      const checked = eventSpec.payload.safeParse(payload);
      if (!checked.success) {
        throw new SkillframeError('internal', `handler of ${name} emitted a bad ${event} event: ${describeZodError(checked.error, payload, 'payload')}`);
      }
      const envelope: EventEnvelope = { event, payload: checked.data, requestId, at: Date.now() };
      options.onEvent?.(envelope);
      for (const listener of this.listeners) listener(envelope);
    };

    const context: CommandContext = {
      signal: controller.signal,
      deadline,
      requestId,
      progress: (progress) => emit('progress', { command: name, ...progress }),
      emit: emit as CommandContext['emit'],
      confirm: async (question, details) => {
        if (!options.confirm) return false;
        return options.confirm(question, details, controller.signal);
      },
      call: async (inner, input) =>
        (await this.run(inner, input, { ...options, signal: controller.signal, requestId, timeoutMs: deadline ? deadline - Date.now() : undefined })) as never,
      host: this.services,
    };

    let graceTimer: NodeJS.Timeout | undefined;
    try {
      const work = Promise.resolve().then(() => handler(parsed.data as never, context));
      const aborted = new Promise<never>((_, reject) => {
        // A command that ends by being stopped (a recording) gets a grace period to return its result.
        const fail = () => {
          if (spec.stopGraceMs) graceTimer = setTimeout(() => reject(controller.signal.reason), spec.stopGraceMs);
          else reject(controller.signal.reason);
        };
        if (controller.signal.aborted) fail();
        else controller.signal.addEventListener('abort', fail, { once: true });
      });
      // A handler that ignores its signal cannot hold a caller past the deadline or the kill switch.
      work.catch(() => undefined);
      const value = await Promise.race([work, aborted]);
      const checked = spec.output.safeParse(value);
      if (!checked.success) {
        throw new SkillframeError('internal', `handler of ${name} returned output that breaks its schema: ${describeZodError(checked.error, value, 'output')}`);
      }
      return checked.data;
    } finally {
      if (timer) clearTimeout(timer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onCallerAbort);
      this.running.delete(runId);
    }
  }
}
