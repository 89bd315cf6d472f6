import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumFlags, chromiumPath } from '../../native/browser/chromium-path.ts';
import { temporaryHome } from '../support/home.ts';
import { startServe, type ServeProcess } from '../support/serve.ts';
import { serveFixtures } from '../../testkit/fixtures/web/server.ts';

let server: ServeProcess;
let fixtures: Awaited<ReturnType<typeof serveFixtures>>;
let browser: Browser;
let page: Page;
const home = temporaryHome();
const pageErrors: string[] = [];

before(async () => {
  fixtures = await serveFixtures();
  // Headless: with a DISPLAY a person-driven web recording would open a visible browser.
  server = await startServe({ ...home.env, DISPLAY: '' });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumFlags, headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await fixtures?.close();
  home.dispose();
});

test('the Recordings page starts and stops a recording, shows live events and lists recordings', async () => {
  await page.goto(`${server.url}?token=${server.token}#/recordings`);
  await page.getByRole('heading', { level: 1, name: 'Recordings' }).waitFor({ timeout: 30_000 });
  await page.getByText('No recordings yet').waitFor();

  // A person-driven recording started from the UI…
  await page.getByLabel('Page URL or app command').fill(`${fixtures.url}login.html`);
  await page.locator('[data-action="start-recording"]').click();
  await page.locator('[data-action="stop-recording"]').waitFor({ timeout: 30_000 });

  // …while a scripted one, started through the same server, streams its events to the page live.
  const script = join(home.path, 'menu.json');
  writeFileSync(script, JSON.stringify([{ action: 'click', selector: '#menu-file' }, { action: 'click', selector: '#file-save' }, { action: 'click', selector: '#title' }, { action: 'type', text: 'Plan' }]));
  const scripted = join(home.path, 'recordings', 'scripted-menu');
  const reply = await fetch(`${server.url}api`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'record', input: { url: `${fixtures.url}menu.html`, out: scripted, script, stepGap: 250 } }),
  }).then((response) => response.json());
  assert.equal(reply.ok, true, JSON.stringify(reply));
  assert.equal(reply.value.events, 4);
  await page.locator('[data-events] tbody tr').nth(3).waitFor({ timeout: 10_000 });
  assert.deepEqual(await page.locator('[data-events] tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-event-kind'))), ['click', 'click', 'click', 'type']);
  assert.match(await page.locator('[data-events] tbody tr').nth(1).innerText(), /Save/);

  await page.locator('[data-action="stop-recording"]').click();
  await page.locator('[data-result]').waitFor({ timeout: 30_000 });
  assert.match(await page.locator('[data-result]').innerText(), /Recorded 0 events/);

  const rows = page.locator('[data-recordings] tbody tr');
  await rows.nth(1).waitFor({ timeout: 10_000 });
  assert.equal(await rows.count(), 2);
  await page.locator(`[data-recording="${scripted}"] button`).click();
  await page.locator('[data-events] tbody tr').nth(3).waitFor();
  await page.locator('[data-events] tbody tr').nth(3).getByRole('button', { name: 'after' }).click();
  const image = page.locator('[data-preview] img');
  await image.waitFor();
  assert.ok(((await image.getAttribute('src')) ?? '').startsWith('data:image/png;base64,'));
  assert.deepEqual(pageErrors, []);
});
