import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exportSkill, verifiedPath } from '../../engine/computer/explore/export.ts';
import { runExploration } from '../../engine/computer/explore/run.ts';
import { WebDriver } from '../../engine/computer/explore/web-driver.ts';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import { pageSurface } from '../../engine/computer/replay/web-surface.ts';
import { sameRouteSource } from '../../engine/computer/replay/web-settle.ts';
import { launchBrowser } from '../../native/browser/browser.ts';
import { ProbedDriver } from '../../bench/explore.ts';

/**
 * Skills exported by exploration replay on a fresh instance, judged by the app's own state: a
 * multi-page app whose Orders page loads its button handler last (served late here), and whose
 * filters panel holds controls named only by attributes (a placeholder, an aria-label).
 */

const fixtures = fileURLToPath(new URL('../../testkit/fixtures/explore/', import.meta.url));
let server: Server;
let origin: string;
let work: string;

before(async () => {
  // The fixture folder, with the Orders page's script answered 700 ms late, as a slow app's is.
  server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    let body: Buffer;
    try {
      body = readFileSync(join(fixtures, path.replace(/\.\.+/g, '')));
    } catch {
      response.writeHead(404).end();
      return;
    }
    const type = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }[extname(path)] ?? 'application/octet-stream';
    setTimeout(() => response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body), path.endsWith('/orders.js') ? 700 : 0);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  work = mkdtempSync(join(tmpdir(), 'sf-explore-export-replay-'));
});

after(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
  rmSync(work, { recursive: true, force: true });
});

/**
 * DFS over the fixture page at `url`, each explored state paired with the page's own view (its
 * data-view, which the explorer never reads): the run and the first view seen per signature.
 */
async function explored(url: string, out: string, budget: number, skills: number): Promise<{ summary: Awaited<ReturnType<typeof runExploration>>; viewOf: Map<string, string> }> {
  const driver = new ProbedDriver(new WebDriver({ url, loopbackOnly: true }), async (inner) => (await (inner as WebDriver).livePage?.getAttribute('html', 'data-view')) ?? '');
  let summary;
  try {
    summary = await runExploration({ driver, strategy: 'dfs', budget, seed: 1, outDir: join(work, out), skills });
  } finally {
    await driver.dispose();
  }
  const viewOf = new Map<string, string>();
  for (const { observation, view } of driver.seen) if (!viewOf.has(observation.signature)) viewOf.set(observation.signature, view);
  return { summary, viewOf };
}

test('explore → export → replay by the replay engine on a fresh browser reaches the view each skill was exported for', async () => {
  const url = `${origin}/pages/index.html`;
  const { summary, viewOf } = await explored(url, 'pages', 14, 2);
  const signatureOf = new Map(summary.graph.nodes.map((node) => [node.id, node.signature]));
  assert.ok([...viewOf.values()].includes('orders.html+filters'), `the filters panel was never opened: ${[...viewOf.values()].join(', ')}`);
  const skills = summary.skills.filter((skill) => skill.format === 'mmskill');
  assert.ok(skills.length >= 1, JSON.stringify(summary.skills));
  const views = skills.map((skill) => viewOf.get(signatureOf.get(skill.node) ?? ''));
  // The deepest state is the open panel: it is exported, by its two needed steps, however long the walk that found it.
  const filters = skills[views.indexOf('orders.html+filters')];
  assert.ok(filters, `no skill opens the filters: ${JSON.stringify(skills.map((skill) => skill.name))} → ${JSON.stringify(views)}`);
  assert.equal(filters.steps, 2, `${filters.name}: ${filters.steps} steps`);
  for (const [index, skill] of skills.entries()) {
    const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
    try {
      await session.page.goto(url, { waitUntil: 'load' });
      const report = await replaySkill({ skillDirectory: skill.path, surface: pageSurface(session.page, session), confirm: 'never', autoApproveTier: 'input' });
      assert.ok(report.ok, `${skill.name}: ${JSON.stringify(report.error)} ${JSON.stringify(report.steps.map((step) => [step.status, step.reason]))}`);
      // The world, not the report: the app's own view once the replay is done.
      await session.page.waitForLoadState('load');
      assert.equal(await session.page.getAttribute('html', 'data-view'), views[index], `${skill.name} replayed, but the app shows another view`);
    } finally {
      await session.dispose();
    }
  }
});

