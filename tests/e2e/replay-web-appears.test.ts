import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { WebTask } from '../../bench/replay/tasks.ts';
import { armPage, missingTextsSource } from '../../engine/computer/replay/web-settle.ts';
import type { StaticServer } from '../../testkit/static-server.ts';
import { temporaryHome } from '../support/home.ts';
import { recordedWebSkill, replayOnPage } from '../support/web-replay.ts';

// A web step that expects text to appear is verified by text that APPEARED after the action, not by
// text that is on the page: the motion fixture's "Quarterly report" was matched by the button label
// "Show quarterly report" while the click did nothing, and replay said the step was verified. Here a
// recorded click on that button is replayed on the page as it is (the report shows: verified) and on
// a page whose button does nothing (the step must abort, and the page shows no report). Then the
// legitimate ways text appears, read on a real page: hidden text shown, one more of a text already
// there, typed text, a new document. Judged by the page's own record (truth.js), not replay's report.

const home = temporaryHome();
let browser: Browser;
let server: StaticServer;
let skill = '';
let dispose: (() => Promise<void>) | undefined;

const reports = `<!doctype html><html><head><meta charset="utf-8"><title>Reports</title><script src="truth.js"></script></head><body>
<h1>Reports</h1>
<button id="open" data-truth="open" type="button">Open reports panel</button>
<section id="panel" hidden><button id="show" data-truth="show" type="button">Show quarterly report</button></section>
<section id="report" hidden><h2>Quarterly report</h2></section>
<script>
  window.__outcome = { panel: false, shown: false };
  document.getElementById('open').addEventListener('click', () => {
    document.getElementById('panel').hidden = false;
    window.__outcome = { ...window.__outcome, panel: true };
  });
  document.getElementById('show').addEventListener('click', () => {
    document.getElementById('report').hidden = false;
    window.__outcome = { ...window.__outcome, shown: true };
  });
</script></body></html>`;

const cases = `<!doctype html><html><head><meta charset="utf-8"><title>Cases</title></head><body>
<p>Basket: <span id="count">2 items</span></p>
<ul id="log"><li>2 items</li></ul>
<button id="nothing" type="button">Open the archive</button>
<button id="more" type="button">Add a line</button>
<p><label>City (Paris, Lyon)</label> <input id="city" autocomplete="off"></p>
<a id="next" href="other.html">Archive</a>
<shadow-card id="card"></shadow-card>
<button id="reveal" type="button">Reveal the card's answer</button>
<button id="plain" type="button">Say hello</button>
<p id="greeting"></p>
<button id="slide" type="button">Show the notes</button>
<section id="notes" hidden style="transition: opacity 400ms ease; opacity: 0">Meeting notes</section>
<script>
  // A web component whose answer sits hidden in its open shadow root until revealed.
  customElements.define('shadow-card', class extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: 'open' }).innerHTML = '<style>p { color: #333 }</style><h3>Question</h3><p id="answer" hidden>Forty two</p>';
    }
  });
  document.getElementById('reveal').addEventListener('click', () => { document.getElementById('card').shadowRoot.getElementById('answer').hidden = false; });
  // Every animation frame the page is asked for, counted (replay's waits ask for them too).
  window.__frames = 0;
  const frame = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (callback) => { window.__frames += 1; return frame(callback); };
  document.getElementById('plain').addEventListener('click', () => { document.getElementById('greeting').textContent = 'Hello there'; });
  // As Bootstrap and the motion fixture do: shown, then the transition starts two frames later.
  document.getElementById('slide').addEventListener('click', () => {
    const notes = document.getElementById('notes');
    notes.hidden = false;
    frame(() => frame(() => { notes.style.opacity = '1'; }));
  });
  document.getElementById('more').addEventListener('click', () => {
    const item = document.createElement('li');
    item.textContent = '2 items';
    document.getElementById('log').append(item);
  });
</script></body></html>`;

const other = `<!doctype html><html><head><meta charset="utf-8"><title>Archive</title></head><body><h1>Archive</h1><p>Open the archive</p></body></html>`;

const task: WebTask = { name: 'show-report', kind: 'form', split: 'tune', page: 'reports.html', actions: [{ kind: 'click', truth: 'open' }, { kind: 'click', truth: 'show' }], expected: { panel: true, shown: true } };

before(async () => {
  ({ browser, server, skill, dispose } = await recordedWebSkill(home.path, { 'reports.html': reports, 'cases.html': cases, 'other.html': other }, task));
});

after(async () => {
  await dispose?.();
  home.dispose();
});

