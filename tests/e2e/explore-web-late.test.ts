import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { ExploreAction } from '../../core/commands/explore.ts';
import { WebDriver } from '../../engine/computer/explore/web-driver.ts';
import { serveFolder, serveMounts } from '../../testkit/static-server.ts';
import { exploreApps, packageFolder } from '../../testkit/webapps/index.ts';
import { join } from 'node:path';

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

// The settle after an action plays a finite animation that would end within its wait to the end at
// once, instead of waiting out its frames (swagger-ui's 0.3 s transitions were most of its settle),
// and still waits for what the end handlers change; an animation that would outlast the wait (a
// toast that fades after seconds) is not played away.
test('a 1.2 s fade is played to its end at once, its end handler is waited for, and a toast due to fade in 6 s stays', async () => {
  const driver = new WebDriver({ url: `${server.origin}/motion/ending.html`, loopbackOnly: true });
  const signal = new AbortController().signal;
  const click = (actions: ExploreAction[], name: string) => {
    const action = actions.find((candidate) => candidate.kind === 'click' && candidate.target?.name === name);
    assert.ok(action, `no click on ${name}: ${actions.map((candidate) => `${candidate.kind} ${candidate.target?.name}`).join(', ')}`);
    return action;
  };
  try {
    await driver.reset(signal);
    const start = await driver.observe(signal);
    assert.deepEqual(await driver.perform(click(start.candidates, 'Show details'), signal), { ok: true });
    const shown = await driver.observe(signal);
    // The view is the one the transition's end handler made.
    assert.ok((shown.cues ?? []).includes('Details shown'), `the end handler's heading is not in the view: ${(shown.cues ?? []).join(', ')}`);
    // The page's own clock: the fade ended well before its 1.2 s (before: the settle waited it out).
    const ended = (await driver.livePage?.evaluate('window.ended')) as number;
    assert.ok(ended < 1_100, `the fade ended ${Math.round(ended)} ms after the click`);
    assert.deepEqual(await driver.perform(click(shown.candidates, 'Save'), signal), { ok: true });
    const saved = await driver.observe(signal);
    assert.ok((saved.cues ?? []).includes('Saved'), `the toast was played away: ${(saved.cues ?? []).join(', ')}`);
    assert.notEqual(saved.signature, shown.signature);
  } finally {
    await driver.dispose();
  }
});

test('a 1 s jQuery slide ends at once, and its completion callback is waited for', async () => {
  // jQuery from the tune app sb-admin-2's package (its own scroll-to-top fades with it).
  const app = exploreApps().web.find((entry) => entry.name === 'sb-admin-2');
  assert.ok(app);
  const site = await serveMounts([{ url: '/vendor/', path: join(packageFolder(app.package, app.version), 'vendor') }, { url: '/', path: fixtures }]);
  const driver = new WebDriver({ url: `${site.origin}/motion/scripted.html`, loopbackOnly: true });
  const signal = new AbortController().signal;
  try {
    await driver.reset(signal);
    const start = await driver.observe(signal);
    const show = start.candidates.find((action) => action.kind === 'click' && action.target?.name === 'Show filters');
    assert.ok(show, `no click on Show filters: ${start.candidates.map((action) => `${action.kind} ${action.target?.name}`).join(', ')}`);
    assert.deepEqual(await driver.perform(show, signal), { ok: true });
    const shown = await driver.observe(signal);
    assert.ok((shown.cues ?? []).includes('Filters shown'), `the completion callback's heading is not in the view: ${(shown.cues ?? []).join(', ')}`);
    // The page's own clock: the slide ended well before its 1 s (before: the settle waited out every frame of it).
    const ended = (await driver.livePage?.evaluate('window.ended')) as number;
    assert.ok(ended < 900, `the slide ended ${Math.round(ended)} ms after the click`);
  } finally {
    await driver.dispose();
    await site.dispose();
  }
});

test('a view seen for the first time is looked at again when the page changed after the scan began, and taken as it then shows', async () => {
  const driver = new WebDriver({ url: `${server.origin}/late/`, loopbackOnly: true });
  const signal = new AbortController().signal;
  try {
    await driver.reset(signal);
    const start = await driver.observe(signal);
    // A render still under way when the driver looks: a heading now, its control half a second later.
    await driver.livePage?.evaluate(`(() => {
      const heading = document.createElement('h2'); heading.textContent = 'Results'; document.body.append(heading);
      setTimeout(() => { const button = document.createElement('button'); button.textContent = 'Drawn late'; document.body.append(button); }, 500);
    })()`);
    const look = await driver.observe(signal);
    assert.notEqual(look.signature, start.signature);
    assert.ok(look.candidates.some((action) => action.target?.name === 'Drawn late'), `the look stopped mid-render: ${look.candidates.map((action) => action.target?.name).join(', ')}`);
    // Looked at again later, the same view is the same state.
    assert.equal((await driver.observe(signal)).signature, look.signature);
  } finally {
    await driver.dispose();
  }
});

