import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measure, meanInterval, ProbedDriver, stateScores, type BenchRun } from '../../bench/explore.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExploration } from '../../engine/computer/explore/run.ts';
import { ModelDriver, type AppModel } from '../../testkit/model-app.ts';
import { exploreApps } from '../../testkit/webapps/index.ts';

test('state scores: a state holding two views lowers precision, a view split over two states lowers recall', () => {
  assert.deepEqual(stateScores([{ state: 'a', view: '1' }, { state: 'b', view: '2' }]), { precision: 1, recall: 1 });
  const merged = stateScores([{ state: 'a', view: '1' }, { state: 'a', view: '2' }, { state: 'b', view: '3' }]);
  assert.equal(merged.precision, 0.5);
  assert.equal(merged.recall, 1);
  const split = stateScores([{ state: 'a', view: '1' }, { state: 'b', view: '1' }, { state: 'c', view: '2' }]);
  assert.equal(split.precision, 1);
  assert.equal(split.recall, 0.5);
});

test('mean interval: a t interval that widens with spread and collapses on one value', () => {
  assert.deepEqual(meanInterval([4]), { mean: 4, ci95: [4, 4] });
  const { mean, ci95 } = meanInterval([10, 12, 14]);
  assert.equal(mean, 12);
  assert.ok(ci95[0] < 10 && ci95[1] > 14);
});

test('the benchmark split: at least 6 web apps and 3 X11 apps, each split used, names unique', () => {
  const apps = exploreApps();
  assert.ok(apps.web.length >= 6 && apps.x11.length >= 3);
  for (const list of [apps.web, apps.x11]) {
    assert.ok(list.some((app) => app.split === 'tune') && list.some((app) => app.split === 'unseen'));
    assert.equal(new Set(list.map((app) => app.name)).size, list.length);
  }
});

test('each benchmark app is served with the scripts its entry page loads (admin-lte plugins its install step lays out, gentelella from its build root)', async () => {
  const { serveWebApp } = await import('../../testkit/webapps/index.ts');
  for (const name of ['admin-lte', 'gentelella']) {
    const app = exploreApps().web.find((entry) => entry.name === name);
    assert.ok(app, name);
    const server = await serveWebApp(app);
    try {
      const page = await (await fetch(server.url)).text();
      // Local scripts only: the page's own absolute or relative paths, resolved as a browser would.
      const scripts = [...page.matchAll(/<script[^>]+src="([^"]+)"/g)].map((match) => new URL(match[1], server.url)).filter((url) => url.origin === server.origin);
      assert.ok(scripts.length > 0, `${name}: no local script`);
      for (const script of scripts) assert.equal((await fetch(script)).status, 200, `${name}: ${script.pathname}`);
    } finally {
      await server.dispose();
    }
  }
});

test('a benchmark split over processes: --first-seed runs seeds first…first+N-1, and each DFS run carries its own state scores', async () => {
  const tabs: AppModel = {
    title: 'Tabs',
    initial: 0,
    view: (state) => ({ heading: `Tab ${state as number}`, tabs: [0, 1, 2].map((index) => ({ id: `tab-${index}`, label: `Tab ${index}`, role: 'tab', selected: index === state, on: { click: () => index } })), controls: [] }),
  };
  const runs: BenchRun[] = [];
  const result = await measure(
    { app: 'tabs', split: 'fixture', budget: 6, open: async () => ({ driver: new ModelDriver(tabs), dispose: async () => undefined }), probe: async (driver) => (await driver.observe(new AbortController().signal)).title },
    2,
    { firstSeed: 4, onRun: (run) => runs.push(run) },
  );
  assert.deepEqual(runs.map((run) => `${run.strategy}${run.seed}`), ['dfs4', 'bfs4', 'random4', 'dfs5', 'bfs5', 'random5']);
  for (const run of runs) assert.equal(run.state_precision, run.strategy === 'dfs' ? 1 : undefined);
  assert.equal(result.state_precision, 1);
});

test('ms per action leaves out the ground-truth read: a probe that takes 150 ms per look does not show in it', async () => {
  const tabs: AppModel = {
    title: 'Tabs',
    initial: 0,
    view: (state) => ({ heading: `Tab ${state as number}`, tabs: [0, 1].map((index) => ({ id: `tab-${index}`, label: `Tab ${index}`, role: 'tab', selected: index === state, on: { click: () => index } })), controls: [] }),
  };
  const slowProbe = async (driver: { observe(signal: AbortSignal): Promise<{ title: string }> }) => {
    await new Promise((resolve) => setTimeout(resolve, 150));
    return (await driver.observe(new AbortController().signal)).title;
  };
  const result = await measure({ app: 'tabs', split: 'fixture', budget: 4, open: async () => ({ driver: new ModelDriver(tabs), dispose: async () => undefined }), probe: slowProbe }, 1, {});
  assert.ok((result.probe_ms_p50 ?? 0) >= 140, `probe ${result.probe_ms_p50} ms`);
  assert.ok(result.ms_per_action_p50 < 100, `${result.ms_per_action_p50} ms per action with a 150 ms probe`);
});

