import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import { pageSurface } from '../../engine/computer/replay/web-surface.ts';
import { launchBrowser, type BrowserSession } from '../../native/browser/browser.ts';
import { serveFixtures } from '../../testkit/fixtures/web/server.ts';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';
import { recordWebScript } from '../support/web.ts';

// Native <select> list boxes as choice parameters: three real Chromium recordings of one task
// (sort and filter a product list) that chose different options merge into one skill whose list
// boxes are choice parameters over the option labels the recorder saw in each list. It replays each
// recorded variant, an option listed but never chosen, a combination nobody recorded, and the next
// version of the page (options reordered and renumbered), chosen with --param. One recording alone
// also gives a choice parameter (the recorder stores the list's options). Judged by the requests
// the page's backend received. For time on a shared machine: the three recordings run at once,
// so do the two builds, and the in-process replays share one Chromium (a fresh page each).

const home = temporaryHome();
let server: Awaited<ReturnType<typeof serveFixtures>>;
let browser: BrowserSession;
let skill: string;
let single: string;
// Each recording moves off the page's first option (Name, All): choosing the option already
// shown fires no change, so there is nothing to record.
const variants = [
  { sort: 'Price', category: 'Home' },
  { sort: 'Date added', category: 'Office' },
  { sort: 'Date added', category: 'Home' },
];
const downs = { sort: { Price: 1, 'Date added': 2 }, category: { Home: 1, Office: 2 } } as const;
const choose = (selector: string, steps: number) => [{ action: 'click', selector }, ...Array.from({ length: steps }, () => ({ action: 'press', key: 'ArrowDown' })), { action: 'press', key: 'Enter' }];
// The option values the page sends for each label (v1, and the renumbered v2).
const sent = { sort: { Name: 'n', Price: 'p', 'Date added': 'd' }, category: { All: 'all', Home: 'home', Office: 'office' } } as const;
const sentV2 = { sort: { Name: 'name-asc', Price: 'price-asc', 'Date added': 'date-desc' }, category: { All: '0', Home: '1', Office: '2' } } as const;

before(async () => {
  server = await serveFixtures();
  const launched = launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
  const recordings = await Promise.all(
    variants.map((variant, index) => {
      const script = [
        { action: 'click', selector: '#search' },
        ...choose('#sort', downs.sort[variant.sort as keyof typeof downs.sort]),
        ...choose('#category', downs.category[variant.category as keyof typeof downs.category]),
      ];
      return recordWebScript({ url: `${server.url}sort.html`, script, out: join(home.path, `recording-${index}`), env: home.env, stepGapMs: 700 });
    }),
  );
  skill = join(home.path, 'sort-products');
  single = join(home.path, 'sort-once');
  const [built, once] = await Promise.all([
    runCli(['build', ...recordings, '--out', skill, '--name', 'sort-products', '--json'], { env: home.env, timeoutMs: 180_000 }),
    runCli(['build', recordings[0], '--out', single, '--name', 'sort-once', '--json'], { env: home.env, timeoutMs: 180_000 }),
  ]);
  assert.equal(built.code, 0, built.stderr + built.stdout);
  assert.equal(once.code, 0, once.stderr + once.stdout);
  browser = await launched;
});

after(async () => {
  await browser?.dispose();
  await server?.close();
  home.dispose();
});

interface Plan {
  parameters: { name: string; kind?: string; options?: string[]; default: string }[];
  steps: { action: string; value?: string; description: string }[];
}

test('each list box becomes a choice parameter over the labels its list showed when recorded', () => {
  const plan = JSON.parse(readFileSync(join(skill, 'plan.json'), 'utf8')) as Plan;
  const choices = plan.parameters.filter((parameter) => parameter.kind === 'choice').map((parameter) => [parameter.name, parameter.options, parameter.default]);
  assert.deepEqual(choices, [['sort_by', ['Name', 'Price', 'Date added'], 'Price'], ['category', ['All', 'Home', 'Office'], 'Home']], JSON.stringify(plan.parameters));
  const selects = plan.steps.filter((step) => step.action === 'select');
  assert.deepEqual(selects.map((step) => step.value), ['{{sort_by}}', '{{category}}']);
  assert.match(selects[0].description, /"\{\{sort_by\}\}"/);
});

async function replayWith(params: Record<string, string>, query = '', skillDirectory = skill): Promise<string[]> {
  server.api.length = 0;
  const page = await browser.context.newPage();
  try {
    await page.goto(`${server.url}sort.html${query}`);
    const report = await replaySkill({ skillDirectory, surface: pageSurface(page), confirm: 'auto', autoApproveTier: 'input', params });
    assert.equal(report.ok, true, JSON.stringify(report.steps.map((step) => [step.index, step.status, step.reason])));
    await page.waitForTimeout(300);
    return [...server.api];
  } finally {
    await page.close();
  }
}

test('replay with --param chooses each recorded option, a listed one nobody chose, a new combination, and the same labels on the renumbered next version', async () => {
  const combinations = [...variants, { sort: 'Price', category: 'Office' }, { sort: 'Name', category: 'All' }];
  for (const { sort, category } of combinations) {
    const requests = await replayWith({ sort_by: sort, category });
    assert.deepEqual(requests, [`GET /api/products?sort=${sent.sort[sort as keyof typeof sent.sort]}`, `GET /api/products?category=${sent.category[category as keyof typeof sent.category]}`], `${sort} / ${category}`);
  }
  const next = await replayWith({ sort_by: 'Date added', category: 'Office' }, '?v=2');
  assert.deepEqual(next, [`GET /api/products?order=${sentV2.sort['Date added']}`, `GET /api/products?category=${sentV2.category.Office}`]);
});

test('an option the recorded list did not have (the next version adds Featured) is refused before anything is touched (the CLI exits 2 naming the options)', async () => {
  server.api.length = 0;
  const result = await runCli(['replay', skill, '--url', `${server.url}sort.html?v=2`, '--param', 'sort_by=Featured', '--confirm', 'auto', '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match((JSON.parse(result.stdout) as { error: { message: string } }).error.message, /sort_by must be one of "Name", "Price", "Date added"; got "Featured"/);
  assert.deepEqual(server.api, []);
});

test('one recording alone: each list box is a choice over its recorded options, default the one chosen, and replays another', async () => {
  const plan = JSON.parse(readFileSync(join(single, 'plan.json'), 'utf8')) as Plan;
  const choices = plan.parameters.filter((parameter) => parameter.kind === 'choice').map((parameter) => [parameter.name, parameter.options, parameter.default]);
  assert.deepEqual(choices, [['sort_by', ['Name', 'Price', 'Date added'], variants[0].sort], ['category', ['All', 'Home', 'Office'], variants[0].category]], JSON.stringify(plan.parameters));
  assert.deepEqual(await replayWith({ sort_by: 'Date added', category: 'Office' }, '', single), [`GET /api/products?sort=${sent.sort['Date added']}`, `GET /api/products?category=${sent.category.Office}`]);
  assert.deepEqual(await replayWith({}, '', single), [`GET /api/products?sort=${sent.sort.Price}`, `GET /api/products?category=${sent.category.Home}`], 'no --param: the recorded choices');
});
