import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { fixtureDirectory } from '../../bench/replay/benchmark.ts';
import { webTasks } from '../../bench/replay/tasks.ts';
import { launchBrowser, recordWebTaskWithRecorder } from '../../bench/replay/web-run.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { serveFolder, type StaticServer } from '../../testkit/static-server.ts';
import { temporaryHome } from '../support/home.ts';
import { replayOnPage } from '../support/web-replay.ts';

// A step whose recording saw a dialog open is verified by that dialog being shown (its role and
// name), read in the page: the dialog opens and the step passes; a button that no longer opens it
// ends the replay there, and nothing is created. Judged by the page's own record of what it did.

const home = temporaryHome();
let browser: Browser;
let server: StaticServer;
let skill = '';
const dialogTask = webTasks.find((task) => task.name === 'web-dialog-new-folder')!;

before(async () => {
  server = await serveFolder(fixtureDirectory);
  browser = await launchBrowser();
  const trajectory = await recordWebTaskWithRecorder(server.url, dialogTask, join(home.path, 'recording'));
  skill = (await buildSkill({ trajectoryDir: trajectory, outDir: join(home.path, 'skill'), name: dialogTask.name })).dir;
});

after(async () => {
  await browser?.close();
  await server?.dispose();
  home.dispose();
});

const replayOn = (init?: string) => replayOnPage(browser, skill, new URL(dialogTask.page, server.url).href, init);

test('the dialog opens: step 1 is verified by the dialog shown, the folder is created', async () => {
  const { report, truth } = await replayOn();
  assert.equal(report.ok, true, JSON.stringify(report.steps));
  assert.deepEqual(truth.outcome, dialogTask.expected);
});

test('the button no longer opens the dialog: step 1 aborts, naming the dialog, and nothing is created', async () => {
  // The page's own listener is gone (a broken release): the click lands, nothing opens.
  const { report, truth } = await replayOn(`document.addEventListener('DOMContentLoaded', () => { const button = document.querySelector('[data-truth="new-folder"]'); button.replaceWith(button.cloneNode(true)); });`);
  assert.equal(report.ok, false);
  assert.equal(report.error?.code, 'unsafe');
  assert.equal(report.steps[0].status, 'aborted', JSON.stringify(report.steps));
  assert.match(report.steps[0].reason ?? '', /no dialog "Create a folder" is shown/);
  assert.deepEqual((truth.outcome as { created: string[] }).created, []);
});
