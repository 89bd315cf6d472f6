import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import { pageSurface } from '../../engine/computer/replay/web-surface.ts';
import { launchBrowser } from '../../native/browser/browser.ts';
import { serveFixtures } from '../../testkit/fixtures/web/server.ts';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

// Native <select> list boxes chosen as a person does in real Chromium — the mouse opens the
// list and keys move through its popup, or the keyboard reaches the closed list box and an
// arrow changes it — recorded, built into one "choose option by label" step each, and replayed
// on the same page and on its next version, where the options are reordered and renumbered.
// Judged by the requests the page's backend received, not by replay's report.

const home = temporaryHome();
let server: Awaited<ReturnType<typeof serveFixtures>>;
let base = '';

before(async () => {
  server = await serveFixtures();
  base = `${server.url}sort.html`;
});

after(async () => {
  await server?.close();
  home.dispose();
});

async function recordAndBuild(name: string, script: object[]): Promise<{ skill: string; plan: { parameters: { name: string; default: string; options?: string[] }[]; steps: { action: string; value?: string; key?: string; description: string; expected: { dom_text_appears: string[] } }[] } }> {
  const scriptFile = join(home.path, `${name}.json`);
  writeFileSync(scriptFile, JSON.stringify(script));
  const recording = join(home.path, `${name}-recording`);
  const recorded = await runCli(['record', '--url', base, '--out', recording, '--script', scriptFile, '--step-gap', '700', '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(recorded.code, 0, recorded.stderr);
  const skill = join(home.path, name);
  const built = await runCli(['build', recording, '--out', skill, '--name', name, '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(built.code, 0, built.stderr + built.stdout);
  assert.equal(JSON.parse(built.stdout).audit.accepted, true);
  return { skill, plan: JSON.parse(readFileSync(join(skill, 'plan.json'), 'utf8')) };
}

async function replayOn(skill: string, query: string): Promise<string[]> {
  server.api.length = 0;
  const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
  try {
    await session.page.goto(`${base}${query}`);
    const report = await replaySkill({ skillDirectory: skill, surface: pageSurface(session.page), confirm: 'auto', autoApproveTier: 'input' });
    assert.equal(report.ok, true, JSON.stringify(report.steps.map((step) => [step.index, step.status, step.reason])));
    await session.page.waitForTimeout(500);
    return [...server.api];
  } finally {
    await session.dispose();
  }
}

const steps = (plan: Awaited<ReturnType<typeof recordAndBuild>>['plan']) => plan.steps.map((step) => `${step.action} ${step.value ?? step.key ?? ''}`.trim());

test('mouse: the click that opened a list box and the keys in its popup become one select step per list box, replayed by label on the same and the reordered next version', async () => {
  const { skill, plan } = await recordAndBuild('sort-mouse', [
    { action: 'click', selector: '#search' },
    { action: 'click', selector: '#sort' },
    { action: 'press', key: 'ArrowDown' },
    { action: 'press', key: 'ArrowDown' },
    { action: 'press', key: 'Enter' },
    { action: 'click', selector: '#category' },
    { action: 'press', key: 'ArrowDown' },
    { action: 'press', key: 'Enter' },
  ]);
  // Each list box is a choice over the options the recorder saw, the recorded one its default.
  assert.deepEqual(steps(plan), ['click', 'select {{sort_by}}', 'select {{category}}']);
  assert.deepEqual(plan.parameters.map((parameter) => [parameter.name, parameter.default, parameter.options]), [['sort_by', 'Date added', ['Name', 'Price', 'Date added']], ['category', 'Home', ['All', 'Home', 'Office']]]);
  assert.match(plan.steps[1].description, /Choose "\{\{sort_by\}\}" in the "Sort by" combobox/);
  // The choice expects what it changed on the page, not a separate wait step.
  assert.ok(plan.steps[1].expected.dom_text_appears.includes('Sort by: Date added'), JSON.stringify(plan.steps[1].expected));
  assert.deepEqual(await replayOn(skill, ''), ['GET /api/products?sort=d', 'GET /api/products?category=home']);
  assert.deepEqual(await replayOn(skill, '?v=2'), ['GET /api/products?order=date-desc', 'GET /api/products?category=1']);
});

test('keyboard: Tab to a closed list box and an arrow key: the arrow is folded into the choice, so the next version gets the option by label, not by position', async () => {
  const { skill, plan } = await recordAndBuild('sort-keys', [
    { action: 'click', selector: '#search' },
    { action: 'press', key: 'Tab' },
    { action: 'press', key: 'ArrowDown' },
  ]);
  assert.deepEqual(steps(plan), ['click', 'press tab', 'select {{sort_by}}']);
  assert.equal(plan.parameters[0].default, 'Price');
  assert.deepEqual(await replayOn(skill, ''), ['GET /api/products?sort=p']);
  // Pressing Down here would choose "Date added" (options reordered): a wrong request.
  assert.deepEqual(await replayOn(skill, '?v=2'), ['GET /api/products?order=price-asc']);
});