/**
 * Explores the fixture page at `url` by DFS, exports one skill, and replays the skill exported
 * for the state showing `wanted` (the page's own data-view) by the replay engine on a fresh
 * browser; judged by the data-view the app then shows.
 */
async function exploreExportReplay(url: string, out: string, budget: number, wanted: (view: string) => boolean): Promise<void> {
  const { summary, viewOf } = await explored(url, out, budget, 1);
  const nodes = summary.graph.nodes.filter((entry) => wanted(viewOf.get(entry.signature) ?? ''));
  assert.ok(nodes.length, `the wanted view was never shown: ${[...viewOf.values()].join(', ')}`);
  const skill = summary.skills.find((entry) => nodes.some((node) => node.id === entry.node) && entry.format === 'mmskill');
  assert.ok(skill, `the wanted state was not exported: ${JSON.stringify(summary.skills)}`);
  await replaysTo(skill, url, viewOf.get(summary.graph.nodes.find((node) => node.id === skill.node)?.signature ?? ''));
}

/** Replays `skill` by the replay engine on a fresh browser at `url`: it must finish, and the app then show `view` (its data-view). */
async function replaysTo(skill: { name: string; path: string }, url: string, view: string | undefined): Promise<void> {
  const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
  try {
    await session.page.goto(url, { waitUntil: 'load' });
    const report = await replaySkill({ skillDirectory: skill.path, surface: pageSurface(session.page, session), confirm: 'never', autoApproveTier: 'input' });
    assert.ok(report.ok, `${skill.name}: ${JSON.stringify(report.error)} ${JSON.stringify(report.steps.map((step) => [step.status, step.reason]))}`);
    // The world: the app's own view after the replay.
    assert.equal(await session.page.getAttribute('html', 'data-view'), view, `${skill.name} replayed, but the app shows another view`);
  } finally {
    await session.dispose();
  }
}

test('an exported skill replays on a page that ignores clicks while its panel still slides in (fails when replay acts on the moving panel)', async () => {
  // Before: the replay reported ok (the step's expected 'Quarterly report' matched the button's
  // label) and the app still showed 'panel'.
  await exploreExportReplay(`${origin}/motion/index.html`, 'motion', 8, (view) => view === 'panel+report');
});

test('an exported step on one of three look-alike "Dropdown" controls carries the label before it, and replay picks that one', async () => {
  // Before: no text of its own container told the button apart, and replay refused the step
  // (three matches that nothing tells apart).
  await exploreExportReplay(`${origin}/lookalike/index.html`, 'lookalike', 12, (view) => view.split('+').includes('button-menu'));
});

test('an exported scroll step reaches the place exploration scrolled to, wherever the panel starts (fails when replay turns the wheel by a fixed distance)', async () => {
  const url = `${origin}/reader/index.html`;
  const { summary, viewOf } = await explored(url, 'reader', 3, 0);
  const { graph } = summary;
  const edge = graph.edges.find((entry) => entry.from === graph.root && entry.action.kind === 'scroll' && entry.result === 'new');
  assert.ok(edge?.to && edge.scrolledTo, `no scroll from the start that showed a new view: ${JSON.stringify(graph.edges.map((entry) => [entry.action.kind, entry.result, entry.scrolledTo]))}`);
  const view = viewOf.get(graph.nodes.find((node) => node.id === edge.to)?.signature ?? '');
  assert.ok(view && view !== 'section-1', `the scroll showed ${view}`);
  const node = graph.nodes.find((entry) => entry.id === edge.to)!;
  const skill = await exportSkill(graph, join(work, 'reader'), node, [edge]);
  assert.equal(skill.format, 'mmskill', skill.detail);
  const plan = JSON.parse(readFileSync(join(skill.path, 'plan.json'), 'utf8')) as { steps: { action: string; scroll_to?: unknown }[] };
  assert.deepEqual(plan.steps.map((step) => [step.action, step.scroll_to]), [['scroll', edge.scrolledTo]]);
  // The page opens where the reader left off (here set before the replay): above the explored
  // place, and below it. A fixed wheel distance would end 700 px further, or 1000 px further down.
  for (const start of [700, (edge.scrolledTo.top ?? 0) + 1000]) {
    const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
    try {
      await session.page.goto(url, { waitUntil: 'load' });
      await session.page.evaluate((top) => {
        const panel = document.getElementById('text') as HTMLElement;
        panel.scrollTop = top;
        panel.dispatchEvent(new Event('scroll'));
      }, start);
      assert.notEqual(await session.page.getAttribute('html', 'data-view'), view);
      const report = await replaySkill({ skillDirectory: skill.path, surface: pageSurface(session.page, session), confirm: 'never', autoApproveTier: 'input' });
      assert.ok(report.ok, `from ${start}: ${JSON.stringify(report.error)} ${JSON.stringify(report.steps.map((step) => [step.status, step.reason]))}`);
      // The world: the section the app itself says is at the top of its panel.
      assert.equal(await session.page.getAttribute('html', 'data-view'), view, `replayed from ${start} px, the app shows another section`);
    } finally {
      await session.dispose();
    }
  }
});

