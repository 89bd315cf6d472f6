import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { Dispatcher } from '../../host/dispatcher.ts';
import { systemHandlers } from '../../host/handlers/system.ts';
import { startServer, type RunningServer } from '../../host/server.ts';

/**
 * The local server as an attacker on the same machine meets it: tokens only where they belong,
 * cookies that do not cross ports, and no malformed request that makes it answer 5xx or fall over
 * (10,000 random requests on raw sockets).
 */

const home = mkdtempSync(join(tmpdir(), 'sf-server-'));
const ui = join(home, 'ui');
let server: RunningServer;
let other: RunningServer;

before(async () => {
  process.env.SKILLFRAME_HOME = home;
  mkdirSync(ui, { recursive: true });
  writeFileSync(join(ui, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(ui, 'app.js'), 'console.log(1)');
  const dispatcher = new Dispatcher(systemHandlers);
  server = await startServer(dispatcher, { uiDirectory: ui });
  other = await startServer(dispatcher, { uiDirectory: ui });
});

after(async () => {
  await server.close();
  await other.close();
  rmSync(home, { recursive: true, force: true });
});

/**
 * One raw request; resolves with the status line's code (0 when the server closed without one).
 * The socket is half-closed only after a while: Node's server drops an unanswered request at EOF,
 * while a truncated request (a fuzz case) needs the EOF to end.
 */
function raw(port: number, bytes: string | Buffer, timeoutMs = 5000, halfCloseAfterMs = 1000): Promise<{ status: number; head: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(halfClose);
      socket.destroy();
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      resolve({ status: match ? Number(match[1]) : 0, head: received.split('\r\n\r\n')[0] });
    };
    const timer = setTimeout(done, timeoutMs);
    const halfClose = setTimeout(() => socket.end(), halfCloseAfterMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => socket.write(bytes));
  });
}

const get = (port: number, path: string, headers: string[] = []) => raw(port, [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...headers, 'Connection: close', '', ''].join('\r\n'));

test('a malformed path is a 400, never a 500 (observed: //?token=… and /%E0%A4%A)', async () => {
  for (const path of [`//?token=${server.token}`, '/%E0%A4%A', `/%E0%A4%A?token=${server.token}`, '/assets/%ZZ.js', '/%00', `/\\evil.example/?token=${server.token}`]) {
    const reply = await get(server.port, path, [`Authorization: Bearer ${server.token}`]);
    assert.ok(reply.status >= 400 && reply.status < 500, `${path}: ${reply.status}`);
  }
});

test('a token in the query is refused on POST /api (observed: it was accepted)', async () => {
  const body = JSON.stringify({ name: 'ping', input: {} });
  const reply = await raw(server.port, [`POST /api?token=${server.token} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, 'Content-Type: application/json', `Content-Length: ${body.length}`, 'Connection: close', '', body].join('\r\n'));
  assert.equal(reply.status, 401);
});

test('the query token is swapped for a per-port HttpOnly cookie and removed from the URL by a redirect', async () => {
  const reply = await get(server.port, `/?token=${server.token}&tab=1`);
  assert.equal(reply.status, 303);
  const location = /\r\nLocation: (.*)/i.exec(reply.head)?.[1];
  assert.equal(location, '/?tab=1');
  const cookie = /\r\nSet-Cookie: ([^;]*);(.*)/i.exec(reply.head);
  assert.ok(cookie, reply.head);
  assert.equal(cookie[1], `skillframe_token_${server.port}=${server.token}`);
  assert.match(cookie[2], /HttpOnly/);
  assert.match(cookie[2], /SameSite=Strict/);
  assert.equal((await get(server.port, '/app.js', [`Cookie: ${cookie[1]}`])).status, 200);
  // Observed: one cookie name for every port, so a page on another port rode this token.
  const foreign = await get(other.port, '/app.js', [`Cookie: ${cookie[1].replace(String(server.port), String(other.port))}`]);
  assert.equal(foreign.status, 401);
  assert.equal((await get(other.port, '/app.js', [`Cookie: skillframe_token=${server.token}`])).status, 401);
});

function openSocket(port: number, options: { query?: string; protocols?: string[]; headers?: Record<string, string> }): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/events${options.query ?? ''}`, options.protocols ?? [], { headers: options.headers ?? {} });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) => reject(new Error(`status ${response.statusCode}`)));
  });
}

test('the WebSocket takes the token by cookie or subprotocol, never from the URL', async () => {
  await assert.rejects(openSocket(server.port, { query: `?token=${server.token}` }), /401/);
  const byCookie = await openSocket(server.port, { protocols: ['skillframe.events'], headers: { Cookie: `skillframe_token_${server.port}=${server.token}` } });
  assert.equal(byCookie.protocol, 'skillframe.events');
  byCookie.close();
  const byProtocol = await openSocket(server.port, { protocols: ['skillframe.events', `skillframe.token.${server.token}`] });
  assert.equal(byProtocol.protocol, 'skillframe.events', 'the token protocol is never echoed back');
  byProtocol.close();
  await assert.rejects(openSocket(server.port, { protocols: ['skillframe.token.wrong'] }), /401/);
});

