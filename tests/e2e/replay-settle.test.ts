import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import { pageSurface } from '../../engine/computer/replay/web-surface.ts';
import { armPage } from '../../engine/computer/replay/web-settle.ts';
import { launchBrowser } from '../../native/browser/browser.ts';
import { fixtureRoot } from '../../testkit/fixtures/web/server.ts';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

// Event-driven settle on a real page in real Chromium: replay waits for the step's expected
// post-state through the page itself. The server decides when (and whether) the page's answer
// comes, so these tests hold on a busy machine: nothing here depends on how long anything takes.

const home = temporaryHome();
let mode: 'answer' | 'hold' | 'fail' = 'answer';
let held: ((text: string) => void)[] = [];
let heldArrived: (() => void) | undefined;
let base = '';
let skill = '';
const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  const path = new URL(request.url ?? '/', 'http://x').pathname;
  if (request.method === 'POST' && path === '/save') {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const answer = (text: string) => response.writeHead(200, { 'content-type': 'text/plain' }).end(text);
      if (mode === 'answer') answer(`Draft ${body} saved`);
      else if (mode === 'fail') answer('Could not save the draft');
      else {
        held.push(answer);
        heldArrived?.();
      }
    });
    return;
  }
  try {
    const file = join(fixtureRoot, path === '/' ? 'late-save.html' : path.replace(/\.\.+/g, ''));
    const body = readFileSync(file);
    response.writeHead(200, { 'content-type': file.endsWith('.css') ? 'text/css' : 'text/html; charset=utf-8' }).end(body);
  } catch {
    response.writeHead(404).end();
  }
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const script = join(home.path, 'script.json');
  writeFileSync(script, JSON.stringify([
    { action: 'click', selector: '#title' },
    { action: 'type', text: 'Plan' },
    { action: 'click', selector: '#save' },
  ]));
  const recording = join(home.path, 'recording');
  const recorded = await runCli(['record', '--url', `${base}late-save.html`, '--out', recording, '--script', script, '--step-gap', '1500', '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(recorded.code, 0, recorded.stderr);
  skill = join(home.path, 'skill');
  process.env.KEEP_RECORDING && console.log(recording);
  const built = await runCli(['build', recording, '--out', skill, '--name', 'save-draft', '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(built.code, 0, built.stderr);
  const plan = JSON.parse(readFileSync(join(skill, 'plan.json'), 'utf8'));
  assert.ok(plan.steps[2].expected.dom_text_appears.some((text: string) => /Draft Plan saved/.test(text)), `the recording expects the saved message: ${JSON.stringify(plan.steps[2].expected)}`);
});

after(async () => {
  for (const answer of held) answer('late');
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  home.dispose();
});

/** Replays the skill on a fresh page; `during` runs while the replay is under way. */
async function replayWith(during?: (captures: () => number) => Promise<void>) {
  const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
  try {
    await session.page.goto(`${base}late-save.html`);
    const surface = pageSurface(session.page);
    let captures = 0;
    const counted = { ...surface, capture: () => ((captures += 1), surface.capture()) };
    const replay = replaySkill({ skillDirectory: skill, surface: counted, confirm: 'auto', autoApproveTier: 'robot' });
    await during?.(() => captures);
    const report = await replay;
    const status = await session.page.locator('#status').innerText();
    return { report, status };
  } finally {
    await session.dispose();
  }
}

test('a page that updates late still verifies: the wait ends on the page text, not on quiet pixels', async () => {
  mode = 'hold';
  held = [];
  let settled = false;
  const { report, status } = await replayWith(async (captures) => {
    await new Promise<void>((resolve) => (heldArrived = resolve));
    // The save request is held by the server: the step cannot be verified yet, and the wait
    // for it takes no screenshots (it listens to the page, it does not poll pixels).
    const capturesWhileHeld = captures();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(captures(), capturesWhileHeld, 'no screenshot polling while the page has not answered');
    settled = true;
    held.shift()?.('Draft Plan saved');
  });
  assert.ok(settled);
  if (process.env.SF_DEBUG) console.log(JSON.stringify(report.steps));
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.equal(status, 'Draft Plan saved', 'the page itself shows the answer');
  const last = report.steps[2];
  assert.equal(last.verified, true);
  assert.equal(last.settledBy, 'text', 'the wait ended on the expected text');
});

test('a page that never shows the expected text still aborts as unsafe', async () => {
  mode = 'fail';
  const { report, status } = await replayWith();
  assert.equal(status, 'Could not save the draft');
  assert.equal(report.ok, false);
  assert.equal(report.error?.code, 'unsafe');
  assert.equal(report.steps[2].status, 'aborted');
  assert.match(report.steps[2].reason ?? '', /Draft Plan saved/);
});

test('settle returns on the event: the wait resolves when the text is inserted, by the text', async () => {
  const session = await launchBrowser({ viewport: { width: 800, height: 600 }, loopbackOnly: true });
  try {
    await session.page.goto(`${base}late-save.html`);
    const armed = await armPage(session.page);
    let resolved = false;
    const waiting = armed.wait({ dom_text_appears: ['Inserted by the test'], ocr_text_appears: [] }, { timeoutMs: 60_000 }).then((result) => {
      resolved = true;
      return result;
    });
    // Two round trips to the page: the wait is installed and has looked at least once.
    await session.page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
    await session.page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
    assert.equal(resolved, false, 'the text is not there yet: the wait is still waiting');
    await session.page.evaluate(() => {
      document.getElementById('status')!.textContent = 'Inserted by the test';
    });
    const result = await waiting;
    assert.deepEqual({ held: result.held, by: result.by }, { held: true, by: 'text' });
    armed.dispose();

    // Nothing specific expected, only a change: a radio-like property change with no mutation
    // still ends the wait, through the page's own input event.
    const rearmed = await armPage(session.page);
    await session.page.fill('#title', 'x');
    const changed = await rearmed.wait({ dom_text_appears: [], ocr_text_appears: [], changed_region: { x: 0, y: 0, width: 10, height: 10 } }, { timeoutMs: 60_000 });
    assert.deepEqual({ held: changed.held, by: changed.by }, { held: true, by: 'change' });
    rearmed.dispose();
  } finally {
    await session.dispose();
  }
});
