// The Robot page's steering panel in real Chromium against `skillframe serve`: run one live VLS
// episode (frames stream in: particles, chosen chunk), then a quick benchmark with CI bars.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ServeProcess } from '../support/serve.ts';
import { openUi, type UiSession } from '../support/ui.ts';

let ui: UiSession;
let server: ServeProcess;
let page: Page;
let pageErrors: string[];

before(async () => {
  ui = await openUi({ viewport: { width: 1280, height: 1000 } });
  ({ server, page, pageErrors } = ui);
});

after(async () => {
  await ui?.dispose();
});

test('steering panel: a live VLS episode streams particles and the chosen chunk, then leaves its rollout on the layout', async () => {
  await page.goto(`${server.url}?token=${server.token}#/robot`);
  const panel = page.locator('[data-steering]');
  await panel.waitFor({ timeout: 30_000 });
  await panel.locator('select').first().selectOption('shift_0.2');
  await panel.locator('select').nth(1).selectOption('vls');
  await panel.getByRole('button', { name: 'Run one episode' }).click();
  await panel.locator('[data-scene="shift_0.2"] polyline[data-chosen]').waitFor({ state: 'attached', timeout: 60_000 });
  await panel.locator('[data-scene="shift_0.2"] polyline[data-particle]').first().waitFor({ state: 'attached', timeout: 60_000 });
  await panel.locator('[data-scene="shift_0.2"] polyline[data-rollout="vls"]').waitFor({ state: 'attached', timeout: 60_000 });
  assert.match((await panel.locator('[data-live]').textContent()) ?? '', /vls · step \d+/);
  assert.deepEqual(pageErrors, []);
});

test('steering panel: the quick benchmark draws a success bar with its confidence interval per layout and method', async () => {
  const panel = page.locator('[data-steering]');
  await panel.getByRole('button', { name: /Quick benchmark/ }).click();
  await panel.locator('[data-bar="shift_0.2/vls"]').waitFor({ timeout: 240_000 });
  const text = (await panel.locator('[data-bar="shift_0.2/vls"]').textContent()) ?? '';
  assert.match(text, /\d+ % \[\d+, \d+\]/);
  assert.deepEqual(pageErrors, []);
});
