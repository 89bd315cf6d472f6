import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dispatcher, type HandlerTable } from '../../host/dispatcher.ts';
import { createDispatcher } from '../../host/create.ts';
import { benchHandlers } from '../../bench/handlers.ts';
import { commands } from '../../core/index.ts';

test('a valid command answers ok with its parsed output', async () => {
  const reply = await createDispatcher().dispatch('ping', { echo: 'hello' });
  assert.deepEqual(reply, { ok: true, value: { pong: true, echo: 'hello', version: reply.ok ? (reply.value as { version: string }).version : '' } });
});

test('input that breaks the schema is bad_input naming the field and the value', async () => {
  const reply = await createDispatcher().dispatch('ping', { echo: 42 });
  assert.equal(reply.ok, false);
  if (reply.ok) return;
  assert.equal(reply.error.code, 'bad_input');
  assert.match(reply.error.message, /input\.echo/);
  assert.match(reply.error.message, /42/);
});

test('unknown fields are refused, not ignored', async () => {
  const reply = await createDispatcher().dispatch('ping', { echo: 'x', extra: true });
  assert.equal(reply.ok, false);
  if (!reply.ok) assert.equal(reply.error.code, 'bad_input');
});

test('an unknown command is not_found', async () => {
  const reply = await createDispatcher().dispatch('no.such.command', {});
  assert.deepEqual(reply.ok ? undefined : reply.error.code, 'not_found');
});

test('a handler whose output breaks its schema is caught as internal, not passed on', async () => {
  const broken = { ping: () => ({ pong: 'yes', version: 1 }) } as unknown as HandlerTable;
  const reply = await new Dispatcher(broken).dispatch('ping', {});
  assert.equal(reply.ok, false);
  if (reply.ok) return;
  assert.equal(reply.error.code, 'internal');
  assert.match(reply.error.message, /output\.pong/);
});

test('a thrown non-contract error becomes internal', async () => {
  const throwing = { ping: () => { throw new TypeError('boom'); } } as unknown as HandlerTable;
  const reply = await new Dispatcher(throwing).dispatch('ping', {});
  assert.deepEqual(reply, { ok: false, error: { code: 'internal', message: 'boom' } });
});

test('the deadline cuts off a slow handler with timeout, even one that ignores its signal', async () => {
  const slow = { ping: () => new Promise(() => undefined) } as unknown as HandlerTable;
  const started = Date.now();
  const reply = await new Dispatcher(slow).dispatch('ping', {}, { timeoutMs: 50 });
  assert.equal(reply.ok ? 'ok' : reply.error.code, 'timeout');
  assert.ok(Date.now() - started < 1000);
});

test('the caller signal aborts with aborted, and progress events arrive in order', async () => {
  const dispatcher = createDispatcher();
  const controller = new AbortController();
  const fractions: number[] = [];
  const pending = dispatcher.dispatch('debug.sleep', { ms: 5000, steps: 100 }, {
    signal: controller.signal,
    onEvent: (event) => {
      const fraction = (event.payload as { fraction: number }).fraction;
      fractions.push(fraction);
      if (fractions.length === 3) controller.abort();
    },
  });
  const reply = await pending;
  assert.equal(reply.ok ? 'ok' : reply.error.code, 'aborted');
  assert.deepEqual(fractions, [0.01, 0.02, 0.03]);
});

test('the kill switch aborts every running command but itself', async () => {
  const dispatcher = createDispatcher();
  const running = dispatcher.dispatch('debug.sleep', { ms: 10_000, steps: 1000 });
  await new Promise((resolve) => setTimeout(resolve, 30));
  const stopped = dispatcher.abortAll('test');
  assert.equal(stopped, 1);
  const reply = await running;
  assert.equal(reply.ok ? 'ok' : reply.error.code, 'aborted');
  assert.equal(dispatcher.runningCount(), 0);
});

test('every command in the registry has a handler once bench/ is composed in', () => {
  const dispatcher = createDispatcher(benchHandlers);
  const missing = Object.keys(commands).filter((name) => !dispatcher.hasHandler(name));
  assert.deepEqual(missing, []);
});

test('without bench/ (an installed package), the bench commands answer unavailable', async () => {
  const dispatcher = createDispatcher();
  const missing = Object.keys(commands).filter((name) => !dispatcher.hasHandler(name));
  assert.ok(missing.length > 0 && missing.every((name) => name.startsWith('bench.') || name === 'robot.bench'), missing.join(','));
  const reply = await dispatcher.dispatch('bench.skills', {});
  assert.equal(reply.ok ? 'ok' : reply.error.code, 'unavailable');
});
