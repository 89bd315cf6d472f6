import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Strategy } from '../core/commands/explore.ts';
import type { ExploreDriver } from '../engine/computer/explore/explorer.ts';
import { replayReaches } from '../engine/computer/explore/export.ts';
import { enumerateStates } from '../testkit/model-app.ts';
import { median, runExploration } from '../engine/computer/explore/run.ts';
import { serveFolder } from '../testkit/static-server.ts';

/**
 * `skillframe bench explore`: distinct verified states found by DFS, BFS and random at the same
 * action budget and seeds, on the fixture web apps (Chromium) and, with a display server, on
 * galculator and mousepad. Exported skills are replayed on a fresh instance (fresh browser
 * profile / fresh HOME) by re-executing their recorded actions and checking the reached state's
 * identity — the lead's replayer is not used yet.
 */

export interface BenchOptions {
  budget?: number;
  seeds?: number;
  x11?: boolean;
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
}

export interface BenchApp {
  app: string;
  true_states?: number;
  budget: number;
  states_dfs: number;
  states_bfs: number;
  states_random: number;
  ratio_dfs_random: number;
  ratio_dfs_bfs: number;
  ms_per_action_p50: number;
  exported_skills: number;
  exported_replay_rate: number;
  note?: string;
}

const fixtures = fileURLToPath(new URL('../testkit/fixtures/explore/', import.meta.url));
const webApps: { name: string; budget: number }[] = [
  { name: 'office', budget: 150 },
  { name: 'shop', budget: 60 },
  { name: 'trap', budget: 30 },
];
const x11Apps: { name: string; command: string; budget: number }[] = [
  { name: 'galculator', command: 'galculator', budget: 12 },
  { name: 'mousepad', command: 'mousepad', budget: 12 },
];

async function measure(
  app: string,
  makeDriver: () => ExploreDriver,
  budget: number,
  seeds: number,
  options: BenchOptions,
  trueStates: number | undefined,
): Promise<BenchApp> {
  const states: Record<Strategy, number[]> = { dfs: [], bfs: [], random: [] };
  const timings: number[] = [];
  let exported = 0;
  let replayed = 0;
  for (let seed = 1; seed <= seeds; seed += 1) {
    for (const strategy of ['dfs', 'bfs', 'random'] as const) {
      options.signal?.throwIfAborted();
      options.progress?.(0, `${app}: ${strategy} seed ${seed}`);
      const outDir = mkdtempSync(join(tmpdir(), `sf-bench-explore-${app}-`));
      const driver = makeDriver();
      try {
        const summary = await runExploration({ driver, strategy, budget, seed, outDir, skills: strategy === 'dfs' ? 3 : 0, ...(options.signal ? { signal: options.signal } : {}) });
        // Single-instance apps (mousepad) hand a second launch to the first: end it before replaying.
        await driver.dispose();
        states[strategy].push(summary.graph.nodes.length);
        timings.push(...summary.explorer.actionMs);
        for (const skill of summary.skills) {
          if (skill.format !== 'mmskill' || !skill.audited) continue;
          exported += 1;
          const node = summary.graph.nodes.find((entry) => entry.id === skill.node);
          const { verifiedPath } = await import('../engine/computer/explore/export.ts');
          const path = node ? verifiedPath(summary.graph, node.id) : undefined;
          const fresh = makeDriver();
          try {
            if (node && path && (await replayReaches(fresh, path, node, options.signal ?? new AbortController().signal))) replayed += 1;
          } catch {
            /* a failed replay counts as a miss */
          } finally {
            await fresh.dispose();
          }
        }
      } finally {
        await driver.dispose();
        rmSync(outDir, { recursive: true, force: true });
      }
    }
  }
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  const [dfs, bfs, random] = [mean(states.dfs), mean(states.bfs), mean(states.random)];
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    app,
    ...(trueStates !== undefined ? { true_states: trueStates } : {}),
    budget,
    states_dfs: round(dfs),
    states_bfs: round(bfs),
    states_random: round(random),
    ratio_dfs_random: round(dfs / Math.max(1, random)),
    ratio_dfs_bfs: round(dfs / Math.max(1, bfs)),
    ms_per_action_p50: Math.round(median(timings)),
    exported_skills: exported,
    exported_replay_rate: exported ? round(replayed / exported) : 0,
  };
}

export async function benchExplore(options: BenchOptions = {}): Promise<{ apps: Record<string, BenchApp>; targets_met: boolean; wall_ms: number }> {
  const started = Date.now();
  const seeds = options.seeds ?? 1;
  const apps: Record<string, BenchApp> = {};
  const { WebDriver } = await import('../engine/computer/explore/web-driver.ts');
  const server = await serveFolder(fixtures);
  try {
    for (const app of webApps) {
      const model = await import(pathToFileURL(join(fixtures, app.name, 'model.js')).href);
      const trueStates = enumerateStates(model);
      const budget = options.budget ?? app.budget;
      apps[app.name] = await measure(app.name, () => new WebDriver({ url: `${server.origin}/${app.name}/` }), budget, seeds, options, trueStates);
      if (budget * 0.8 > trueStates) apps[app.name].note = `small app: ${trueStates} states; every strategy can reach most of them within ${budget} actions`;
    }
  } finally {
    await server.dispose();
  }
  if (options.x11 !== false && existsSync('/usr/bin/Xvfb')) {
    const { startDisplay } = await import('../native/display/xvfb.ts');
    const { X11Driver } = await import('../engine/computer/explore/x11-driver.ts');
    const display = await startDisplay({ width: 1280, height: 800 });
    try {
      for (const app of x11Apps) {
        if (!existsSync(`/usr/bin/${app.command}`)) continue;
        apps[app.name] = await measure(app.name, () => new X11Driver({ command: app.command, env: display.env }), options.budget ?? app.budget, seeds, options, undefined);
      }
    } finally {
      await display.dispose();
    }
  }
  const office = apps.office;
  const allExported = Object.values(apps).reduce((sum, app) => sum + app.exported_skills, 0);
  const allReplayed = Object.values(apps).reduce((sum, app) => sum + app.exported_skills * app.exported_replay_rate, 0);
  const targetsMet = Boolean(office && office.ratio_dfs_random >= 2 && office.ratio_dfs_bfs >= 1.5 && allExported > 0 && allReplayed / allExported >= 0.9);
  return { apps, targets_met: targetsMet, wall_ms: Date.now() - started };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await benchExplore({ x11: !process.argv.includes('--no-x11') });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
