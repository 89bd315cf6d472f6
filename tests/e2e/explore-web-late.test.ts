import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { ExploreAction } from '../../core/commands/explore.ts';
import { WebDriver } from '../../engine/computer/explore/web-driver.ts';
import { serveFolder } from '../../testkit/static-server.ts';

/**
 * One view, one state, on pages that finish drawing after their load event (the fixture `late`):
 * a preloader lifted by a timer set at load (AdminLTE's), controls added by one (UIkit's test
 * loader), and a select whose change handler navigates (UIkit's component switcher). Looking
 * before those timers fired, or at the next page while it still parsed, made one view several
 * states, and the start state differ from run to run.
 */
const fixtures = fileURLToPath(new URL('../../testkit/fixtures/explore/', import.meta.url));
let server: { origin: string; dispose(): Promise<void> };

before(async () => {
  server = await serveFolder(fixtures);
});

after(async () => {
  await server.dispose();
});

test('a page drawn by timers after load and a navigating select are looked at once settled', async () => {
  const driver = new WebDriver({ url: `${server.origin}/late/`, loopbackOnly: true });
  const signal = new AbortController().signal;
  const find = (actions: ExploreAction[], kind: ExploreAction['kind'], name: string) => actions.find((action) => action.kind === kind && (action.target?.name === name || action.text === name));
  try {
    await driver.reset(signal);
    const start = await driver.observe(signal);
    // The button under the preloader is offered: the timer that lifts it had fired.
    assert.ok(find(start.candidates, 'click', 'Details'), `no Details click: ${start.candidates.map((action) => `${action.kind} ${action.target?.name}`).join(', ')}`);
    const choose = find(start.candidates, 'select', 'other.html');
    assert.ok(choose, 'no option to choose');
    assert.deepEqual(await driver.perform(choose, signal), { ok: true });
    const other = await driver.observe(signal);
    assert.match(other.url ?? '', /\/late\/other\.html$/);
    // The next page, with the control its load timer adds.
    const back = find(other.candidates, 'click', 'Back to start');
    assert.ok(back, `no way back on ${other.url}: ${other.candidates.map((action) => `${action.kind} ${action.target?.name}`).join(', ')}`);
    assert.deepEqual(await driver.perform(back, signal), { ok: true });
    // index.html is the folder's page: the start state again, preloader lifted again.
    const again = await driver.observe(signal);
    assert.match(again.url ?? '', /\/late\/index\.html$/);
    assert.equal(again.signature, start.signature);
  } finally {
    await driver.dispose();
  }
});

test('a page drawn from a fetch answered after load is looked at once the answer is drawn', async () => {
  // The data answers 800 ms late, from a second loopback server (the fixture page fetches it).
  const slow = createServer((_request, response) => {
    setTimeout(() => response.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' }).end('["Loaded item"]'), 800);
  });
  await new Promise<void>((done) => slow.listen(0, '127.0.0.1', done));
  const data = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/items.json`;
  const driver = new WebDriver({ url: `${server.origin}/late/data.html?data=${encodeURIComponent(data)}`, loopbackOnly: true });
  const signal = new AbortController().signal;
  try {
    await driver.reset(signal);
    const look = await driver.observe(signal);
    assert.ok(look.candidates.some((action) => action.kind === 'click' && action.target?.name === 'Loaded item'), `the fetched list was not drawn: ${look.candidates.map((action) => `${action.kind} ${action.target?.name}`).join(', ')}`);
  } finally {
    await driver.dispose();
    slow.closeAllConnections();
    await new Promise<void>((done) => slow.close(() => done()));
  }
});
