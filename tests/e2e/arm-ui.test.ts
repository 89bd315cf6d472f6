// The Robot page's arm panel in real Chromium against `skillframe serve`: connect the simulated
// arm, watch the live plot, jog a joint, pull the e-stop.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ServeProcess } from '../support/serve.ts';
import { openUi, type UiSession } from '../support/ui.ts';

let ui: UiSession;
let server: ServeProcess;
let page: Page;
let pageErrors: string[];

before(async () => {
  ui = await openUi({ viewport: { width: 1280, height: 900 } });
  ({ server, page, pageErrors } = ui);
  // Jogging drives the arm: the robot permission tier allows it without a prompt.
  writeFileSync(join(ui.home.path, 'settings.json'), JSON.stringify({ permissions: { autoApproveTier: 'robot' } }));
});

after(async () => {
  await ui?.dispose();
});

test('arm panel: connect the sim, live joints, jog, e-stop always on screen', async () => {
  await page.goto(`${server.url}?token=${server.token}#/robot`);
  const estop = page.locator('[data-estop]');
  await estop.waitFor({ timeout: 30_000 });
  await page.locator('[data-arm-panel] button', { hasText: 'Connect' }).click();
  await page.locator('[data-connection="connected"]').waitFor({ timeout: 30_000 });
  await page.locator('[data-joint-plot="live"] polyline[data-joint="elbow_flex"]').waitFor({ state: 'attached', timeout: 30_000 });

  await page.getByRole('button', { name: 'jog elbow_flex up' }).click();
  await page.locator('[data-joints] tr', { hasText: 'elbow_flex' }).filter({ hasText: /5\.0 °|4\.9 °|5\.1 °/ }).waitFor({ timeout: 30_000 });

  // The e-stop stays in view wherever the page is scrolled.
  await page.mouse.wheel(0, 2000);
  assert.ok(await estop.isVisible());
  await estop.click();
  await page.locator('[data-arm-notice]', { hasText: 'E-stop' }).waitFor({ timeout: 15_000 });
  await page.locator('[data-joints] tr', { hasText: 'elbow_flex' }).filter({ hasText: 'limp' }).waitFor({ timeout: 15_000 });
  assert.ok(await page.getByRole('button', { name: 'jog elbow_flex up' }).isDisabled(), 'jog still enabled after the e-stop');
  await page.getByRole('button', { name: 'Release e-stop' }).click();
  assert.deepEqual(pageErrors, []);
});