test('each run says where its budget went: exploring actions by outcome, trips back and resets add up to the actions used', async () => {
  // A dialog with an option: backtracking takes trips (the close button) or resets.
  const settings: AppModel = {
    title: 'Settings',
    initial: { open: false, option: 0 },
    view(state) {
      const { open, option } = state as { open: boolean; option: number };
      const toggle = { id: 'settings', label: 'Settings', on: { click: () => ({ open: !open, option }) } };
      if (!open) return { heading: `Home ${option}`, controls: [toggle, { id: 'noop', label: 'Nothing', on: { click: () => state } }] };
      return { heading: `Settings ${option}`, controls: [toggle, ...[1, 2].map((value) => ({ id: `option-${value}`, label: `Option ${value}`, on: { click: () => ({ open, option: value }) } }))] };
    },
  };
  const runs: BenchRun[] = [];
  await measure({ app: 'settings', split: 'fixture', budget: 12, open: async () => ({ driver: new ModelDriver(settings), dispose: async () => undefined }), probe: async (driver) => (await driver.observe(new AbortController().signal)).title }, 1, { onRun: (run) => runs.push(run) });
  for (const run of runs) {
    const spent = run.budget_spent;
    assert.ok(spent, `${run.strategy}: no budget_spent`);
    assert.equal(spent.new + spent.known + spent.no_change + spent.error + spent.trip + spent.reset, run.actions_used, `${run.strategy}: ${JSON.stringify(spent)}`);
    assert.ok(spent.reset >= 1, `${run.strategy}: the first launch is a reset`);
  }
  assert.ok(runs.some((run) => (run.budget_spent?.trip ?? 0) > 0), 'BFS walks back before its actions');
});

test('a run that stops answering ends at its deadline with a coded timeout (repeated once), and its driver is disposed: the benchmark never hangs', async () => {
  const tabs: AppModel = {
    title: 'Tabs',
    initial: 0,
    view: (state) => ({ heading: `Tab ${state as number}`, tabs: [0, 1].map((index) => ({ id: `tab-${index}`, label: `Tab ${index}`, role: 'tab', selected: index === state, on: { click: () => index } })), controls: [] }),
  };
  let disposed = 0;
  // A browser that stopped answering: every action waits for ever, and looks at no signal.
  class Frozen extends ModelDriver {
    override perform(): ReturnType<ModelDriver['perform']> {
      return new Promise(() => undefined);
    }
    override async dispose(): Promise<void> {
      disposed += 1;
    }
  }
  const started = Date.now();
  await assert.rejects(
    measure({ app: 'frozen', split: 'fixture', budget: 4, runDeadlineMs: 300, open: async () => ({ driver: new Frozen(tabs), dispose: async () => undefined }), probe: async () => 'view' }, 1, {}),
    (error: unknown) => (error as { code?: string }).code === 'timeout' && /frozen: the dfs run of seed 1 did not finish within 300 ms/.test((error as Error).message),
  );
  assert.ok(Date.now() - started < 10_000, `ended after ${Date.now() - started} ms`);
  assert.ok(disposed >= 2, `the driver was disposed ${disposed} times`);
});

test('the views counted are the exploration\'s: the looks of the skills\' walks on a fresh instance add none', async () => {
  const model = (await import(`../../testkit/fixtures/explore/${'shop'}/model.js`)) as AppModel;
  const inner = new ModelDriver(model);
  let looks = 0;
  const counted = { observe: inner.observe.bind(inner) };
  inner.observe = async (...args: Parameters<ModelDriver['observe']>) => {
    looks += 1;
    return counted.observe(...args);
  };
  const driver = new ProbedDriver(inner, async () => 'view');
  const out = mkdtempSync(join(tmpdir(), 'sf-bench-looks-'));
  try {
    let atEnd = -1;
    let looksAtEnd = -1;
    const summary = await runExploration({ driver, strategy: 'dfs', budget: 12, seed: 1, outDir: out, skills: 1, onExplored: () => {
      driver.exploring = false;
      atEnd = driver.seen.length;
      looksAtEnd = looks;
    } });
    assert.ok(summary.skills.length + summary.rejectedSkills.length >= 1, 'a skill was walked');
    assert.ok(looks > looksAtEnd, 'the walk looked at the app');
    assert.equal(driver.seen.length, atEnd);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
