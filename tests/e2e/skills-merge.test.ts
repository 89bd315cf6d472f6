import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { validate as validateAgentSkill } from 'skills-ref';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import { pageSurface } from '../../engine/computer/replay/web-surface.ts';
import { auditSource } from '../../skills-mm/audit.ts';
import { loadPackageSource, parsePackage } from '../../skills-mm/format.ts';
import { serveFixtures } from '../../testkit/fixtures/web/server.ts';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';
import { recordWebScript, withPage } from '../support/web.ts';

// Three real Chromium recordings of one task (an order form) with different typed names, a
// different radio and a different list row each, and one with an extra checkbox, merge into one
// skill; it replays every recorded variant and new combinations. Ground truth is the order the
// page itself recorded (window.placedOrders), never replay's own report.

const home = temporaryHome();
let server: Awaited<ReturnType<typeof serveFixtures>>;
let skill: string;
let merge: { choices: { name: string; options: string[] }[]; branches: { step: number; when: string }[] };

interface Variant {
  customer: string;
  plan: 'Basic' | 'Pro' | 'Team';
  shipping: string;
  invoice?: boolean;
}
const rows: Record<string, string> = { 'Standard delivery': '#ship-standard', 'Express courier': '#ship-express', 'Store pickup': '#ship-pickup' };
const recorded: Variant[] = [
  { customer: 'Alice', plan: 'Basic', shipping: 'Standard delivery' },
  { customer: 'Bob', plan: 'Pro', shipping: 'Express courier' },
  { customer: 'Carol', plan: 'Team', shipping: 'Store pickup', invoice: true },
];

async function record(name: string, variant: Variant): Promise<string> {
  const script = [
    { action: 'click', selector: '#customer' },
    { action: 'type', text: variant.customer },
    { action: 'click', selector: `#plan-${variant.plan.toLowerCase()}` },
    ...(variant.invoice ? [{ action: 'click', selector: '#invoice' }] : []),
    { action: 'click', selector: rows[variant.shipping] },
    { action: 'click', selector: '#place-order' },
  ];
  // A pause after each action lets the recorder settle before the next one (its aria snapshot is
  // read at settle time, so a quicker script would lend one step the next step's result).
  return recordWebScript({ url: `${server.url}order.html`, out: join(home.path, name), env: home.env, script: script.flatMap((step) => [step, { action: 'wait', ms: 900 }]) });
}

before(async () => {
  server = await serveFixtures();
  const recordings = [];
  for (const [index, variant] of recorded.entries()) recordings.push(await record(`order-${index + 1}`, variant));
  skill = join(home.path, 'place-order');
  const built = await runCli(['build', ...recordings, '--out', skill, '--json'], { env: home.env, timeoutMs: 180_000 });
  assert.equal(built.code, 0, built.stderr);
  merge = JSON.parse(built.stdout).merge;
});

after(async () => {
  await server?.close();
  home.dispose();
});

async function replayVariant(variant: Variant) {
  return withPage(`${server.url}order.html`, async (page) => {
    const params = { text_1: variant.customer, plan: variant.plan, shipping: variant.shipping };
    const report = await replaySkill({ skillDirectory: skill, surface: pageSurface(page), confirm: 'auto', autoApproveTier: 'robot', params });
    const orders = (await page.evaluate(() => (window as unknown as { placedOrders?: unknown[] }).placedOrders ?? [])) as { customer: string; plan: string; shipping: string; invoice: boolean }[];
    return { report, orders };
  });
}

