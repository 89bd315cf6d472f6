import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { fixtureDirectory } from '../../bench/replay/benchmark.ts';
import { webTasks, type WebTask } from '../../bench/replay/tasks.ts';
import { launchBrowser, readWebTruth, recordWebTask } from '../../bench/replay/web-run.ts';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import { pageSurface } from '../../engine/computer/replay/web-surface.ts';
import { armPage } from '../../engine/computer/replay/web-settle.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { serveFolder, type StaticServer } from '../../testkit/static-server.ts';
import { temporaryHome } from '../support/home.ts';

// Web steps whose recording expects only "something changed" (no text, URL or element state) are
// verified by the page's own count of visible changes, not by two screenshots: a rendered DOM
// mutation, a field's value or a box's checked state, a focus the page draws. A click that changes
// nothing a person could see still aborts; where the click lands on something that paints outside
// the DOM (a canvas) the pixels still decide. Nothing here depends on how long anything takes: a
// wait that must see no change cannot see one on a slow machine either.

const home = temporaryHome();
let browser: Browser;
let server: StaticServer;

const probePage = `<!doctype html><html><head><style>
  body { font-family: sans-serif; margin: 0; }
  #hover:hover { background: #c00; color: white; }
  #ghost { display: none; }
</style></head><body>
  <input id="field" style="position:absolute; left:20px; top:20px; width:200px; height:30px">
  <input id="box" type="checkbox" style="position:absolute; left:20px; top:80px; width:20px; height:20px">
  <button id="hover" style="position:absolute; left:20px; top:130px; width:120px; height:30px">Hover only</button>
  <button id="hidden-change" style="position:absolute; left:20px; top:180px; width:120px; height:30px">Hidden change</button>
  <button id="shows" style="position:absolute; left:20px; top:230px; width:120px; height:30px">Shows a note</button>
  <canvas id="pad" width="200" height="100" style="position:absolute; left:300px; top:20px; border:1px solid #888"></canvas>
  <div id="ghost">never shown</div>
  <div id="notes" style="position:absolute; left:300px; top:200px"></div>
  <script>
    document.getElementById('hidden-change').addEventListener('click', () => document.getElementById('ghost').setAttribute('data-count', String(Date.now())));
    document.getElementById('shows').addEventListener('click', () => { document.getElementById('notes').textContent = 'A note'; });
  </script>
</body></html>`;

// A canvas "app": the click draws a dot, and nothing in the DOM changes.
const canvasPage = `<!doctype html><html><head><title>Pad</title><script src="truth.js"></script></head><body style="margin:0">
  <canvas id="pad" data-truth="pad" width="400" height="300" style="position:absolute; left:100px; top:100px; border:1px solid #888"></canvas>
  <script>
    const pad = document.getElementById('pad');
    pad.addEventListener('click', (event) => {
      if (window.__inert) return;
      const context = pad.getContext('2d');
      context.fillStyle = '#1a4';
      context.fillRect(event.offsetX - 10, event.offsetY - 10, 20, 20);
      window.__outcome = { dots: (window.__outcome ? window.__outcome.dots : 0) + 1 };
    });
  </script>
</body></html>`;

const formTask = webTasks.find((task) => task.name === 'web-form-signup')!;
const canvasTask: WebTask = { name: 'canvas-dot', kind: 'form', split: 'unseen', page: 'canvas.html', actions: [{ kind: 'click', truth: 'pad' }], expected: { dots: 1 } };
let formSkill = '';
let canvasSkill = '';

before(async () => {
  const site = join(home.path, 'site');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(site, { recursive: true });
  for (const file of ['form.html', 'truth.js']) copyFileSync(join(fixtureDirectory, file), join(site, file));
  writeFileSync(join(site, 'canvas.html'), canvasPage);
  writeFileSync(join(site, 'probe.html'), probePage);
  server = await serveFolder(site);
  browser = await launchBrowser();
  // The benchmark's scripted recordings: the trajectory format with screenshots, no element states,
  // so every click expects only a changed region.
  for (const [task, assign] of [
    [formTask, (dir: string) => (formSkill = dir)],
    [canvasTask, (dir: string) => (canvasSkill = dir)],
  ] as const) {
    const trajectory = await recordWebTask(browser, server.url, task, join(home.path, 'recordings', task.name));
    assign((await buildSkill({ trajectoryDir: trajectory, outDir: join(home.path, 'skills', task.name), name: task.name })).dir);
  }
});

after(async () => {
  await browser?.close();
  await server?.dispose();
  home.dispose();
});

async function openPage(file: string, init?: string): Promise<{ page: Page; dispose: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  if (init) await page.addInitScript(init);
  await page.goto(new URL(file, server.url).href, { waitUntil: 'load' });
  return { page, dispose: () => context.close() };
}