test('the recorded click expects the report heading, which the button label already holds', () => {
  const plan = JSON.parse(readFileSync(join(skill, 'plan.json'), 'utf8')) as { steps: { expected?: { dom_text_appears?: string[]; effect?: unknown } }[] };
  // The premise of the next test: the step is checked by page text, and that text is in the label.
  assert.ok(plan.steps[1].expected?.dom_text_appears?.some((text) => /^quarterly report$/i.test(text.trim())), JSON.stringify(plan.steps[1].expected));
});

test('the click shows the report: the step is verified, and the page shows it', async () => {
  const { report, truth } = await replayOnPage(browser, skill, new URL('reports.html', server.url).href);
  assert.equal(report.ok, true, JSON.stringify(report.steps));
  assert.equal(report.steps[1].verified, true);
  assert.deepEqual(truth.outcome, { panel: true, shown: true });
});

test('the button does nothing: the label holding the text is no evidence, the step aborts unsafe', async () => {
  // A broken release: the button's listener is gone, the click lands and nothing changes.
  const broken = `document.addEventListener('DOMContentLoaded', () => { const button = document.getElementById('show'); button.replaceWith(button.cloneNode(true)); });`;
  const { report, truth } = await replayOnPage(browser, skill, new URL('reports.html', server.url).href, broken);
  assert.equal(report.ok, false, JSON.stringify(report.steps));
  assert.equal(report.error?.code, 'unsafe');
  assert.equal(report.steps[0].status, 'done');
  assert.equal(report.steps[1].status, 'aborted');
  assert.notEqual(report.steps[1].verified, true);
  assert.match(report.steps[1].reason ?? '', /no "Quarterly report" appeared/i);
  assert.deepEqual(truth.outcome, { panel: true, shown: false });
});

/** Arms the page for `texts`, does `act`, waits (bounded) and reads what has not appeared. */
async function appears(page: Page, texts: string[], act: () => Promise<void>, timeoutMs = 20_000): Promise<{ held: boolean; missing: string[] }> {
  const armed = await armPage(page, { texts });
  try {
    await act();
    const waited = await armed.wait({ dom_text_appears: texts, ocr_text_appears: [] }, { timeoutMs });
    const missing = (await page.evaluate(`(${missingTextsSource})(${JSON.stringify(texts)})`)) as string[];
    return { held: waited.held, missing };
  } finally {
    armed.dispose();
  }
}

test('what counts as appeared: one more of a text, typed text, hidden shadow-root text shown, a new document; not text that was there', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await page.goto(new URL('cases.html', server.url).href, { waitUntil: 'load' });
    // Nothing happens: "2 items" and "Open the archive" were there before. No change can come
    // later on a slow machine either, so a short bound is enough.
    assert.deepEqual(await appears(page, ['Open the archive'], () => page.click('#nothing'), 600), { held: false, missing: ['Open the archive'] });
    // One more line "2 items" where two were: a count that grew.
    assert.deepEqual(await appears(page, ['2 items'], () => page.click('#more')), { held: true, missing: [] });
    // Typed into a field, while the label already names the city: the field's value is new.
    assert.deepEqual(await appears(page, ['Paris'], () => page.fill('#city', 'Paris')), { held: true, missing: [] });
    // Held hidden in a shadow root before, shown now: it appeared (its text was in the root all along).
    assert.deepEqual(await appears(page, ['Forty two'], () => page.click('#reveal')), { held: true, missing: [] });
    // The action opened another document, which shows text the old one had: all of it is new.
    assert.deepEqual(await appears(page, ['Open the archive'], () => page.click('#next')), { held: true, missing: [] });
  } finally {
    await context.close();
  }
});

test('the end of a step waits for frames only where what changed can move: not after plain text, until a slide ends', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await page.goto(new URL('cases.html', server.url).href, { waitUntil: 'load' });
    const framesDuring = async (button: string, text: string) => {
      const armed = await armPage(page, { texts: [text] });
      try {
        await page.click(button);
        const before = (await page.evaluate('window.__frames')) as number;
        const waited = await armed.wait({ dom_text_appears: [text], ocr_text_appears: [] }, { timeoutMs: 20_000 });
        assert.equal(waited.held, true);
        return ((await page.evaluate('window.__frames')) as number) - before;
      } finally {
        armed.dispose();
      }
    };
    // Nothing that changed declares a transition or an animation, and nothing runs: no frame is
    // waited for (two frames after every step was most of web replay's time over a plain script).
    assert.equal(await framesDuring('#plain', 'Hello there'), 0);
    // The notes declare a transition that starts two frames after they show: the wait looks after
    // those frames and returns once it has ended.
    assert.ok((await framesDuring('#slide', 'Meeting notes')) >= 2);
    const moving = await page.evaluate(() => document.getAnimations().filter((animation) => animation.playState === 'running').length);
    assert.equal(moving, 0, 'the transition had ended when the wait returned');
  } finally {
    await context.close();
  }
});