test('three recordings merge into one skill: a text parameter, two choice parameters with the recorded options, a branch tied to the choice', async () => {
  assert.deepEqual(merge.choices, [
    { name: 'plan', options: ['Basic', 'Pro', 'Team'] },
    { name: 'shipping', options: ['Standard delivery', 'Express courier', 'Store pickup'] },
  ]);
  assert.equal(merge.branches.length, 1);
  assert.match(merge.branches[0].when, /plan is "Team"/);
  const built = parsePackage(loadPackageSource(skill).files);
  assert.deepEqual(built.plan.parameters.map((parameter) => [parameter.name, parameter.kind]), [['text_1', 'text'], ['plan', 'choice'], ['shipping', 'choice']]);
  assert.equal(built.plan.steps.length, 6);
  assert.equal(built.plan.steps.find((step) => step.optional)?.optional?.parameter, 'plan');
  assert.ok(auditSource(skill).accepted);
  assert.deepEqual(await validateAgentSkill(skill), []);
  assert.match(built.frontmatter.description, /Learned from 3 recordings/);
});

test('the merged skill replays every recorded variant and new combinations; the page records exactly the order asked for', async () => {
  const fresh: Variant[] = [
    { customer: 'Dave', plan: 'Pro', shipping: 'Store pickup' },
    { customer: 'Erin', plan: 'Team', shipping: 'Standard delivery', invoice: true },
  ];
  let stepsDone = 0;
  let stepsDue = 0;
  let wrong = 0;
  for (const variant of [...recorded, ...fresh]) {
    const { report, orders } = await replayVariant(variant);
    const due = report.steps.filter((step) => !(step.status === 'skipped' && /optional branch/.test(step.reason ?? ''))).length;
    stepsDue += due;
    stepsDone += report.steps.filter((step) => step.status === 'done').length;
    const expected = { customer: variant.customer, plan: variant.plan, shipping: variant.shipping, invoice: Boolean(variant.invoice) };
    if (orders.length !== 1 || JSON.stringify(orders[0]) !== JSON.stringify(expected)) wrong += 1;
    assert.equal(report.ok, true, `${JSON.stringify(variant)}: ${JSON.stringify(report.error)} ${JSON.stringify(report.steps.map((step) => [step.status, step.reason]))}`);
    assert.deepEqual(orders, [expected], JSON.stringify(variant));
  }
  console.log(JSON.stringify({ merge_replay: { variants: 5, steps_done: stepsDone, steps_due: stepsDue, wrong_orders: wrong } }));
});

test('a choice value that was never recorded is refused before anything is touched (exit 2, naming the options)', async () => {
  const result = await runCli(['replay', skill, '--url', `${server.url}order.html`, '--param', 'plan=Gold', '--json'], { env: home.env, timeoutMs: 60_000 });
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match(result.stderr + result.stdout, /plan must be one of \\"Basic\\", \\"Pro\\", \\"Team\\"|plan must be one of "Basic", "Pro", "Team"/);
});

test('library add of a recording of a task the library has merges it into that skill (--merge; asked when someone can answer)', async () => {
  const { cpSync } = await import('node:fs');
  const recordings = join(home.path, 'recordings');
  for (const index of [1, 2, 3]) cpSync(join(home.path, `order-${index}`), join(recordings, `order-${index}`), { recursive: true });
  const two = join(home.path, 'two', 'order-form');
  const built = await runCli(['build', join(recordings, 'order-1'), join(recordings, 'order-2'), '--out', two, '--json'], { env: home.env, timeoutMs: 180_000 });
  assert.equal(built.code, 0, built.stderr);
  const added = await runCli(['library', 'add', two, '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(added.code, 0, added.stderr);
  const merged = await runCli(['library', 'add', join(recordings, 'order-3'), '--merge', '--json'], { env: home.env, timeoutMs: 180_000 });
  assert.equal(merged.code, 0, merged.stderr);
  const result = JSON.parse(merged.stdout);
  assert.equal(result.merged.into, 'order-form');
  assert.equal(result.merged.recordings.length, 3);
  assert.equal(result.skill.version, '1.1.0');
  const plan = parsePackage(loadPackageSource(join(home.path, 'skills', 'order-form')).files).plan;
  assert.deepEqual(plan.parameters.find((parameter) => parameter.name === 'plan')?.options, ['Basic', 'Pro', 'Team']);
});
