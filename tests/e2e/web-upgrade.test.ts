import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import { pageSurface } from '../../engine/computer/replay/web-surface.ts';
import { launchBrowser } from '../../native/browser/browser.ts';
import { findInvisible } from '../../core/text.ts';
import { fixtureRoot } from '../../testkit/fixtures/web/server.ts';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

// A swagger-like API console whose accessible names carry invisible characters, recorded with
// no pause between clicking a field and typing into it while the CPUs are busy, then replayed on
// the same page and on its "next version" (changed DOM and text around the targets). Judged by
// the requests the page's backend received, not by replay's report.

const home = temporaryHome();
const requests: string[] = [];
let server: Server;
let base = '';
let skill = '';
let recording = '';

before(async () => {
  server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/api/')) {
      requests.push(`${request.method} ${url.pathname}${url.search}`);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: url.pathname.split('/').pop(), name: 'doggie' }));
      return;
    }
    const body = await readFile(join(fixtureRoot, url.pathname === '/shadow.html' ? 'shadow.html' : 'petstore.html'));
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;

  const script = [
    { action: 'click', selector: '#op-get' },
    { action: 'click', selector: '#body-get .try' },
    { action: 'click', selector: '#body-get .pet-id' },
    { action: 'type', text: '42' },
    { action: 'click', selector: '#body-get .execute' },
  ];
  const scriptFile = join(home.path, 'script.json');
  writeFileSync(scriptFile, JSON.stringify(script));
  recording = join(home.path, 'recording');
  // Load on both cores while recording: the keystroke race is worst when the recorder is slow.
  const burners: ChildProcess[] = [0, 1].map(() => spawn(process.execPath, ['-e', 'const end = Date.now() + 60000; while (Date.now() < end);'], { stdio: 'ignore' }));
  try {
    const recorded = await runCli(['record', '--url', base, '--out', recording, '--script', scriptFile, '--step-gap', '0', '--json'], { env: home.env, timeoutMs: 180_000 });
    assert.equal(recorded.code, 0, recorded.stderr);
  } finally {
    for (const burner of burners) burner.kill('SIGKILL');
  }
  skill = join(home.path, 'find-pet');
  const built = await runCli(['build', recording, '--out', skill, '--name', 'find-pet', '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(built.code, 0, built.stderr + built.stdout);
  assert.equal(JSON.parse(built.stdout).audit.accepted, true);
  requests.length = 0;
});

after(async () => {
  await new Promise((resolve) => {
    server?.closeAllConnections();
    server?.close(resolve);
  });
  home.dispose();
});

