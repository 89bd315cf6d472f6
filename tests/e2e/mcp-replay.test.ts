import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { serveFixtures } from '../../testkit/fixtures/web/server.ts';
import { binPath, repoRoot, runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';
import { recordWebScript } from '../support/web.ts';

// replay_skill through the MCP SDK's own Client over stdio against `skillframe mcp`: progress
// notifications per step, and a destructive step asked through elicitation (declined: nothing is
// deleted; accepted: it is) or refused for a client that cannot be asked. Judged by what the page
// reported to the fixture server (GET /event?deleted=…), not by the replay's own report.

const home = temporaryHome();
let server: Awaited<ReturnType<typeof serveFixtures>>;

before(async () => {
  server = await serveFixtures();
  const recording = await recordWebScript({
    url: `${server.url}dialog.html`,
    out: join(home.path, 'recording'),
    env: home.env,
    script: [
      { action: 'click', selector: '[data-testid=delete-apollo]' },
      { action: 'click', selector: '#confirm-name' },
      { action: 'type', text: 'Apollo' },
      { action: 'click', selector: '#confirm-delete' },
    ],
  });
  const skill = join(home.path, 'delete-project');
  const built = await runCli(['build', recording, '--out', skill, '--name', 'delete-project', '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(built.code, 0, built.stderr);
  const added = await runCli(['library', 'add', skill, '--json'], { env: home.env, timeoutMs: 60_000 });
  assert.equal(added.code, 0, added.stderr);
  const set = await runCli(['settings', 'set', '{"permissions":{"autoApproveTier":"input"},"replay":{"confirm":"ask"}}'], { env: home.env });
  assert.equal(set.code, 0, set.stderr);
  // The recording itself deleted Apollo in its own browser; only replays count from here.
  server.events.length = 0;
});

after(async () => {
  await server?.close();
  home.dispose();
});

async function connect(elicitation: boolean): Promise<Client> {
  const client = new Client({ name: 'mcp-replay-test', version: '1.0.0' }, { capabilities: elicitation ? { elicitation: {} } : {} });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [binPath, 'mcp'], cwd: repoRoot, env: home.env as Record<string, string>, stderr: 'pipe' }));
  return client;
}

const textOf = (result: Awaited<ReturnType<Client['callTool']>>) => (result.content as { type: string; text?: string }[]).map((part) => part.text ?? '').join('\n');
const deleted = () => server.events.filter((event) => event.has('deleted')).map((event) => event.get('deleted'));

test('the recorded delete step is destructive in the plan (the premise of the rest)', () => {
  const plan = JSON.parse(readFileSync(join(home.path, 'skills', 'delete-project', 'plan.json'), 'utf8')) as { steps: { destructive?: boolean; description: string }[] };
  assert.ok(plan.steps.some((step) => step.destructive), JSON.stringify(plan.steps.map((step) => [step.description, step.destructive])));
});

test('a client without elicitation: the destructive step is refused and nothing is deleted', async () => {
  const client = await connect(false);
  try {
    const result = await client.callTool({ name: 'replay_skill', arguments: { skill: 'delete-project', url: `${server.url}dialog.html` } }, undefined, { timeout: 180_000 });
    assert.equal(result.isError, true, textOf(result));
    const report = result.structuredContent as { ok: boolean; error?: { code: string; message: string } };
    assert.equal(report.ok, false);
    assert.equal(report.error?.code, 'refused');
    assert.match(report.error?.message ?? '', /destructive and was not confirmed/);
    assert.deepEqual(deleted(), []);
  } finally {
    await client.close();
  }
});

test('elicitation declined: asked, refused, nothing deleted; accepted: the project is deleted, with one progress notification per step', async () => {
  const client = await connect(true);
  const questions: string[] = [];
  let answer: 'decline' | 'accept' = 'decline';
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    questions.push(request.params.message);
    return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
  });
  try {
    const declined = await client.callTool({ name: 'replay_skill', arguments: { skill: 'delete-project', url: `${server.url}dialog.html` } }, undefined, { timeout: 180_000 });
    assert.equal(declined.isError, true, textOf(declined));
    assert.match((declined.structuredContent as { error?: { message: string } }).error?.message ?? '', /not confirmed/);
    assert.ok(questions.length >= 1, 'the person was asked');
    assert.deepEqual(deleted(), [], 'declined: nothing deleted');

    answer = 'accept';
    questions.length = 0;
    const progress: Progress[] = [];
    const done = await client.callTool({ name: 'replay_skill', arguments: { skill: 'delete-project', url: `${server.url}dialog.html` } }, undefined, { timeout: 180_000, onprogress: (update) => progress.push(update) });
    assert.equal(done.isError ?? false, false, textOf(done));
    assert.ok(questions.some((question) => /destructive/i.test(question)), JSON.stringify(questions));
    assert.deepEqual(deleted(), ['Apollo'], 'the page deleted Apollo');
    const report = done.structuredContent as { steps: unknown[] };
    assert.equal(progress.length, report.steps.length, JSON.stringify(progress));
    assert.deepEqual(progress.map((update) => update.progress), report.steps.map((_, index) => index + 1));
    assert.ok(progress.every((update) => update.total === report.steps.length && /^step \d+\/\d+ /.test(update.message ?? '')), JSON.stringify(progress));
  } finally {
    await client.close();
  }
});