test('a value chosen in a list that changes nothing else is a field\'s content (one state); a choice that loads the page again is not', async () => {
  const driver = new WebDriver({ url: `${server.origin}/late/choices.html`, loopbackOnly: true });
  const signal = new AbortController().signal;
  const choose = (actions: ExploreAction[], list: string, value: string) => actions.find((action) => action.kind === 'select' && action.target?.name === list && action.text === value);
  try {
    await driver.reset(signal);
    const start = await driver.observe(signal);
    const sold = choose(start.candidates, 'Status', 'sold');
    assert.ok(sold, `no Status choice: ${start.candidates.map((action) => `${action.kind} ${action.target?.name} ${action.text ?? ''}`).join(', ')}`);
    assert.deepEqual(await driver.perform(sold, signal), { ok: true });
    const afterSold = await driver.observe(signal);
    assert.equal(afterSold.signature, start.signature);
    const available = choose(afterSold.candidates, 'Status', 'available');
    assert.ok(available);
    assert.deepEqual(await driver.perform(available, signal), { ok: true });
    assert.equal((await driver.observe(signal)).signature, start.signature);
    // The theme reloads the page with it: another view, though only the list's value shows it in the DOM.
    const dark = choose(start.candidates, 'Theme', 'dark');
    assert.ok(dark);
    assert.deepEqual(await driver.perform(dark, signal), { ok: true });
    assert.notEqual((await driver.observe(signal)).signature, start.signature);
  } finally {
    await driver.dispose();
  }
});

// A timer every page sets at load whose callback changes nothing (a template's demo notice, as
// AdminLTE's demo.js: 1 s after each page load) is waited for once: once seen to change nothing,
// the settle after each later page load no longer waits for it (it cost admin-lte's DFS, which
// loads a new page with most actions, a settle p50 of 877 ms). A load timer that draws (the
// preloader above) is still waited for on every page.
test('a load timer seen to change nothing is not waited for on the pages loaded after', async () => {
  const driver = new WebDriver({ url: `${server.origin}/late/notice-first.html`, loopbackOnly: true });
  const signal = new AbortController().signal;
  const follow = async (name: string) => {
    const look = await driver.observe(signal);
    const link = look.candidates.find((action) => action.kind === 'click' && action.target?.name === name);
    assert.ok(link, `no link ${name} on ${look.url}: ${look.candidates.map((action) => `${action.kind} ${action.target?.name}`).join(', ')}`);
    assert.deepEqual(await driver.perform(link, signal), { ok: true });
  };
  try {
    await driver.reset(signal);
    // The first page's settle waited for the notice timer, and saw it change nothing.
    await follow('Second page');
    const waited = driver.waitCounts.settle_waited_timer ?? 0;
    await follow('First page');
    await follow('Second page');
    await follow('First page');
    assert.match((await driver.observe(signal)).url ?? '', /notice-first\.html$/);
    assert.equal(driver.waitCounts.settle_waited_timer ?? 0, waited, `the settles after the notice was seen to change nothing waited for it again: ${JSON.stringify(driver.waitCounts)}`);
  } finally {
    await driver.dispose();
  }
});

// A load timer whose callback only asks for a frame, the frame drawing the page's switcher bar
// (uikit's test loader, found on an unseen app): the callback itself changes nothing, but it is
// work toward the view. Before, it was taken for a quiet timer after the first page, the next
// pages were looked at before the bar was drawn, and one view was split in two states.
test('a load timer that asks for a frame which draws is waited for on every page, not taken for a quiet one', async () => {
  const driver = new WebDriver({ url: `${server.origin}/late/frame-first.html`, loopbackOnly: true });
  const signal = new AbortController().signal;
  const names = (look: { candidates: { kind: string; target?: { name?: string } }[] }) => look.candidates.map((action) => `${action.kind} ${action.target?.name}`);
  try {
    await driver.reset(signal);
    for (const next of ['Second page', 'First page', 'Second page']) {
      const look = await driver.observe(signal);
      assert.ok(names(look).includes('click Switch theme'), `${look.url} was looked at before its switcher bar was drawn: ${names(look).join(', ')}`);
      const link = look.candidates.find((action) => action.kind === 'click' && action.target?.name === next);
      assert.ok(link, `no link ${next} on ${look.url}`);
      assert.deepEqual(await driver.perform(link, signal), { ok: true });
    }
    const last = await driver.observe(signal);
    assert.match(last.url ?? '', /frame-second\.html$/);
    assert.ok(names(last).includes('click Switch theme'), `${last.url} was looked at before its switcher bar was drawn: ${names(last).join(', ')}`);
  } finally {
    await driver.dispose();
  }
});