test('invisible characters in accessible names: stored cleaned, raw kept only in the locator, the package passes its own audit', async () => {
  const events = readFileSync(join(recording, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  const toggle = events.find((event) => event.kind === 'click' && event.target?.elementId === 'op-get');
  assert.equal(toggle.target.name, 'GET /pet/{petId}');
  assert.equal(toggle.target.rawName, 'GET /pet/\u200b{petId}\u200c');
  for (const file of ['SKILL.md', 'plan.json', 'state_cards.json', 'runtime_state_cards.json']) {
    assert.equal(findInvisible(readFileSync(join(skill, file), 'utf8')), undefined, `${file} holds an invisible character`);
  }
  const plan = JSON.parse(readFileSync(join(skill, 'plan.json'), 'utf8'));
  assert.equal(plan.steps[0].target.locator.raw_name, 'GET /pet/\u200b{petId}\u200c');
  assert.match(plan.steps[0].description, /"GET \/pet\/\{petId\}"/);
  // The click that opened the operation expects what it did: expanded, its region shown.
  assert.equal(plan.steps[0].expected.effect.expanded, true);
  assert.deepEqual(plan.steps[0].expected.effect.shown, [{ role: 'region', name: 'Find pet by ID' }]);
  // The console shows the request as a curl command (`curl -X 'GET' \` ↵ url ↵ `-H '…'`): none of
  // its lines is an expectation (the audit refuses the command; the rest is its continuation).
  const expectedLines = plan.steps.flatMap((step: { expected: { dom_text_appears: string[] } }) => step.expected.dom_text_appears);
  assert.ok(!expectedLines.some((line: string) => /curl|accept: application\/json/.test(line)), JSON.stringify(expectedLines));
  const audited = await runCli(['audit', skill, '--json'], { env: home.env });
  assert.equal(audited.code, 0, audited.stdout);
});

test('after-states belong to their step: the click into the field never expects what the next step typed', () => {
  const plan = JSON.parse(readFileSync(join(skill, 'plan.json'), 'utf8'));
  const click = plan.steps.find((step: { action: string; description: string }) => step.action === 'click' && /"petId" textbox/.test(step.description));
  assert.ok(click, JSON.stringify(plan.steps.map((step: { description: string }) => step.description)));
  assert.ok(!click.expected.dom_text_appears.some((text: string) => text.includes('4')), JSON.stringify(click.expected));
  assert.equal(click.expected.effect?.focused, true);
  const events = readFileSync(join(recording, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  const clickEvent = events.find((event) => event.kind === 'click' && /pet/.test(event.target?.name ?? '') && event.target?.role === 'textbox');
  assert.equal(clickEvent.afterState.taken, 'input');
  assert.ok(!clickEvent.afterState.text.some((line: string) => line.includes('/api/pet/4')), JSON.stringify(clickEvent.afterState.text));
});

for (const [label, query] of [['the same version', ''], ['the next version (DOM and text changed around the targets)', '?v=2']] as const) {
  test(`replay on ${label}: every step verified, exactly the one request asked for`, async () => {
    requests.length = 0;
    const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
    try {
      await session.page.goto(`${base}${query}`);
      const report = await replaySkill({ skillDirectory: skill, surface: pageSurface(session.page), confirm: 'auto', autoApproveTier: 'robot' });
      assert.equal(report.ok, true, JSON.stringify(report.steps.map((step) => [step.index, step.status, step.reason])));
      await session.page.getByText('Server response 200').waitFor({ timeout: 10_000 });
      assert.deepEqual(requests, ['GET /api/pet/42']);
    } finally {
      await session.dispose();
    }
  });
}

test('controls inside open shadow roots: recorded through the composed path, the look-alike told apart by its section, replayed', async () => {
  const script = [
    { action: 'click', selector: '#op-b input.value' },
    { action: 'type', text: '9' },
    { action: 'click', selector: '#op-b button' },
  ];
  const scriptFile = join(home.path, 'shadow.json');
  writeFileSync(scriptFile, JSON.stringify(script));
  const shadowRecording = join(home.path, 'shadow-recording');
  const recorded = await runCli(['record', '--url', `${base}shadow.html`, '--out', shadowRecording, '--script', scriptFile, '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(recorded.code, 0, recorded.stderr);
  const shadowSkill = join(home.path, 'shadow-send');
  const built = await runCli(['build', shadowRecording, '--out', shadowSkill, '--name', 'shadow-send', '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(built.code, 0, built.stderr + built.stdout);
  const plan = JSON.parse(readFileSync(join(shadowSkill, 'plan.json'), 'utf8'));
  assert.equal(plan.steps.at(-1).target.locator.name, 'Send');
  assert.equal(plan.steps.at(-1).target.locator.scope, '#op-b');
  requests.length = 0;
  const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
  try {
    await session.page.goto(`${base}shadow.html`);
    const report = await replaySkill({ skillDirectory: shadowSkill, surface: pageSurface(session.page), confirm: 'auto', autoApproveTier: 'robot' });
    assert.equal(report.ok, true, JSON.stringify(report.steps.map((step) => [step.index, step.status, step.reason])));
    await session.page.waitForTimeout(500);
    assert.deepEqual(requests, ['GET /api/shadow/b?value=9']);
  } finally {
    await session.dispose();
  }
});
