import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pageSurface } from '../../engine/computer/replay/web-surface.ts';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import { launchBrowser } from '../../native/browser/browser.ts';
import { serveFixtures } from '../../testkit/fixtures/web/server.ts';
import { temporaryHome } from '../support/home.ts';
import { openUi } from '../support/ui.ts';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { binPath, repoRoot, runCli } from '../support/cli.ts';

// A value the recorder redacted (an e-mail) becomes a required secret parameter: replay without it
// stops before acting (CLI exit 2 naming it, the UI asks), and "[email]" is never typed. Judged by
// the page's own project list.

const home = temporaryHome();
let server: Awaited<ReturnType<typeof serveFixtures>>;
let skill: string;

before(async () => {
  server = await serveFixtures();
  const scriptFile = join(home.path, 'script.json');
  writeFileSync(scriptFile, JSON.stringify([
    { action: 'click', selector: '#new-project' },
    { action: 'click', selector: '#new-name' },
    { action: 'type', text: 'ada@example.com' },
    { action: 'click', selector: '#create-project' },
  ]));
  const recording = join(home.path, 'recording');
  const recorded = await runCli(['record', '--url', `${server.url}dialog.html`, '--out', recording, '--script', scriptFile, '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(recorded.code, 0, recorded.stderr);
  skill = join(home.path, 'create-contact');
  const built = await runCli(['build', recording, '--out', skill, '--name', 'create-contact', '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(built.code, 0, built.stderr);
});

after(async () => {
  await server?.close();
  home.dispose();
});

async function projectsAfter(skillDirectory: string, params: Record<string, string>) {
  const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
  try {
    await session.page.goto(`${server.url}dialog.html`);
    const outcome = await replaySkill({ skillDirectory, surface: pageSurface(session.page), confirm: 'auto', autoApproveTier: 'robot', params }).then(
      (report) => ({ report, error: undefined }),
      (error: unknown) => ({ report: undefined, error: error as { code?: string; message: string } }),
    );
    const projects = (await session.page.locator('#projects li').allInnerTexts()).join('\n');
    return { ...outcome, projects };
  } finally {
    await session.dispose();
  }
}

test('the redacted e-mail is a secret parameter with no stored default', () => {
  const plan = JSON.parse(readFileSync(join(skill, 'plan.json'), 'utf8'));
  assert.deepEqual(plan.parameters.map((parameter: { name: string; default: string; secret?: boolean }) => [parameter.name, parameter.default, parameter.secret]), [['secret_1', '', true]]);
  assert.equal(JSON.stringify(plan.parameters).includes('[email]'), false);
  assert.equal(plan.steps.filter((step: { action: string; text?: string }) => step.action === 'type' && step.text?.includes('[email]')).length, 0);
});

test('without the secret, replay stops before acting; with it, the value is typed', async () => {
  const refused = await projectsAfter(skill, {});
  assert.equal(refused.error?.code, 'bad_input');
  assert.match(refused.error?.message ?? '', /secret_1/);
  assert.doesNotMatch(refused.projects, /\[email\]/);
  const given = await projectsAfter(skill, { secret_1: 'grace@example.org' });
  assert.equal(given.report?.ok, true, JSON.stringify(given.report?.steps));
  assert.match(given.projects, /grace@example\.org/);
});

test('a step that fails its check names the secret, never shows it (report, error, live view)', async () => {
  const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
  try {
    await session.page.goto(`${server.url}dialog.html`);
    // The field swallows every key: the typed step's check fails, quoting what it looked for.
    await session.page.evaluate(() => document.addEventListener('keydown', (event) => (event.target as HTMLElement).id === 'new-name' && event.preventDefault(), true));
    const live: string[] = [];
    const report = await replaySkill({ skillDirectory: skill, surface: pageSurface(session.page), confirm: 'auto', autoApproveTier: 'robot', params: { secret_1: 'grace@example.org' }, onStep: (step) => live.push(JSON.stringify(step)) });
    assert.equal(report.ok, false);
    const said = JSON.stringify(report) + live.join('\n');
    assert.doesNotMatch(said, /grace@example\.org/);
    assert.match(JSON.stringify(report), /\{\{secret_1\}\}/, 'the failed check names the parameter');
  } finally {
    await session.dispose();
  }
});

test('MCP: a client with elicitation is asked for the secret; one without is refused with its name', async () => {
  const set = await runCli(['settings', 'set', '{"permissions":{"autoApproveTier":"input"}}'], { env: home.env });
  assert.equal(set.code, 0, set.stderr);
  const connect = async (elicitation: boolean) => {
    const client = new Client({ name: 'secrets-test', version: '1.0.0' }, { capabilities: elicitation ? { elicitation: {} } : {} });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [binPath, 'mcp'], cwd: repoRoot, env: home.env as Record<string, string>, stderr: 'pipe' }));
    return client;
  };
  const textOf = (result: Awaited<ReturnType<Client['callTool']>>) => (result.content as { type: string; text?: string }[]).map((part) => part.text ?? '').join('\n');
  // MCP replays library skills by name only.
  const added = await runCli(['library', 'add', skill, '--replace', '--json'], { env: home.env, timeoutMs: 60_000 });
  assert.equal(added.code, 0, added.stderr);
  const plain = await connect(false);
  try {
    const refused = await plain.callTool({ name: 'replay_skill', arguments: { skill: 'create-contact', url: `${server.url}dialog.html` } });
    assert.equal(refused.isError, true);
    assert.match(textOf(refused), /^refused:.*secret_1/s);
  } finally {
    await plain.close();
  }
  const asking = await connect(true);
  const questions: string[] = [];
  asking.setRequestHandler(ElicitRequestSchema, async (request) => {
    questions.push(JSON.stringify(request.params));
    return { action: 'accept', content: { secret_1: 'lovelace@example.com' } };
  });
  try {
    const done = await asking.callTool({ name: 'replay_skill', arguments: { skill: 'create-contact', url: `${server.url}dialog.html` } });
    assert.equal(done.isError ?? false, false, textOf(done));
    const report = JSON.parse(textOf(done));
    assert.equal(report.ok, true, textOf(done));
    assert.equal(questions.length, 1);
    assert.match(questions[0], /secret_1/);
    assert.equal(textOf(done).includes('lovelace@example.com'), false, 'the secret is not echoed in the report');
    // The world: the page in the MCP server's own browser reported the project it created.
    assert.ok(server.events.some((event) => event.get('created') === 'lovelace@example.com'), 'the page created the project with the elicited value');
  } finally {
    await asking.close();
  }
});

test('the CLI exits 2 naming the parameter; an old package with a "[email]" default is read as a secret', async () => {
  const result = await runCli(['replay', skill, '--url', `${server.url}dialog.html`, '--confirm', 'auto', '--json'], { env: home.env, timeoutMs: 60_000 });
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match(result.stdout + result.stderr, /secret_1/);
  // A package built before secrets: the placeholder was the default and nothing marked it.
  const planFile = join(skill, 'plan.json');
  const plan = JSON.parse(readFileSync(planFile, 'utf8'));
  plan.parameters = plan.parameters.map(({ secret: _secret, ...parameter }: Record<string, unknown>) => ({ ...parameter, default: '[email]', name: 'text_1' }));
  plan.steps = plan.steps.map((step: { action: string; text?: string }) => (step.action === 'type' ? { ...step, text: '{{text_1}}' } : step));
  writeFileSync(planFile, JSON.stringify(plan, null, 2));
  const old = await projectsAfter(skill, {});
  assert.equal(old.error?.code, 'bad_input');
  assert.match(old.error?.message ?? '', /text_1/);
  assert.doesNotMatch(old.projects, /\[email\]/);
  // A placeholder typed in place (no parameter at all) is refused before the first step too.
  plan.parameters = [];
  plan.steps = plan.steps.map((step: { action: string; text?: string }) => (step.action === 'type' ? { ...step, text: 'to [email] now' } : step));
  writeFileSync(planFile, JSON.stringify(plan, null, 2));
  const inline = await projectsAfter(skill, {});
  assert.equal(inline.error?.code, 'unsafe', JSON.stringify(inline));
  assert.doesNotMatch(inline.projects, /\[email\]/);
});

test('the Replay page asks for the secret and replays with it', async () => {
  const ui = await openUi();
  try {
    const fresh = join(ui.home.path, 'create-contact');
    const rebuilt = await runCli(['build', join(home.path, 'recording'), '--out', fresh, '--name', 'create-contact', '--json'], { env: ui.home.env, timeoutMs: 120_000 });
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    const added = await runCli(['library', 'add', fresh, '--json'], { env: ui.home.env, timeoutMs: 60_000 });
    assert.equal(added.code, 0, added.stderr);
    const { page, server: serve } = ui;
    await page.goto(`${serve.url}?token=${serve.token}#/replay`);
    await page.locator('select#skill').waitFor({ timeout: 20_000 });
    await page.locator('input[name="target"]').fill(`${server.url}dialog.html`);
    await page.selectOption('select[name="confirm"]', 'auto');
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    const secret = page.locator('[data-secret="secret_1"]');
    await secret.waitFor({ timeout: 60_000 });
    assert.equal(await secret.getAttribute('type'), 'password');
    await secret.fill('hopper@example.net');
    await page.getByRole('button', { name: 'Replay with these values' }).click();
    await page.locator('[data-outcome]').waitFor({ timeout: 120_000 });
    assert.match(await page.locator('[data-outcome]').innerText(), /^Done/);
    assert.equal((await page.content()).includes('hopper@example.net'), false, 'the secret is not echoed in the page');
    assert.deepEqual(ui.pageErrors, []);
  } finally {
    await ui.dispose();
  }
});