const onlyChange = { dom_text_appears: [], ocr_text_appears: [], changed_region: { x: 0, y: 0, width: 10, height: 10 } };

/** Arms at the element's centre, clicks it, and waits for a visible change (bounded). */
async function clickAndWait(page: Page, selector: string, timeoutMs: number) {
  const box = (await page.locator(selector).boundingBox())!;
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const armed = await armPage(page, { at });
  try {
    await page.mouse.click(at.x, at.y);
    const result = await armed.wait(onlyChange, { timeoutMs, acted: at });
    return { opaque: armed.opaque, held: result.held, by: result.by };
  } finally {
    armed.dispose();
  }
}

test('the page counts what a person could see: a focus it draws, a checked box, shown text; not a hover, a hidden element or nothing', async () => {
  const { page, dispose } = await openPage('probe.html');
  try {
    assert.deepEqual(await clickAndWait(page, '#field', 60_000), { opaque: false, held: true, by: 'change' }, 'a click into a text field: the focus ring');
    assert.deepEqual(await clickAndWait(page, '#box', 60_000), { opaque: false, held: true, by: 'change' }, 'a checkbox: its checked state');
    assert.deepEqual(await clickAndWait(page, '#shows', 60_000), { opaque: false, held: true, by: 'change' }, 'text shown');
    // These must see nothing in the whole bounded wait, however slow the machine.
    assert.deepEqual(await clickAndWait(page, '#hover', 1_500), { opaque: false, held: false, by: 'timeout' }, 'a button with only a hover style');
    assert.deepEqual(await clickAndWait(page, '#hidden-change', 1_500), { opaque: false, held: false, by: 'timeout' }, 'a change to an element that is not shown');
    assert.deepEqual(await clickAndWait(page, 'body', 1_500), { opaque: false, held: false, by: 'timeout' }, 'a click on nothing');
    const pad = await clickAndWait(page, '#pad', 1_500);
    assert.equal(pad.opaque, true, 'a canvas paints outside the DOM: pixels must decide');
  } finally {
    await dispose();
  }
});

async function replayOn(skill: string, file: string, init?: string) {
  const { page, dispose } = await openPage(file, init);
  try {
    const surface = pageSurface(page);
    let captures = 0;
    const counted = { ...surface, capture: () => ((captures += 1), surface.capture()) };
    const report = await replaySkill({ skillDirectory: skill, surface: counted, confirm: 'auto', autoApproveTier: 'input' });
    return { report, captures, truth: await readWebTruth(page) };
  } finally {
    await dispose();
  }
}

test('a form replayed by the page\'s own events: every click verified without a screenshot, the form submitted', async () => {
  const { report, captures, truth } = await replayOn(formSkill, 'form.html');
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.deepEqual(truth.outcome, formTask.expected);
  for (const step of report.steps.filter((step) => step.action === 'click')) {
    assert.equal(step.verified, true);
    assert.match(step.reason ?? '', /the page changed \(its own events\)/);
  }
  assert.equal(captures, 0, 'no screenshot on the way');
});

test('a click that changes nothing on a page still aborts: the terms box is disabled, nothing is submitted', async () => {
  const disable = `document.addEventListener('DOMContentLoaded', () => { document.querySelector('input[name=agree]').disabled = true; });`;
  const { report, truth } = await replayOn(formSkill, 'form.html', disable);
  assert.equal(report.ok, false, JSON.stringify(report));
  assert.equal(report.error?.code, 'unsafe');
  const aborted = report.steps.find((step) => step.status === 'aborted')!;
  assert.equal(aborted.index, 6, JSON.stringify(report.steps));
  assert.match(aborted.reason ?? '', /nothing changed on the page/);
  assert.equal(truth.outcome, null, 'the form was never submitted');
});

test('a click on a canvas is judged by pixels: the drawn dot verifies, a click that draws nothing aborts', async () => {
  const drawn = await replayOn(canvasSkill, 'canvas.html');
  assert.equal(drawn.report.ok, true, JSON.stringify(drawn.report));
  assert.deepEqual(drawn.truth.outcome, { dots: 1 });
  assert.match(drawn.report.steps[0].reason ?? '', /the page changed\)/);
  assert.ok(drawn.captures >= 2, `the frames before and after were compared (${drawn.captures} captures)`);
  const inert = await replayOn(canvasSkill, 'canvas.html', 'window.__inert = true;');
  assert.equal(inert.report.ok, false, JSON.stringify(inert.report));
  assert.equal(inert.report.error?.code, 'unsafe');
  assert.match(inert.report.steps[0].reason ?? '', /nothing changed/);
});
