import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { describeZodError, type ErrorBody, type EventEnvelope, eventsProtocol, findCommand, Request, tokenProtocolPrefix } from '../core/index.ts';
import type { Dispatcher } from './dispatcher.ts';
import { uiConfirm } from './confirm.ts';

export interface ServerOptions {
  port?: number;
  /** Folder with the built UI (index.html …). */
  uiDirectory: string;
  /** Largest request body or WebSocket message accepted, in bytes. */
  maxBodyBytes?: number;
  token?: string;
  /** How long a UI confirmation waits for an answer before it counts as "no". */
  confirmTimeoutMs?: number;
}

export interface RunningServer {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
};

/**
 * The local server: the UI at `/`, the contract at `/api` and `/events`. It binds 127.0.0.1 only,
 * requires a per-run token on every request, and refuses foreign Origin/Host headers, so a web page
 * the user visits cannot drive their desktop through it (DNS rebinding, CSRF).
 */
export async function startServer(dispatcher: Dispatcher, options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  let port = 0;
  const sockets = new Set<WebSocket>();

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  /** One cookie name per port: browsers share cookies across ports of a host, so a fixed name would let one Skillframe server's page ride another's token. */
  const cookieName = () => `skillframe_token_${port}`;

  function check(request: IncomingMessage, target: URL, channel: 'http' | 'websocket'): { status: number; error: ErrorBody } | undefined {
    const host = request.headers.host ?? '';
    if (!allowedHosts().has(host)) return { status: 403, error: { code: 'refused', message: `foreign Host header ${JSON.stringify(host).slice(0, 100)}` } };
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return { status: 403, error: { code: 'refused', message: `foreign Origin ${JSON.stringify(origin).slice(0, 100)}` } };
    if (!hasToken(request, target, channel)) return { status: 401, error: { code: 'refused', message: 'missing or wrong token: send Authorization: Bearer <token>, or open the page once with ?token=<token>' } };
    return undefined;
  }

  /**
   * Where a token may ride: the Authorization header and the per-port cookie everywhere; the query
   * string only on the GET of a page (it is then swapped for the cookie and removed from the URL
   * by a redirect); a `skillframe.token.<token>` subprotocol on the WebSocket.
   */
  function hasToken(request: IncomingMessage, target: URL, channel: 'http' | 'websocket'): boolean {
    const header = request.headers.authorization;
    const candidates = [header?.startsWith('Bearer ') ? header.slice(7) : undefined, cookieToken(request.headers.cookie, cookieName())];
    if (channel === 'http' && request.method === 'GET' && target.pathname !== '/api') candidates.push(target.searchParams.get('token') ?? undefined);
    if (channel === 'websocket') candidates.push(...subprotocols(request).filter((name) => name.startsWith(tokenProtocolPrefix)).map((name) => name.slice(tokenProtocolPrefix.length)));
    return candidates.some((candidate) => candidate !== undefined && sameSecret(candidate, token));
  }

  const confirmOverUi = uiConfirm(dispatcher, (envelope) => broadcast(envelope), options.confirmTimeoutMs);

  function broadcast(envelope: EventEnvelope) {
    const text = JSON.stringify(envelope);
    for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.send(text);
  }
  const stopListening = dispatcher.onEvent(broadcast);

  const server: Server = createServer((request, response) => {
    handleHttp(request, response).catch((error: Error) => {
      if (!response.headersSent) sendJson(response, 500, { ok: false, error: { code: 'internal', message: error.message } });
      else response.destroy();
    });
  });
  server.headersTimeout = 15_000;
  server.requestTimeout = 0; // long commands (replay, explore) may take minutes

  async function handleHttp(request: IncomingMessage, response: ServerResponse) {
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Referrer-Policy', 'no-referrer');
    response.setHeader('X-Frame-Options', 'DENY');
    const url = parseTarget(request.url);
    if (!url) {
      request.resume();
      sendJson(response, 400, { ok: false, error: { code: 'bad_input', message: `malformed request path ${JSON.stringify(request.url ?? '').slice(0, 100)}` } });
      return;
    }
    const refusal = check(request, url, 'http');
    if (refusal) {
      request.resume();
      sendJson(response, refusal.status, { ok: false, error: refusal.error });
      return;
    }
    if (url.pathname === '/api') {
      if (request.method !== 'POST') {
        request.resume();
        sendJson(response, 405, { ok: false, error: { code: 'bad_input', message: `method ${request.method} not allowed on /api; use POST` } });
        return;
      }
      const body = await readBody(request, maxBody);
      if (!body.ok) {
        sendJson(response, body.status, { ok: false, error: body.error });
        return;
      }
      const parsed = parseRequest(body.text);
      if (!parsed.ok) {
        sendJson(response, 400, { ok: false, error: parsed.error });
        return;
      }
      const controller = new AbortController();
      response.on('close', () => {
        if (!response.writableFinished) controller.abort();
      });
      const reply = await dispatcher.dispatch(parsed.request.name, parsed.request.input, {
        signal: controller.signal,
        timeoutMs: parsed.request.timeoutMs,
        requestId: parsed.request.id,
        confirm: confirmOverUi,
      });
      // Transport-level status: 400 for a bad request, 404 for a command that does not exist; a
      // command that ran and failed is still a 200 whose body carries the coded error.
      const status = reply.ok ? 200 : reply.error.code === 'bad_input' ? 400 : findCommand(parsed.request.name) ? 200 : 404;
      sendJson(response, status, reply);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      request.resume();
      sendJson(response, 405, { ok: false, error: { code: 'bad_input', message: `method ${request.method} not allowed` } });
      return;
    }
    if (url.searchParams.has('token')) {
      // The token leaves the URL at once (history, Referer, screen shares): it becomes an HttpOnly
      // cookie and the page is reloaded from a clean URL (the #fragment survives a redirect).
      request.resume();
      url.searchParams.delete('token');
      response.writeHead(303, {
        'Set-Cookie': `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: `${url.pathname}${url.search}`,
        'Cache-Control': 'no-store',
        'Content-Length': 0,
      });
      response.end();
      return;
    }
    serveStatic(url.pathname, response);
  }

  function serveStatic(pathname: string, response: ServerResponse) {
    const relative = pathname === '/' ? 'index.html' : safeDecode(pathname)?.replace(/^\/+/, '');
    if (relative === undefined || relative.includes('\u0000')) {
      sendJson(response, 400, { ok: false, error: { code: 'bad_input', message: `malformed path ${JSON.stringify(pathname).slice(0, 100)}` } });
      return;
    }
    const full = normalize(join(options.uiDirectory, relative));
    if (!full.startsWith(normalize(options.uiDirectory) + sep) || !existsSync(full) || !statSync(full).isFile()) {
      // Client-side routes (#/library …) all land on index.html; unknown files are 404.
      if (!extname(relative)) return serveStatic('/', response);
      sendJson(response, 404, { ok: false, error: { code: 'not_found', message: `no such file ${pathname.slice(0, 200)}` } });
      return;
    }
    response.writeHead(200, {
      'Content-Type': contentTypes[extname(full)] ?? 'application/octet-stream',
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
    });
    createReadStream(full).on('error', () => response.destroy()).pipe(response);
  }

  // The token subprotocol is never echoed back (it would sit in the handshake response); the
  // server picks the plain one when the client offers it, else none.
  const webSockets = new WebSocketServer({ noServer: true, maxPayload: 16 * maxBody, handleProtocols: (offered) => (offered.has(eventsProtocol) ? eventsProtocol : false) });
  server.on('upgrade', (request, socket, head) => {
    const url = parseTarget(request.url);
    const refusal: { status: number; error: ErrorBody } | undefined = !url
      ? { status: 400, error: { code: 'bad_input', message: 'malformed request path' } }
      : url.pathname !== '/events'
        ? { status: 404, error: { code: 'not_found', message: 'WebSocket lives at /events' } }
        : check(request, url, 'websocket');
    if (refusal) {
      const body = JSON.stringify({ ok: false, error: refusal.error });
      const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[refusal.status] ?? 'Refused';
      socket.end(`HTTP/1.1 ${refusal.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    webSockets.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
      ws.on('message', (data, isBinary) => {
        const text = isBinary ? '' : data.toString();
        if (isBinary || Buffer.byteLength(text) > maxBody) {
          ws.send(JSON.stringify({ ok: false, error: { code: 'bad_input', message: isBinary ? 'binary messages are not accepted' : `message larger than ${maxBody} bytes` } }));
          return;
        }
        const parsed = parseRequest(text);
        if (!parsed.ok) {
          ws.send(JSON.stringify({ ok: false, error: parsed.error }));
          return;
        }
        const { id, name, input, timeoutMs } = parsed.request;
        void dispatcher.dispatch(name, input, { requestId: id, timeoutMs, confirm: confirmOverUi }).then((reply) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, ...reply }));
        });
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/`,
    token,
    port,
    close: async () => {
      stopListening();
      for (const socket of sockets) socket.terminate();
      webSockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parseRequest(text: string): { ok: true; request: Request } | { ok: false; error: ErrorBody } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: { code: 'bad_input', message: `body is not JSON: ${(error as Error).message.slice(0, 200)}` } };
  }
  const parsed = Request.safeParse(json);
  if (!parsed.success) return { ok: false, error: { code: 'bad_input', message: describeZodError(parsed.error, json, 'request') } };
  return { ok: true, request: parsed.data };
}

function readBody(request: IncomingMessage, max: number): Promise<{ ok: true; text: string } | { ok: false; status: number; error: ErrorBody }> {
  return new Promise((resolve) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > max) {
      request.resume();
      resolve({ ok: false, status: 413, error: { code: 'bad_input', message: `body of ${declared} bytes exceeds the limit of ${max}` } });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        resolve({ ok: false, status: 413, error: { code: 'bad_input', message: `body exceeds the limit of ${max} bytes` } });
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!done) resolve({ ok: true, text: Buffer.concat(chunks).toString('utf8') });
    });
    request.on('error', () => {
      if (!done) resolve({ ok: false, status: 400, error: { code: 'bad_input', message: 'request stream failed' } });
    });
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  response.end(text);
}

function subprotocols(request: IncomingMessage): string[] {
  const header = request.headers['sec-websocket-protocol'];
  return typeof header === 'string' ? header.split(',').map((name) => name.trim()).filter(Boolean) : [];
}

/** The request target as a URL, or undefined when it is not a plain origin-form path that decodes. */
export function parseTarget(raw: string | undefined): URL | undefined {
  // Origin-form only (RFC 9112 §3.2.1): "//host" and absolute or asterisk forms are not ours to serve.
  if (!raw || raw[0] !== '/' || raw.startsWith('//')) return undefined;
  try {
    const url = new URL(raw, 'http://127.0.0.1');
    // "/\\host" parses as "//host": a redirect to it would leave the server (open redirect).
    if (url.host !== '127.0.0.1' || url.pathname.startsWith('//') || safeDecode(url.pathname) === undefined) return undefined;
    url.searchParams.get('token'); // a malformed query throws here, not later
    return url;
  } catch {
    return undefined;
  }
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function cookieToken(cookie: string | undefined, name: string): string | undefined {
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
