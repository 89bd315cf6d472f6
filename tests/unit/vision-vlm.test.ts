import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { SkillframeError } from '../../core/index.ts';
import { createOpenAiProvider, createProvider, createScriptedProvider, type VlmRequest, type VlmResult } from '../../perception/models/index.ts';

/** A real chat-completions server on a loopback socket; each test picks a behaviour by model name. */
let server: Server;
let baseUrl: string;
const seen: { model: string; body: Record<string, unknown>; authorization?: string }[] = [];
const counters = new Map<string, number>();

function reply(response: ServerResponse, status: number, body: unknown, type = 'application/json') {
  response.writeHead(status, { 'content-type': type });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}
const completion = (content: string) => ({ choices: [{ message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } });

before(async () => {
  server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    if (request.url !== '/v1/chat/completions') return reply(response, 404, '404 page not found', 'text/plain');
    const body = JSON.parse(text) as Record<string, unknown>;
    const model = String(body.model);
    seen.push({ model, body, authorization: request.headers.authorization });
    const count = (counters.get(model) ?? 0) + 1;
    counters.set(model, count);
    switch (model) {
      case 'good':
        return reply(response, 200, completion('{"label":"OK button","x":12}'));
      case 'fenced':
        return reply(response, 200, completion('Here you go:\n```json\n{"label":"fenced","x":1}\n```'));
      case 'needs-key':
        return request.headers.authorization === 'Bearer right' ? reply(response, 200, completion('{"label":"k","x":2}')) : reply(response, 401, { error: { message: 'Incorrect API key provided' } });
      case 'flaky-500':
        return count === 1 ? reply(response, 500, { error: { message: 'CUDA out of memory' } }) : reply(response, 200, completion('{"label":"after 500","x":3}'));
      case 'always-500':
        return reply(response, 500, { error: 'boom' });
      case 'malformed-once':
        return count === 1 ? reply(response, 200, completion('{"label": "unterminated')) : reply(response, 200, completion('{"label":"second try","x":4}'));
      case 'never-json':
        return reply(response, 200, completion('I think the button is at the top left.'));
      case 'wrong-shape':
        return reply(response, 200, completion('{"label":5}'));
      case 'html':
        return reply(response, 200, '<html><body>proxy login</body></html>', 'text/html');
      case 'text-only':
        return reply(response, 400, { error: { message: 'This model does not support image input' } });
      case 'slow':
        return void setTimeout(() => reply(response, 200, completion('{"label":"late","x":5}')), 3000);
      default:
        return reply(response, 404, { error: `model "${model}" not found, try pulling it first` });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const Answer = z.object({ label: z.string(), x: z.number() });
type AskExtra = Partial<Omit<VlmRequest<z.infer<typeof Answer>>, 'schema'>>;
const ask = (model: string, extra: AskExtra = {}, apiKey?: string): Promise<VlmResult<z.infer<typeof Answer>>> =>
  createOpenAiProvider({ baseUrl, model, ...(apiKey ? { apiKey } : {}), retries: 2 }).complete({ messages: [{ role: 'user', content: 'where is OK?' }], schema: Answer, ...extra });

async function failsWith(promise: Promise<unknown>, code: string, pattern: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SkillframeError, `expected SkillframeError, got ${error}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

test('a good reply is parsed, validated and accounted', async () => {
  const result = await ask('good', { system: 'be brief', messages: [{ role: 'user', content: [{ type: 'text', text: 'find OK' }, { type: 'image', image: { data: new Uint8Array(16).fill(200), width: 2, height: 2 } }] }] });
  assert.deepEqual(result.value, { label: 'OK button', x: 12 });
  assert.deepEqual(result.usage, { promptTokens: 11, completionTokens: 7, totalTokens: 18 });
  assert.equal(result.attempts, 1);
  const sent = seen.findLast((entry) => entry.model === 'good')!.body;
  const messages = sent.messages as { role: string; content: unknown }[];
  assert.equal(messages[0].role, 'system');
  const parts = messages[1].content as { type: string; image_url?: { url: string } }[];
  assert.match(parts[1].image_url!.url, /^data:image\/png;base64,iVBOR/);
  assert.equal((sent.response_format as { type: string }).type, 'json_schema');
});

test('code fences around the JSON are tolerated', async () => {
  assert.deepEqual((await ask('fenced')).value, { label: 'fenced', x: 1 });
});

test('each endpoint problem gets an error that names it', async () => {
  await failsWith(ask('needs-key'), 'unavailable', /refused the API key \(HTTP 401: Incorrect API key/);
  assert.deepEqual((await ask('needs-key', {}, 'right')).value, { label: 'k', x: 2 });
  await failsWith(ask('llava:missing'), 'not_found', /does not know model "llava:missing"/);
  await failsWith(ask('text-only', { messages: [{ role: 'user', content: [{ type: 'image', image: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) }] }] }), 'unavailable', /does not accept images/);
  await failsWith(ask('html'), 'unavailable', /not JSON \(content-type text\/html\)/);
  await failsWith(createOpenAiProvider({ baseUrl: baseUrl.replace('/v1', ''), model: 'good', retries: 0 }).complete({ messages: [{ role: 'user', content: 'x' }], schema: Answer }), 'unavailable', /no chat-completions route .*\/v1/);
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  await failsWith(createOpenAiProvider({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'good' }).complete({ messages: [{ role: 'user', content: 'x' }], schema: Answer }), 'unavailable', /unreachable: connection refused/);
  assert.throws(() => createOpenAiProvider({ baseUrl: 'not a url', model: 'x' }), /vlm.baseUrl/);
});

test('500s and malformed replies are retried; persistent ones fail with their cause', async () => {
  const flaky = await ask('flaky-500');
  assert.equal(flaky.value.label, 'after 500');
  assert.equal(flaky.attempts, 2);
  const malformed = await ask('malformed-once');
  assert.equal(malformed.value.label, 'second try');
  await failsWith(ask('always-500'), 'unavailable', /HTTP 500: boom/);
  assert.equal(counters.get('always-500'), 3);
  await failsWith(ask('never-json'), 'bad_input', /reply is not JSON/);
  await failsWith(ask('wrong-shape'), 'bad_input', /breaks the schema: reply.label: .*got 5/);
});

test('slow replies hit the timeout and an abort stops the call', async () => {
  const started = Date.now();
  await failsWith(ask('slow', { timeoutMs: 300 }), 'timeout', /within 300 ms/);
  assert.ok(Date.now() - started < 2500);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  await failsWith(ask('slow', { signal: controller.signal }), 'aborted', /cancelled/);
});

test('the scripted provider replays its script through the same validation', async () => {
  const provider = createScriptedProvider(['{"label":"one","x":1}', '{"label":2}', { error: new SkillframeError('unavailable', 'scripted outage') }]);
  const first = await provider.complete({ messages: [{ role: 'user', content: 'a' }], schema: Answer });
  assert.deepEqual(first.value, { label: 'one', x: 1 });
  await failsWith(provider.complete({ messages: [{ role: 'user', content: 'b' }], schema: Answer }), 'bad_input', /breaks the schema/);
  await failsWith(provider.complete({ messages: [{ role: 'user', content: 'c' }], schema: Answer }), 'unavailable', /scripted outage/);
  await failsWith(provider.complete({ messages: [{ role: 'user', content: 'd' }], schema: Answer }), 'unavailable', /no reply left/);
  assert.equal(provider.requests.length, 4);
});

test('createProvider reads the settings and says what is missing', async () => {
  await failsWith(createProvider({ provider: 'none' }), 'unavailable', /no vision-language model is configured/);
  await failsWith(createProvider({ provider: 'openai', model: 'x' }, {}), 'bad_input', /vlm.baseUrl: missing/);
  await failsWith(createProvider({ provider: 'llama', modelPath: '/nope.gguf' }, {}), 'not_found', /no file at \/nope.gguf/);
  // An environment key goes only to the host named beside it (SKILLFRAME_VLM_BASE_URL), never to another.
  const provider = await createProvider({ provider: 'openai', baseUrl, model: 'needs-key' }, { SKILLFRAME_VLM_API_KEY: 'right', SKILLFRAME_VLM_BASE_URL: baseUrl });
  assert.equal((await provider.complete({ messages: [{ role: 'user', content: 'x' }], schema: Answer })).value.label, 'k');
  const scripted = await createProvider({ provider: 'scripted' }, { SKILLFRAME_VLM_SCRIPT: '["{\\"label\\":\\"s\\",\\"x\\":0}"]' });
  assert.equal((await scripted.complete({ messages: [{ role: 'user', content: 'x' }], schema: Answer })).value.label, 's');
});

test('vlm.check goes through the dispatcher to the configured provider', async () => {
  const { temporaryHome } = await import('../support/home.ts');
  const { createDispatcher } = await import('../../host/create.ts');
  const home = temporaryHome();
  const saved = { home: process.env.SKILLFRAME_HOME, script: process.env.SKILLFRAME_VLM_SCRIPT };
  process.env.SKILLFRAME_HOME = home.path;
  process.env.SKILLFRAME_VLM_SCRIPT = JSON.stringify(['{"answer":"hello"}']);
  try {
    const dispatcher = createDispatcher();
    const unset = await dispatcher.dispatch('vlm.check', {});
    assert.equal(unset.ok, false);
    assert.match(JSON.stringify(unset), /no vision-language model is configured/);
    assert.equal((await dispatcher.dispatch('settings.set', { json: '{"vlm":{"provider":"scripted"}}' })).ok, true);
    const reply = await dispatcher.dispatch('vlm.check', {});
    assert.deepEqual(reply, { ok: true, value: { provider: 'scripted', model: 'script', ok: true, ms: (reply as { value: { ms: number } }).value.ms, reply: { answer: 'hello' } } });
    assert.equal((await dispatcher.dispatch('settings.set', { json: `{"vlm":{"provider":"openai","baseUrl":"${baseUrl}","model":"llava:missing"}}` })).ok, true);
    const missing = await dispatcher.dispatch('vlm.check', {});
    assert.equal(missing.ok, false);
    assert.equal((missing as { error: { code: string } }).error.code, 'not_found');
  } finally {
    if (saved.home === undefined) delete process.env.SKILLFRAME_HOME;
    else process.env.SKILLFRAME_HOME = saved.home;
    if (saved.script === undefined) delete process.env.SKILLFRAME_VLM_SCRIPT;
    else process.env.SKILLFRAME_VLM_SCRIPT = saved.script;
    home.dispose();
  }
});