/** A small deterministic generator, so a failing fuzz case can be replayed by its seed. */
function random(seed: number) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => int(256)));
  return { next, int, pick, bytes };
}

function fuzzRequest(seed: number, port: number, token: string): Buffer {
  const r = random(seed);
  if (r.next() < 0.08) return r.bytes(1 + r.int(400));
  const methods = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'get', 'G\u00e9T', '', 'POST POST', 'PRI', 'X'.repeat(40)];
  const percent = () => `%${r.pick(['E0', 'A4', 'ZZ', '00', '2F', '2E', 'FF', 'C0', 'AF', ''])}${r.pick(['', 'A', '%', '%%'])}`;
  const paths = [
    '/', '/api', '/events', '/app.js', '/index.html', '*', '//', '///', `//?token=${token}`, `/?token=${token}`, '/?token=', '/?token=%ZZ', `/api?token=${token}`,
    '/%E0%A4%A', '/../../etc/passwd', '/..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/', 'http://evil.example/', `http://127.0.0.1:${port}/`, '/\u00ff\u00fe', '/a\u0000b',
    `/${'a'.repeat(9000)}`, `/${percent()}${percent()}`, `/x?${percent()}=${percent()}`, '/#frag', '/?a=1&a=2&token', '', ' ', '/ /',
  ];
  const versions = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 extra', 'HTTP', 'http/1.1', ''];
  const lines = [`${r.pick(methods)} ${r.pick(paths)} ${r.pick(versions)}`];
  const host = r.pick([`127.0.0.1:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, 'evil.example', '', `127.0.0.1:${port}, evil.example`, '\u00ff']);
  if (r.next() < 0.9) lines.push(`Host: ${host}`);
  if (r.next() < 0.1) lines.push(`Host: ${host}`);
  if (r.next() < 0.5) lines.push(`Authorization: ${r.pick([`Bearer ${token}`, 'Bearer', 'Bearer x', `Basic ${token}`, `Bearer ${token}\u00ff`, ''])}`);
  if (r.next() < 0.3) lines.push(`Cookie: ${r.pick([`skillframe_token_${port}=${token}`, `skillframe_token=${token}`, ';;;', '=', `a=b; skillframe_token_${port}=`, '\u00ff=\u00ff'])}`);
  if (r.next() < 0.2) lines.push(`Origin: ${r.pick([`http://127.0.0.1:${port}`, 'http://evil.example', 'null', '', '\u00ff'])}`);
  if (r.next() < 0.15) lines.push(r.pick(['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', `Sec-WebSocket-Protocol: skillframe.token.${token}`, 'Sec-WebSocket-Protocol: ,,,']));
  if (r.next() < 0.1) lines.push(r.pick(['NoColonHere', ' folded: continuation', 'Bad Name: x', ': empty name', `X-Long: ${'y'.repeat(20_000)}`, 'X-Nul: a\u0000b', 'Content-Type: \u00ff']));
  const bodies = ['', '{', 'null', '[]', '{"name":"ping","input":{}}', '{"name":"no.such"}', '{"name":"ping","input":{"echo":5}}', '{"name":"commands","input":{}}', r.bytes(r.int(200)).toString('latin1')];
  const body = r.pick(bodies);
  const length = r.pick([String(Buffer.byteLength(body, 'latin1')), String(Buffer.byteLength(body, 'latin1')), '-1', 'abc', '99999999999999999999', '0', `${Buffer.byteLength(body, 'latin1')}, 5`]);
  if (r.next() < 0.1) lines.push('Transfer-Encoding: chunked');
  if (r.next() < 0.85) lines.push(`Content-Length: ${length}`);
  lines.push('Connection: close');
  const separator = r.next() < 0.05 ? '\n' : '\r\n';
  return Buffer.from(`${lines.join(separator)}${separator}${separator}${body}`, 'latin1');
}

test('10,000 random malformed requests on raw sockets: no 5xx, and the server still answers after', async () => {
  const total = 10_000;
  const statuses = new Map<number, number>();
  const fivehundreds: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const seed = ++next;
      const reply = await raw(server.port, fuzzRequest(seed, server.port, server.token), 4000, 300);
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      if (reply.status >= 500) fivehundreds.push(`seed ${seed}: ${reply.head.split('\r\n')[0]}`);
    }
  };
  await Promise.all(Array.from({ length: 24 }, worker));
  assert.deepEqual(fivehundreds, [], `5xx answers: ${fivehundreds.slice(0, 5).join('; ')}`);
  const answered = [...statuses].filter(([status]) => status >= 400 && status < 500).reduce((sum, [, count]) => sum + count, 0);
  assert.ok(answered > total / 2, `most requests get a 4xx: ${JSON.stringify([...statuses])}`);
  const body = JSON.stringify({ name: 'ping', input: { echo: 'alive' } });
  const alive = await raw(server.port, [`POST /api HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, `Authorization: Bearer ${server.token}`, 'Content-Type: application/json', `Content-Length: ${body.length}`, 'Connection: close', '', body].join('\r\n'));
  assert.equal(alive.status, 200);
});