test('a look-alike that only its place among identical rows tells apart: exported with that place, replayed on it, refused when the page shows another number of such rows', async () => {
  // Before: the exported step carried nothing that told the button apart and replay refused it
  // ('5 matches that nothing tells apart'), as on JSONEditor after two inserted fields.
  const url = `${origin}/twins/index.html`;
  const { summary, viewOf } = await explored(url, 'twins', 20, 0);
  const { graph } = summary;
  const node = graph.nodes.find((entry) => viewOf.get(entry.signature) === 'menu-row-4');
  assert.ok(node, `the second empty row's menu was never opened: ${[...viewOf.values()].join(', ')}`);
  const path = verifiedPath(graph, node.id);
  assert.ok(path?.length, 'no verified path to it');
  assert.deepEqual(path.at(-1)?.action.target?.row, { texts: [':'], nth: 1, count: 2 });
  const skill = await exportSkill(graph, join(work, 'twins'), node, path);
  assert.equal(skill.format, 'mmskill', skill.detail);
  const replayOn = async (page: string) => {
    const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
    try {
      await session.page.goto(page, { waitUntil: 'load' });
      const report = await replaySkill({ skillDirectory: skill.path, surface: pageSurface(session.page, session), confirm: 'never', autoApproveTier: 'input' });
      return { report, view: await session.page.getAttribute('html', 'data-view') };
    } finally {
      await session.dispose();
    }
  };
  const same = await replayOn(url);
  assert.ok(same.report.ok, `${JSON.stringify(same.report.error)} ${JSON.stringify(same.report.steps.map((step) => [step.status, step.reason]))}`);
  // The world: the menu the app opened is the second empty row's.
  assert.equal(same.view, 'menu-row-4');
  // A third empty row (after the others): which one was meant cannot be told any more; the step is not taken.
  const more = await replayOn(`${url}?extra`);
  assert.equal(more.report.ok, false);
  assert.equal(more.report.error?.code, 'unsafe', JSON.stringify(more.report.error));
  const stopped = more.report.steps.find((step) => step.status === 'aborted');
  // Stopped at the first step on an empty row's button (the steps before it act on rows that have their own text).
  assert.match(stopped?.reason ?? '', /3 in a row showing ":" where exploration saw 2/, JSON.stringify(more.report.steps.map((step) => [step.status, step.reason])));
  assert.ok(path.slice(0, (stopped?.index ?? 1) - 1).every((step) => !step.action.target?.row));
  // No empty row's menu opened (rows 2, 4 and 6 are the empty ones there).
  assert.ok(!['menu-row-2', 'menu-row-4', 'menu-row-6'].includes(more.view ?? ''), `an empty row's menu opened: ${more.view}`);
});

