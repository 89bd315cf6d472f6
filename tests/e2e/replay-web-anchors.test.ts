import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { fixtureDirectory } from '../../bench/replay/benchmark.ts';
import { webTasks, type WebTask } from '../../bench/replay/tasks.ts';
import { launchBrowser, recordWebTaskWithRecorder } from '../../bench/replay/web-run.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { serveFolder, type StaticServer } from '../../testkit/static-server.ts';
import { temporaryHome } from '../support/home.ts';
import { replayOnPage } from '../support/web-replay.ts';

// Look-alikes on a real page in real Chromium: a table with one "Archive" button per row. The
// recorder stores the text a person would name the row by (the company), replay acts only on the
// button whose own row still shows it, and refuses when no row or more than one row does, or when
// nothing told the rows apart when the skill was recorded. Judged by what the page itself saved
// and which buttons it saw clicked (truth.js), never by replay's report alone.

const home = temporaryHome();
let browser: Browser;
let server: StaticServer;
const tableTask = webTasks.find((task) => task.name === 'web-table-archive')!;
let tableSkill = '';
let twinsSkill = '';

// Two rows no text tells apart: the second "Archive" can only be named by its position.
const twinsPage = `<!doctype html><html><head><meta charset="utf-8"><title>Twins</title><script src="truth.js"></script></head><body>
<table><tbody id="rows">
  <tr><td>Acme</td><td>Berlin</td><td><button class="archive" data-truth="archive-1">Archive</button></td></tr>
  <tr><td>Acme</td><td>Berlin</td><td><button class="archive" data-truth="archive-2">Archive</button></td></tr>
</tbody></table>
<p id="status" role="status"></p>
<script>
  window.__outcome = { archived: [] };
  document.querySelectorAll('.archive').forEach(function (button) {
    button.addEventListener('click', function () {
      window.__outcome.archived.push(button.getAttribute('data-truth'));
      button.closest('tr').style.opacity = '0.4';
      document.getElementById('status').textContent = 'Archived ' + window.__outcome.archived.length;
    });
  });
</script></body></html>`;
// Cards, not rows: each card's heading names it, and the "Edit" link inside it is the look-alike.
const cardsPage = `<!doctype html><html><head><meta charset="utf-8"><title>Teams</title><script src="truth.js"></script></head><body>
<main id="cards">
  <article><h3>Design</h3><p>6 members</p><a href="#design" class="edit" data-truth="edit-design">Edit</a></article>
  <article><h3>Support</h3><p>6 members</p><a href="#support" class="edit" data-truth="edit-support">Edit</a></article>
  <article><h3>Research</h3><p>4 members</p><a href="#research" class="edit" data-truth="edit-research">Edit</a></article>
</main>
<p id="status" role="status"></p>
<script>
  window.__outcome = { editing: null };
  document.querySelectorAll('.edit').forEach(function (link) {
    link.addEventListener('click', function () {
      window.__outcome = { editing: link.closest('article').querySelector('h3').textContent };
      document.getElementById('status').textContent = 'Editing ' + window.__outcome.editing;
    });
  });
</script></body></html>`;
const cardsTask: WebTask = { name: 'cards', kind: 'table', split: 'tune', page: 'cards.html', actions: [{ kind: 'click', truth: 'edit-support' }], expected: { editing: 'Support' } };
let cardsSkill = '';

const twinsTask: WebTask = { name: 'twins', kind: 'table', split: 'tune', page: 'twins.html', actions: [{ kind: 'click', truth: 'archive-2' }], expected: { archived: ['archive-2'] } };

/** Page changes applied before the page's scripts run, after its HTML is parsed. */
const onLoad = (body: string) => `document.addEventListener('DOMContentLoaded', () => { ${body} });`;
const reverseRows = onLoad(`const rows = document.getElementById('customer-rows'); [...rows.children].reverse().forEach((row) => rows.appendChild(row));`);
// A second Hooli row (a duplicate import): "the Archive button in the Hooli row" names two buttons.
const duplicateHooli = onLoad(`const hooli = document.querySelector('tr[data-company=Hooli]'); const copy = hooli.cloneNode(true); copy.querySelector('button').setAttribute('data-truth', 'archive-hooli-copy'); hooli.after(copy);`);
const withoutHooli = onLoad(`document.querySelector('tr[data-company=Hooli]').remove();`);
const reverseCards = onLoad(`const cards = document.getElementById('cards'); [...cards.children].reverse().forEach((card) => cards.appendChild(card));`);

