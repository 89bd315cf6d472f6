// The Robot page's arm panel in real Chromium against `skillframe serve`: connect the simulated
// arm, watch the live plot, jog a joint, pull the e-stop.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumFlags, chromiumPath } from '../../native/browser/chromium-path.ts';
import { temporaryHome } from '../support/home.ts';
import { startServe, type ServeProcess } from '../support/serve.ts';

let server: ServeProcess;
let browser: Browser;
let page: Page;
const home = temporaryHome();
const pageErrors: string[] = [];

before(async () => {
  server = await startServe(home.env);
  const executablePath = chromiumPath();
  assert.ok(executablePath, 'Debian chromium is installed');
  browser = await chromium.launch({ executablePath, args: chromiumFlags, headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  home.dispose();
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
