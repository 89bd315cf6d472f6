import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { WebTask } from '../../bench/replay/tasks.ts';
import type { StaticServer } from '../../testkit/static-server.ts';
import { temporaryHome } from '../support/home.ts';
import { recordedWebSkill, replayOnPage } from '../support/web-replay.ts';

// On the web, a place found by looks (the recorded picture, its label read by OCR, the offset from
// its anchors) is acted on only where the page has an element the recording describes. An
// unlabelled control (an icon with no name, no text) is described only by its CSS path; in the next
// release it is gone and an icon drawn the same way, which does something else, sits where it was.
// Its picture matches there, and a click would be a wrong action: replay must stop before it.
// Where the control is still there, the picture is confirmed by the page and the click goes through,
// the DOM rung switched off so the pixel rungs are what ground it. Judged by the clicks the page
// itself recorded (truth.js), not by replay's report.

const home = temporaryHome();
let browser: Browser;
let server: StaticServer;
let skill = '';
let dispose: (() => Promise<void>) | undefined;

const icons = `<!doctype html><html><head><meta charset="utf-8"><title>Board</title><script src="truth.js"></script>
<style>
  body { font-family: sans-serif; margin: 0; }
  .icon { position: absolute; width: 40px; height: 40px; border: 3px solid #224; border-radius: 6px; background: repeating-linear-gradient(45deg, #e33 0 6px, #fff 6px 12px); cursor: pointer; }
  #status { position: absolute; left: 20px; top: 200px; }
</style></head><body>
<p style="position:absolute; left:20px; top:20px">Pinned cards</p>
<div id="pin" class="icon" data-truth="pin" style="left:200px; top:100px"></div>
<p id="status"></p>
<script>
  window.__outcome = { pinned: 0 };
  document.getElementById('pin').addEventListener('click', () => {
    window.__outcome = { pinned: window.__outcome.pinned + 1 };
    document.getElementById('status').textContent = 'Pinned ' + window.__outcome.pinned;
  });
</script></body></html>`;

// The next release: the pin is gone; a delete icon drawn the same way sits where it was.
const swapped = `document.addEventListener('DOMContentLoaded', () => {
  const pin = document.getElementById('pin');
  const trash = document.createElement('div');
  trash.className = 'icon';
  trash.id = 'delete-card';
  trash.setAttribute('data-truth', 'delete');
  trash.style.cssText = pin.style.cssText;
  trash.addEventListener('click', () => { document.getElementById('status').textContent = 'Card deleted'; });
  pin.replaceWith(trash);
});`;

const task: WebTask = { name: 'pin-card', kind: 'form', split: 'tune', page: 'icons.html', actions: [{ kind: 'click', truth: 'pin' }], expected: { pinned: 1 } };

before(async () => {
  ({ browser, server, skill, dispose } = await recordedWebSkill(home.path, { 'icons.html': icons }, task));
});

after(async () => {
  await dispose?.();
  home.dispose();
});

test('the icon has no name: the step is described by its CSS path and its picture only', () => {
  const plan = JSON.parse(readFileSync(join(skill, 'plan.json'), 'utf8')) as { steps: { target?: { locator?: { name?: string; css?: string }; template?: unknown } }[] };
  const target = plan.steps[0].target;
  assert.equal(target?.locator?.name, undefined, JSON.stringify(target?.locator));
  assert.equal(target?.locator?.css, '#pin');
  assert.ok(target?.template, 'the step has a picture to match');
});

test('the icon is there, the DOM rung off: the picture is confirmed by the page, the card is pinned', async () => {
  const { report, truth } = await replayOnPage(browser, skill, new URL('icons.html', server.url).href, undefined, { disabledTiers: ['dom'] });
  assert.equal(report.ok, true, JSON.stringify(report.steps));
  assert.notEqual(report.steps[0].tier, 'dom');
  assert.deepEqual(truth.outcome, { pinned: 1 });
  assert.deepEqual(truth.clicks.map((click) => click.truth), ['pin']);
});

test('a look-alike icon that deletes sits where the pin was: replay stops before clicking it', async () => {
  const { report, truth } = await replayOnPage(browser, skill, new URL('icons.html', server.url).href, swapped);
  assert.equal(report.ok, false, JSON.stringify(report.steps));
  assert.equal(report.error?.code, 'unsafe');
  assert.equal(report.steps[0].status, 'aborted');
  assert.match(report.steps[0].reason ?? '', /no element the recording describes/);
  // The world: nothing was clicked, nothing deleted.
  assert.deepEqual(truth.clicks, []);
});
