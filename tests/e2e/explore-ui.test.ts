import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serveFolder } from '../../testkit/static-server.ts';
import { chromiumFlags, chromiumPath } from '../../native/browser/chromium-path.ts';
import { temporaryHome } from '../support/home.ts';
import { startServe, type ServeProcess } from '../support/serve.ts';

const fixtures = fileURLToPath(new URL('../../testkit/fixtures/explore/', import.meta.url));
let server: ServeProcess;
let site: { origin: string; dispose(): Promise<void> };
let browser: Browser;
let page: Page;
let work: string;
const home = temporaryHome();
const pageErrors: string[] = [];

before(async () => {
  site = await serveFolder(fixtures);
  server = await startServe(home.env);
  work = mkdtempSync(join(tmpdir(), 'sf-explore-ui-'));
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumFlags, headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await site?.dispose();
  home.dispose();
  rmSync(work, { recursive: true, force: true });
});

test('the Explore page grows the graph live, opens a state, shows the path and saves it as a skill', async () => {
  await page.goto(`${server.url}?token=${server.token}#/explore`);
  await page.getByRole('heading', { level: 1, name: 'Explore' }).waitFor({ timeout: 20_000 });
  await page.getByLabel('URL or app command').fill(`${site.origin}/office/`);
  await page.getByLabel('Budget').fill('10');
  await page.getByLabel('Output folder').fill(join(work, 'run'));
  await page.getByRole('button', { name: 'Explore' }).click();
  // Live: states appear (with thumbnails) before the run is over.
  await page.locator('[data-explore-graph] [data-node] image').first().waitFor({ timeout: 60_000 });
  await page.locator('[data-explore-status]', { hasText: 'stopped by' }).waitFor({ timeout: 120_000 });
  const count = await page.locator('[data-node]').count();
  assert.ok(count >= 4, `only ${count} states drawn`);
  // Open states from the newest back until one's path can become a trajectory (hover and select cannot yet).
  let chosen = -1;
  for (let index = count - 1; index > 0 && chosen < 0; index -= 1) {
    await page.locator('[data-node]').nth(index).click();
    const steps = page.locator('[data-explore-path] li');
    if ((await steps.count()) === 0) continue;
    const texts = await steps.allInnerTexts();
    if (texts.every((text) => !/^(hover|choose) /.test(text))) chosen = index;
  }
  assert.ok(chosen > 0, 'no state with a recordable path');
  await page.getByLabel('Skill name').fill('ui saved path');
  await page.getByRole('button', { name: 'Save as skill' }).click();
  await page.locator('[data-explore-saved], [role=alert]').first().waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('[role=alert]').count(), 0, await page.locator('[role=alert]').first().innerText().catch(() => ''));
  await page.locator('[data-explore-saved]', { hasText: 'ui-saved-path' }).waitFor();
  assert.match(await page.locator('[data-explore-saved]').innerText(), /mmskill, passed the audit/);
  assert.deepEqual(pageErrors, []);
});
