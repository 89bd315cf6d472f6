import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { temporaryHome } from '../support/home.ts';
import { startServe, type ServeProcess } from '../support/serve.ts';

let server: ServeProcess;
const home = temporaryHome();

before(async () => {
  server = await startServe(home.env);
});

after(async () => {
  const code = await server.stop();
  assert.equal(code, 0, 'serve exits cleanly on SIGINT');
  home.dispose();
});

/** Raw HTTP so tests control every header (fetch would refuse to set Host). */
function send(options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; host?: string }): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        method: options.method ?? 'POST',
        path: options.path ?? '/api',
        headers: { Host: options.host ?? `127.0.0.1:${server.port}`, ...options.headers },
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

const auth = () => ({ Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' });

test('first stdout line is {url, token} on 127.0.0.1 with a random port', () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.ok(server.token.length >= 24);
  assert.notEqual(server.port, 0);
});

test('a valid request with the token succeeds', async () => {
  const reply = await send({ headers: auth(), body: JSON.stringify({ name: 'ping', input: { echo: 'x' } }) });
  assert.equal(reply.status, 200);
  assert.deepEqual(JSON.parse(reply.body).value.echo, 'x');
});

test('the token is required: none or a wrong one is 401 with a coded error', async () => {
  const none = await send({ headers: { 'Content-Type': 'application/json' }, body: '{"name":"ping"}' });
  assert.equal(none.status, 401);
  assert.equal(JSON.parse(none.body).error.code, 'refused');
  const wrong = await send({ headers: { Authorization: 'Bearer nope' }, body: '{"name":"ping"}' });
  assert.equal(wrong.status, 401);
  const page = await send({ method: 'GET', path: '/' });
  assert.equal(page.status, 401);
});

test('?token= on the first GET becomes the cookie the UI uses, and leaves the URL', async () => {
  const redirect = await send({ method: 'GET', path: `/?token=${server.token}` });
  assert.equal(redirect.status, 303);
  assert.equal(redirect.headers.location, '/');
  const cookie = String(redirect.headers['set-cookie']);
  assert.match(cookie, /HttpOnly/);
  const page = await send({ method: 'GET', path: '/', headers: { Cookie: cookie.split(';')[0] } });
  assert.equal(page.status, 200);
  assert.match(page.body, /<div id="app">/);
  const asset = await send({ method: 'GET', path: '/app.js', headers: { Cookie: cookie.split(';')[0] } });
  assert.equal(asset.status, 200);
});

test('the token is never written to stderr (logs, shared terminals)', async () => {
  for (let tries = 0; tries < 100 && !server.stderr(); tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(server.stderr().length > 0, 'serve says where the UI is');
  assert.equal(server.stderr().includes(server.token), false);
});

test('a foreign Origin or Host is 403 even with the token', async () => {
  const origin = await send({ headers: { ...auth(), Origin: 'http://evil.example' }, body: '{"name":"ping"}' });
  assert.equal(origin.status, 403);
  const host = await send({ host: 'evil.example', headers: auth(), body: '{"name":"ping"}' });
  assert.equal(host.status, 403);
  const sameOrigin = await send({ headers: { ...auth(), Origin: `http://127.0.0.1:${server.port}` }, body: '{"name":"ping"}' });
  assert.equal(sameOrigin.status, 200);
});

test('the server listens on 127.0.0.1 only', async () => {
  const { networkInterfaces } = await import('node:os');
  const external = Object.values(networkInterfaces()).flat().find((address) => address && address.family === 'IPv4' && !address.internal);
  if (!external) return; // no non-loopback address on this machine: nothing else to bind to
  await assert.rejects(
    new Promise((resolve, reject) => {
      const request = httpRequest({ host: external.address, port: server.port, path: '/', timeout: 2000 }, resolve);
      request.on('error', reject);
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.end();
    }),
  );
});

test('1,000+ malformed HTTP messages all get coded errors, and the server stays up', async () => {
  const huge = Buffer.alloc(2 * 1024 * 1024, 'a');
  const bodies: { body: string | Buffer; expect: number[] }[] = [
    { body: '{', expect: [400] },
    { body: 'null', expect: [400] },
    { body: '[]', expect: [400] },
    { body: '{"name":42}', expect: [400] },
    { body: '{"name":"ping","input":{"echo":5}}', expect: [400] },
    { body: '{"name":"no.such"}', expect: [404] },
    { body: '{"name":"ping","timeoutMs":-1}', expect: [400] },
    { body: '\u0000\u0001garbage', expect: [400] },
    { body: huge, expect: [413] },
    { body: JSON.stringify({ name: 'x'.repeat(5000) }), expect: [400] },
  ];
  let checked = 0;
  for (let round = 0; round < 101; round += 1) {
    for (const { body, expect } of bodies) {
      const reply = await send({ headers: auth(), body });
      assert.ok(expect.includes(reply.status), `status ${reply.status} for ${String(body).slice(0, 40)}`);
      const parsed = JSON.parse(reply.body);
      assert.equal(parsed.ok, false);
      assert.ok(['bad_input', 'not_found'].includes(parsed.error.code), parsed.error.code);
      checked += 1;
    }
  }
  assert.ok(checked >= 1000);
  const wrongMethod = await send({ method: 'PUT', headers: auth(), body: '{}' });
  assert.equal(wrongMethod.status, 405);
  const ok = await send({ headers: auth(), body: JSON.stringify({ name: 'ping', input: {} }) });
  assert.equal(ok.status, 200);
});

function openSocket(protocols = ['skillframe.events', `skillframe.token.${server.token}`], headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/events`, protocols, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) => reject(new Error(`status ${response.statusCode}`)));
  });
}

test('the WebSocket needs the token and a local Origin', async () => {
  await assert.rejects(openSocket(['skillframe.events']), /401/);
  await assert.rejects(openSocket(undefined, { Origin: 'http://evil.example' }), /403/);
});

test('1,000+ malformed WebSocket messages get coded errors; requests and progress events still flow', async () => {
  const socket = await openSocket();
  const replies: unknown[] = [];
  socket.on('message', (data) => replies.push(JSON.parse(data.toString())));
  const bad = ['{', '42', '"x"', '{"name":1}', '{"name":"no.such","id":1}', '{"name":"ping","input":{"echo":[]}}', 'x'.repeat(1024 * 1024 + 10), '{"name":"ping","input":null,"id":{}}'];
  const sent = 126 * bad.length;
  for (let round = 0; round < 126; round += 1) for (const message of bad) socket.send(message);
  socket.send(Buffer.from([1, 2, 3]), { binary: true });
  const deadline = Date.now() + 60_000;
  while (replies.length < sent + 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(replies.length, sent + 1);
  for (const reply of replies as { ok: boolean; error: { code: string } }[]) {
    assert.equal(reply.ok, false);
    assert.ok(['bad_input', 'not_found'].includes(reply.error.code));
  }
  replies.length = 0;
  socket.send(JSON.stringify({ id: 'sleep-1', name: 'debug.sleep', input: { ms: 60, steps: 3 } }));
  while (!replies.some((reply) => (reply as { id?: string }).id === 'sleep-1') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const progress = replies.filter((reply) => (reply as { event?: string }).event === 'progress');
  assert.equal(progress.length, 3);
  assert.deepEqual(replies.at(-1), { id: 'sleep-1', ok: true, value: { slept: 60 } });
  socket.close();
});
