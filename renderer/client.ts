import { eventsProtocol } from '../core/contract.ts';
import type { CommandName, EventEnvelope, EventName, InputOf, OutputOf, PayloadOf, Reply } from '../core/index.ts';

/** What the preload script exposes in Electron; the browser client implements the same shape. */
export interface Bridge {
  invoke(name: string, input: unknown): Promise<Reply>;
  on(listener: (event: EventEnvelope) => void): () => void;
}

declare global {
  interface Window {
    skillframe?: Bridge;
  }
}

export class CommandError extends Error {
  readonly code: string;
  readonly details: unknown;
  constructor(code: string, message: string, details?: unknown) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

/** The typed client every page uses; it never knows whether it runs in Electron or a browser. */
export class Client {
  private readonly bridge: Bridge;
  constructor(bridge: Bridge) {
    this.bridge = bridge;
  }

  async invoke<N extends CommandName>(name: N, input: InputOf<N>): Promise<OutputOf<N>> {
    const reply = await this.bridge.invoke(name, input);
    if (!reply.ok) throw new CommandError(reply.error.code, reply.error.message, reply.error.details);
    return reply.value as OutputOf<N>;
  }

  on<E extends EventName>(event: E, listener: (payload: PayloadOf<E>, envelope: EventEnvelope) => void): () => void {
    return this.bridge.on((envelope) => {
      if (envelope.event === event) listener(envelope.payload as PayloadOf<E>, envelope);
    });
  }

  onAny(listener: (envelope: EventEnvelope) => void): () => void {
    return this.bridge.on(listener);
  }
}

/**
 * Browser bridge: POST /api for commands, one WebSocket on /events for events (reconnecting).
 * The page never sees the token: the server swapped `?token=` for an HttpOnly per-port cookie and
 * redirected to a clean URL, and that cookie rides on every same-origin fetch and the WebSocket.
 */
export function browserBridge(location: Location): Bridge {
  const listeners = new Set<(event: EventEnvelope) => void>();
  let socket: WebSocket | undefined;
  let retry = 250;

  const connect = () => {
    const url = new URL('/events', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(url, eventsProtocol);
    socket.onopen = () => {
      retry = 250;
    };
    socket.onmessage = (message) => {
      try {
        const data = JSON.parse(String(message.data));
        if (data && typeof data.event === 'string') for (const listener of listeners) listener(data as EventEnvelope);
      } catch {
        /* not an event */
      }
    };
    socket.onclose = () => {
      socket = undefined;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    };
  };
  connect();

  return {
    async invoke(name, input) {
      const response = await fetch('/api', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ name, input }),
      });
      return (await response.json()) as Reply;
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function createClient(): Client {
  return new Client(window.skillframe ?? browserBridge(window.location));
}