test('a documentation page whose scroll-spy rewrites the hash: no explored step expects a hash the spy wrote, and every exported skill replays (fails when a side-menu click expects the hash)', async () => {
  // Before: every side-menu click carried the hash the page ended on (the spy's, or the click's
  // own, which the spy overwrites as the content scrolls) as the step's expected route; on an API
  // explorer (rapidoc) replay then stopped: "URL is …#get-/pet/findByStatus, expected …#get-/pet/-petId-".
  const url = `${origin}/docs/index.html`;
  const { summary, viewOf } = await explored(url, 'docs', 14, 3);
  const { graph } = summary;
  const menu = graph.edges.filter((edge) => edge.action.target?.role === 'button' && edge.result === 'new' && /^(get|post|put) \//.test(edge.action.target?.name ?? ''));
  assert.ok(menu.length >= 2, `few side-menu clicks explored: ${JSON.stringify(graph.edges.map((edge) => [edge.action.target?.name, edge.result]))}`);
  for (const edge of graph.edges) {
    const hash = edge.effect?.routeChanged?.split('#')[1];
    if (hash === undefined) continue;
    // Only the hash the clicked link points to is an expectation here (the page has no hash routes).
    assert.equal(edge.action.target?.href?.split('#')[1], hash, `${edge.action.target?.name}: expects #${hash}`);
  }
  const skills = summary.skills.filter((skill) => skill.format === 'mmskill');
  assert.ok(skills.length >= 1, JSON.stringify(summary.skills));
  // The world: the operation the page itself says is chosen.
  for (const skill of skills) await replaysTo(skill, url, viewOf.get(graph.nodes.find((node) => node.id === skill.node)?.signature ?? ''));
});

test('replay takes a place on the page scrolled to for the hash a scroll-spy rewrote, never a neighbouring section or a hash route', async () => {
  const url = `${origin}/docs/index.html`;
  const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
  try {
    const page = session.page;
    await page.goto(url, { waitUntil: 'load' });
    const at = (expected: string) => page.evaluate(`(${sameRouteSource})(location.href, ${JSON.stringify(expected)})`);
    // A link: the browser goes to #models, then the spy rewrites the hash to the section below it.
    await page.getByRole('link', { name: 'Models' }).click();
    await page.waitForFunction(() => location.hash === '#errors' && Math.abs((document.getElementById('models') as HTMLElement).getBoundingClientRect().top) < 2, undefined, { timeout: 10_000 });
    assert.equal(await at(`${url}#models`), true, 'the section the link named is where the link left it');
    assert.equal(await at(`${url}#errors`), true, 'the hash itself');
    assert.equal(await at(`${url}#post-/stores`), false, 'a section scrolled past');
    // A side-menu button: its section at the top, the next one in view below it.
    await page.getByRole('button', { name: 'put /pets/{id}' }).click();
    await page.waitForFunction(() => Math.abs((document.getElementById('put-/pets/-id-') as HTMLElement).getBoundingClientRect().top) < 2, undefined, { timeout: 10_000 });
    await page.waitForFunction(() => location.hash === '#get-/stores', undefined, { timeout: 10_000 });
    assert.equal(await at(`${url}#put-/pets/-id-`), true);
    assert.equal(await at(`${url}#get-/pets/-id-`), false, 'the section above, out of view');
    assert.equal(await at(`${url}#post-/stores`), false, 'a neighbouring section merely in view');
    assert.equal(await at(`${url}#/put-/pets/-id-`), false, 'a hash route must be the hash itself');
    assert.equal(await at(`${origin}/pages/index.html#put-/pets/-id-`), false, 'another page');
  } finally {
    await session.dispose();
  }
});

test('a menu whose one click listener serves its entries: each entry in view is its own click, the list is no spot to click, and the skills replay (fails when the list is clicked at its centre)', async () => {
  // Before: the entries (no listener, role or tabindex of their own) were no candidates; the list
  // was, as one "unlabelled spot" clicked at its centre, which hits whichever entry the list's
  // scroll puts there (rapidoc, unseen: an exported skill began with a click on its whole side menu).
  const url = `${origin}/delegated/index.html`;
  const driver = new WebDriver({ url, loopbackOnly: true });
  const signal = new AbortController().signal;
  try {
    await driver.reset(signal);
    const clicks = (await driver.observe(signal)).candidates.filter((candidate) => candidate.kind === 'click');
    const topics = clicks.filter((click) => /^#topic-/.test(click.target?.selector ?? ''));
    assert.ok(topics.length >= 5, `entries offered: ${JSON.stringify(clicks.map((click) => [click.target?.selector, click.target?.name]))}`);
    // Each named by its own text, as a person reads it.
    for (const topic of topics) assert.match(topic.target?.name ?? '', /^[A-Z][a-z]+$/, JSON.stringify(topic.target));
    const list = clicks.filter((click) => topics.filter((topic) => inside(topic.target, click.target)).length > 1);
    assert.deepEqual(list.map((click) => click.target?.selector), [], 'a click on the whole list');
  } finally {
    await driver.dispose();
  }
  const { summary, viewOf } = await explored(url, 'delegated', 10, 2);
  const skills = summary.skills.filter((skill) => skill.format === 'mmskill');
  assert.ok(skills.length >= 1, JSON.stringify(summary.skills));
  for (const skill of skills) {
    const view = viewOf.get(summary.graph.nodes.find((node) => node.id === skill.node)?.signature ?? '');
    assert.notEqual(view, 'start', `${skill.name} exported for the start`);
    await replaysTo(skill, url, view);
  }
});

/** Whether box `inner` (centre and size, as scanned) lies within box `outer`. */
function inside(inner: { x?: number; y?: number; width?: number; height?: number } | undefined, outer: { x?: number; y?: number; width?: number; height?: number } | undefined): boolean {
  if (!inner || !outer || inner === outer) return false;
  const [a, b] = [inner, outer].map((box) => ({ left: (box.x ?? 0) - (box.width ?? 0) / 2, top: (box.y ?? 0) - (box.height ?? 0) / 2, right: (box.x ?? 0) + (box.width ?? 0) / 2, bottom: (box.y ?? 0) + (box.height ?? 0) / 2 }));
  return a.left >= b.left && a.right <= b.right && a.top >= b.top && a.bottom <= b.bottom && (a.right - a.left) * (a.bottom - a.top) < (b.right - b.left) * (b.bottom - b.top);
}

test('a scroll step in a panel inside a web component, whose only other change is a hash a scroll-spy rewrites, replays (fails when replay hears scrolls only outside shadow roots)', async () => {
  // Before: the panel scrolled to its place, but replay stopped with "nothing changed on the page":
  // a scroll event is not composed, so one inside a shadow root never reached the document's
  // listener (rapidoc, unseen: its content scrolls inside its shadow root, and its spy is off for a
  // moment after a side-menu click).
  const url = `${origin}/shadow-scroll/index.html`;
  const driver = new ProbedDriver(new WebDriver({ url, loopbackOnly: true }), async (inner) => new URL((inner as WebDriver).livePage?.url() ?? url).hash);
  let summary;
  try {
    summary = await runExploration({ driver, strategy: 'dfs', budget: 6, seed: 1, outDir: join(work, 'shadow-scroll'), skills: 1 });
  } finally {
    await driver.dispose();
  }
  const viewOf = new Map<string, string>();
  for (const { observation, view } of driver.seen) if (!viewOf.has(observation.signature)) viewOf.set(observation.signature, view);
  const skill = summary.skills.find((entry) => entry.format === 'mmskill' && entry.edges?.some((edge) => edge.action.kind === 'scroll'));
  assert.ok(skill, `no exported skill scrolls: ${JSON.stringify(summary.skills.map((entry) => [entry.name, entry.format, entry.detail]))}`);
  const view = viewOf.get(summary.graph.nodes.find((node) => node.id === skill.node)?.signature ?? '');
  assert.match(view ?? '', /^#part-\d+$/);
  const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
  try {
    await session.page.goto(url, { waitUntil: 'load' });
    const report = await replaySkill({ skillDirectory: skill.path, surface: pageSurface(session.page, session), confirm: 'never', autoApproveTier: 'input' });
    assert.ok(report.ok, `${skill.name}: ${JSON.stringify(report.error)} ${JSON.stringify(report.steps.map((step) => [step.status, step.reason]))}`);
    assert.equal(new URL(session.page.url()).hash, view, `${skill.name} replayed, but the page shows another place`);
  } finally {
    await session.dispose();
  }
});
