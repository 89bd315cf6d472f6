import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { WebTask } from '../../bench/replay/tasks.ts';
import { readWebTruth } from '../../bench/replay/web-run.ts';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import { pageSurface } from '../../engine/computer/replay/web-surface.ts';
import type { StaticServer } from '../../testkit/static-server.ts';
import { temporaryHome } from '../support/home.ts';
import { recordedWebSkill } from '../support/web-replay.ts';

// Typing on a real page in real Chromium. Where the recording shows a field took the keys as plain
// text (its value grew by exactly what was typed), replay puts the text in with one insertion and
// types only the last character as a key: the page's input listeners run, a key listener sees the
// whole value. Where the page handled the keys itself (a coupon field that upper-cases each key and
// swallows it), the recording shows no plain text, and replay types key by key as before. Judged by
// what the page saved and counted, not by replay's report.

const home = temporaryHome();
let browser: Browser;
let server: StaticServer;
let skill = '';
let dispose: (() => Promise<void>) | undefined;

const page = `<!doctype html><html><head><meta charset="utf-8"><title>Checkout</title><script src="truth.js"></script></head><body>
<p><label for="name">Full name</label> <input id="name" data-truth="name-field" autocomplete="off"></p>
<p id="greeting"></p>
<p><label for="coupon">Coupon code</label> <input id="coupon" data-truth="coupon-field" autocomplete="off"></p>
<button id="apply" data-truth="apply">Apply</button>
<p id="status" role="status"></p>
<script>
  const name = document.getElementById('name');
  const coupon = document.getElementById('coupon');
  const counts = { nameKeydowns: 0, couponKeydowns: 0, nameKeyupValue: '' };
  name.addEventListener('input', () => { document.getElementById('greeting').textContent = 'Hello, ' + name.value; });
  name.addEventListener('keydown', () => { counts.nameKeydowns += 1; });
  name.addEventListener('keyup', () => { counts.nameKeyupValue = name.value; });
  // A key handler that owns the field: each letter goes in upper-cased, the key itself is swallowed.
  coupon.addEventListener('keydown', (event) => {
    counts.couponKeydowns += 1;
    if (event.key.length !== 1 || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    const at = coupon.selectionStart;
    coupon.value = coupon.value.slice(0, at) + event.key.toUpperCase() + coupon.value.slice(coupon.selectionEnd);
    coupon.setSelectionRange(at + 1, at + 1);
  });
  document.getElementById('apply').addEventListener('click', () => {
    window.__outcome = { name: name.value, greeting: document.getElementById('greeting').textContent, coupon: coupon.value };
    window.__counts = counts;
    document.getElementById('status').textContent = 'Applied ' + coupon.value;
  });
</script></body></html>`;

const task: WebTask = {
  name: 'checkout-typing',
  kind: 'form',
  split: 'tune',
  page: 'checkout.html',
  actions: [
    { kind: 'click', truth: 'name-field' },
    { kind: 'type', text: 'Ada Lovelace' },
    { kind: 'click', truth: 'coupon-field' },
    { kind: 'type', text: 'spring26' },
    { kind: 'click', truth: 'apply' },
  ],
  expected: { name: 'Ada Lovelace', greeting: 'Hello, Ada Lovelace', coupon: 'SPRING26' },
};

before(async () => {
  ({ browser, server, skill, dispose } = await recordedWebSkill(home.path, { 'checkout.html': page }, task));
});

after(async () => {
  await dispose?.();
  home.dispose();
});

test('the plan inserts where the field took plain text, and keeps keys where the page handled them', () => {
  const steps = (JSON.parse(readFileSync(join(skill, 'plan.json'), 'utf8')) as { steps: { action: string; typing?: string }[] }).steps.filter((step) => step.action === 'type');
  assert.deepEqual(
    steps.map((step) => step.typing),
    ['insert', undefined],
  );
  // What each field kept, exactly: the coupon field upper-cased the keys.
  assert.deepEqual(
    steps.map((step) => (step as { expected?: { field_gained?: string } }).expected?.field_gained),
    ['Ada Lovelace', 'SPRING26'],
  );
});

test('replay: the name goes in with one insertion and one key, the coupon key by key, the page saves both right', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const live = await context.newPage();
    await live.goto(new URL('checkout.html', server.url).href, { waitUntil: 'load' });
    const report = await replaySkill({ skillDirectory: skill, surface: pageSurface(live), confirm: 'auto', autoApproveTier: 'input' });
    assert.equal(report.ok, true, JSON.stringify(report.steps));
    const truth = await readWebTruth(live);
    assert.deepEqual(truth.outcome, task.expected, 'the page saved the typed name, its greeting and the upper-cased coupon');
    const counts = (await live.evaluate('window.__counts')) as { nameKeydowns: number; couponKeydowns: number; nameKeyupValue: string };
    assert.equal(counts.nameKeydowns, 1, 'one key for the name: its last character');
    assert.equal(counts.nameKeyupValue, 'Ada Lovelace', 'the key listener saw the whole name');
    assert.equal(counts.couponKeydowns, 'spring26'.length, 'every coupon key went through the page\'s key handler');
    for (const step of report.steps.filter((step) => step.action === 'type')) assert.equal(step.verified, true);
  } finally {
    await context.close();
  }
});

test('replay: a coupon that went in without its key handler (inserted, so kept lower-case) aborts at that step, though page text matches it ignoring case', async () => {
  // The same package with the coupon step forced to one insertion: the field keeps "spring26",
  // the recording kept "SPRING26". Page text is compared ignoring case and would pass it.
  const forced = join(home.path, 'forced');
  cpSync(skill, forced, { recursive: true });
  const planFile = join(forced, 'plan.json');
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as { steps: { action: string; typing?: string; expected?: { field_gained?: string } }[] };
  const coupon = plan.steps.find((step) => step.action === 'type' && step.expected?.field_gained === 'SPRING26');
  assert.ok(coupon, 'the coupon step');
  coupon.typing = 'insert';
  writeFileSync(planFile, JSON.stringify(plan, null, 2));
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const live = await context.newPage();
    await live.goto(new URL('checkout.html', server.url).href, { waitUntil: 'load' });
    const report = await replaySkill({ skillDirectory: forced, surface: pageSurface(live), confirm: 'auto', autoApproveTier: 'input' });
    assert.equal(report.ok, false, 'replay does not call a wrong-case coupon done');
    const failed = report.steps.find((step) => step.verified === false);
    assert.equal(failed?.action, 'type', JSON.stringify(report.steps));
    assert.match(failed?.reason ?? '', /SPRING26/);
    const truth = await readWebTruth(live);
    assert.notEqual((truth.outcome as { coupon?: string } | undefined)?.coupon, 'SPRING26', 'nothing after the failed step applied the coupon');
  } finally {
    await context.close();
  }
});
