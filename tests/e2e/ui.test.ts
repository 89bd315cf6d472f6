import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { repoRoot } from '../support/cli.ts';
import type { ServeProcess } from '../support/serve.ts';
import { openUi, type UiSession } from '../support/ui.ts';

/** Where the UI screenshots land (the README's screenshot is refreshed from here). */
export const screenshotDirectory = join(repoRoot, 'dist', 'screenshots');

let ui: UiSession;
let server: ServeProcess;
let page: Page;
let pageErrors: string[];

before(async () => {
  ui = await openUi({ viewport: { width: 1280, height: 800 } });
  ({ server, page, pageErrors } = ui);
  mkdirSync(screenshotDirectory, { recursive: true });
});

after(async () => {
  await ui?.dispose();
});

test('the UI loads from skillframe serve and reports the host connected', async () => {
  await page.goto(`${server.url}?token=${server.token}`);
  await page.locator('[data-connection="true"]').waitFor({ timeout: 20_000 });
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  // The doctor table is real: it lists this machine's checks.
  await page.locator('[data-doctor] td', { hasText: 'chromium' }).first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(screenshotDirectory, 'overview.png') });
});

test('every page is reachable from the navigation and renders its content', async () => {
  const routes = await page.locator('nav a[data-route]').evaluateAll((links) => links.map((link) => [link.getAttribute('data-route'), link.textContent]));
  assert.ok(routes.length >= 7, `pages: ${JSON.stringify(routes)}`);
  for (const [route, title] of routes as [string, string][]) {
    await page.locator(`nav a[data-route="${route}"]`).click();
    await page.waitForURL(new RegExp(`#/${route}$`));
    await page.getByRole('heading', { level: 1, name: route === 'home' ? 'Overview' : title }).waitFor();
    await page.screenshot({ path: join(screenshotDirectory, `${route}.png`) });
  }
});

test('settings round-trip through the contract and never echo the API key', async () => {
  await page.locator('nav a[data-route="settings"]').click();
  await page.locator('#baseUrl').fill('http://127.0.0.1:9/v1');
  await page.locator('#apiKey').fill('sk-secret-value');
  await page.selectOption('#provider', 'openai');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();
  await page.reload();
  await page.locator('#baseUrl').waitFor();
  assert.equal(await page.locator('#baseUrl').inputValue(), 'http://127.0.0.1:9/v1');
  assert.equal(await page.locator('#apiKey').inputValue(), '');
  assert.match(await page.locator('label[for="apiKey"]').innerText(), /set/);
  assert.equal((await page.content()).includes('sk-secret-value'), false);
});

test('the page raised no script errors', () => {
  assert.deepEqual(pageErrors, []);
});