before(async () => {
  const site = join(home.path, 'site');
  mkdirSync(site, { recursive: true });
  for (const file of ['table.html', 'truth.js']) copyFileSync(join(fixtureDirectory, file), join(site, file));
  writeFileSync(join(site, 'twins.html'), twinsPage);
  writeFileSync(join(site, 'cards.html'), cardsPage);
  server = await serveFolder(site);
  browser = await launchBrowser();
  for (const [task, assign] of [
    [tableTask, (dir: string) => (tableSkill = dir)],
    [twinsTask, (dir: string) => (twinsSkill = dir)],
    [cardsTask, (dir: string) => (cardsSkill = dir)],
  ] as const) {
    // Skillframe's own web recorder, a script of clicks standing in for the person.
    const trajectory = await recordWebTaskWithRecorder(server.url, task, join(home.path, 'recordings', task.name));
    assign((await buildSkill({ trajectoryDir: trajectory, outDir: join(home.path, 'skills', task.name), name: task.name })).dir);
  }
});

after(async () => {
  await browser?.close();
  await server?.dispose();
  home.dispose();
});

const replayOn = (skill: string, file: string, init?: string) => replayOnPage(browser, skill, new URL(file, server.url).href, init);

const plan = (skill: string) => JSON.parse(readFileSync(join(skill, 'plan.json'), 'utf8')) as { steps: { target?: { locator?: { anchor_text?: string } } }[] };
const clicked = (truth: { clicks: { truth: string }[] }) => truth.clicks.map((click) => click.truth);

test('the recording names each look-alike by its row: the company, not the position', () => {
  const steps = plan(tableSkill).steps;
  assert.equal(steps[0].target?.locator?.anchor_text, 'Globex');
  assert.equal(steps[1].target?.locator?.anchor_text, 'Hooli');
  assert.equal(steps[2].target?.locator?.anchor_text, undefined, 'the one "Save changes" button needs no anchor');
});

test('rows in another order: the Archive buttons of the Globex and Hooli rows, then Save', async () => {
  const { report, truth } = await replayOn(tableSkill, 'table.html', reverseRows);
  assert.equal(report.ok, true, JSON.stringify(report.steps));
  assert.deepEqual(truth.outcome, { saved: ['Globex', 'Hooli'] });
  assert.deepEqual(clicked(truth), ['archive-globex', 'archive-hooli', 'save']);
  assert.ok(report.steps.slice(0, 2).every((step) => step.tier === 'dom'));
});

test('two rows show "Hooli": the second Archive is refused, neither is clicked, nothing is saved', async () => {
  const { report, truth } = await replayOn(tableSkill, 'table.html', duplicateHooli);
  assert.equal(report.ok, false);
  assert.equal(report.error?.code, 'unsafe');
  const aborted = report.steps.find((step) => step.status === 'aborted');
  assert.equal(aborted?.index, 2, JSON.stringify(report.steps));

  assert.match(aborted?.reason ?? '', /2 in a row or card showing "Hooli"/);
  // The ladder stops at the DOM: a picture of one Archive button among identical ones is no evidence of its row.
  assert.doesNotMatch(aborted?.reason ?? '', /template|ocr:/);
  assert.deepEqual(clicked(truth), ['archive-globex']);
  assert.deepEqual(truth.outcome, { saved: null });
});

test('the Hooli row is gone: no other row\'s Archive button stands in for it', async () => {
  const { report, truth } = await replayOn(tableSkill, 'table.html', withoutHooli);
  assert.equal(report.ok, false);
  assert.equal(report.error?.code, 'unsafe');
  const aborted = report.steps.find((step) => step.status === 'aborted');
  assert.equal(aborted?.index, 2, JSON.stringify(report.steps));
  assert.match(aborted?.reason ?? '', /0 in a row or card showing "Hooli"/);
  assert.doesNotMatch(aborted?.reason ?? '', /template|ocr:/);
  assert.deepEqual(clicked(truth), ['archive-globex']);
  assert.deepEqual(truth.outcome, { saved: null });
});

test('look-alikes nothing told apart when recorded: no anchor is stored, and replay refuses even on the same page', async () => {
  assert.equal(plan(twinsSkill).steps[0].target?.locator?.anchor_text, undefined);
  const { report, truth } = await replayOn(twinsSkill, 'twins.html');
  assert.equal(report.ok, false);
  assert.equal(report.error?.code, 'unsafe');
  assert.match(report.steps[0].reason ?? '', /not confident enough to act/);
  assert.deepEqual(clicked(truth), [], 'no Archive button was clicked');
  assert.deepEqual(truth.outcome, { archived: [] });
});

test('cards in another order: the Edit link of the card headed "Support", though another card also has 6 members', async () => {
  assert.equal(plan(cardsSkill).steps[0].target?.locator?.anchor_text, 'Support');
  const { report, truth } = await replayOn(cardsSkill, 'cards.html', reverseCards);
  assert.equal(report.ok, true, JSON.stringify(report.steps));
  assert.deepEqual(clicked(truth), ['edit-support']);
  assert.deepEqual(truth.outcome, { editing: 'Support' });
});
