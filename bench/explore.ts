import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Strategy } from '../core/commands/explore.ts';
import type { Choice, ExploreDriver } from '../engine/computer/explore/explorer.ts';
import type { Observation } from '../engine/computer/explore/graph.ts';
import { isBlocked } from '../engine/computer/explore/safety.ts';
import { settleScript } from '../engine/computer/explore/web-scan.ts';
import { median, runExploration, type RunSummary } from '../engine/computer/explore/run.ts';
import { withDeadline } from '../core/abort.ts';
import { enumerateStates } from '../testkit/model-app.ts';
import { serveFolder } from '../testkit/static-server.ts';
import { exploreApps, serveWebApp, viewProbe, type WebApp } from '../testkit/webapps/index.ts';

/**
 * `skillframe bench explore`: GUI-DFS against BFS and random at the same action budget and
 * seeds, on real open-source web UIs served from their npm packages (testkit/webapps) and, with a
 * display server, on Debian X11 apps. Coverage is counted in ground-truth views — read from the
 * app's own state by a probe the explorer never sees (route + open dialogs, menus, tabs, panels) —
 * not in the explorer's own states. The explorer's states are scored against those views
 * (precision: a state holds one view; recall: a view lives in one state). Skills exported by DFS
 * are replayed by the replay engine on a fresh browser and judged by the view the app then shows.
 * Apps are split tune/unseen in testkit/webapps/explore-split.json; unseen is reported first.
 */

export interface BenchOptions {
  budget?: number;
  seeds?: number;
  /** The first seed (default 1): seeds first … first + seeds - 1, so one benchmark can be split over processes. */
  firstSeed?: number;
  x11?: boolean;
  /** Only these apps (names from the split file). */
  apps?: string[];
  /** Also run the repo's own fixture apps (office, shop, trap). */
  fixtures?: boolean;
  /** X11 apps through their accessibility tree (default) or through pixels and OCR only (false). */
  accessibility?: boolean;
  /** Appends one JSON line per finished run and app, then the summary (see `recorder`). */
  out?: string;
  /** Copies each exported skill that did not replay into this folder (`<app>-seed<N>-<skill>`). */
  keep?: string;
  /** Appends one JSON line per DFS choice (see `Choice`): where the budget went, and why. */
  choices?: string;
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
  /** Each app's figures as soon as it is measured: a run stopped later keeps what it finished. */
  onApp?: (result: BenchApp) => void;
  /** Called with each finished run (one strategy, one seed of one app) as it ends. */
  onRun?: (run: BenchRun) => void;
}

/** One exploration of the benchmark: what one strategy with one seed reached on one app. */
export interface BenchRun {
  app: string;
  split?: BenchApp['split'];
  strategy: Strategy;
  seed: number;
  budget: number;
  views: number;
  states: number;
  actions_used: number;
  stopped_by: string;
  ms_per_action_p50: number;
  /** Each phase of an action (web: locate, act, rest, settle, health; and the look's scan), p50 ms, when the driver measures them. */
  phase_ms_p50?: Record<string, number>;
  /** The same phases summed over the run, and the exploring actions' wall time summed (`actions`): where the time went in all. */
  phase_ms_total?: Record<string, number>;
  /** How the driver's waits ended in this run, as counts (web: settles by what ended them, second looks). */
  wait_counts?: Record<string, number>;
  /** Where the driver's waits' time went in this run, ms summed (web: page loads, each thing a settle waited on, second looks). */
  wait_ms_total?: Record<string, number>;
  load_average: number;
  /** DFS runs: this run's states against its views (see stateScores). */
  state_precision?: number;
  state_recall?: number;
  /**
   * Where the run's budget went: exploring actions by what they did (a state not seen before,
   * a known one, no change, an error), actions walking back to a state, and resets.
   */
  budget_spent?: { new: number; known: number; no_change: number; error: number; trip: number; reset: number };
}

type Interval = [number, number];

export interface BenchApp {
  app: string;
  split?: 'tune' | 'unseen' | 'fixture';
  true_states?: number;
  budget: number;
  /** Explorer states (mean over seeds), kept for continuity with earlier runs. */
  states_dfs: number;
  states_bfs: number;
  states_random: number;
  ratio_dfs_random: number;
  ratio_dfs_bfs: number;
  /** Distinct ground-truth views the app showed (mean over seeds) and their 95 % intervals. */
  views_dfs?: number;
  views_bfs?: number;
  views_random?: number;
  views_ci95?: Record<Strategy, Interval>;
  views_ratio_dfs_random?: number;
  views_ratio_dfs_bfs?: number;
  /** DFS states against ground-truth views: a state holding two views is a merge, a view in two states a split. */
  state_precision?: number;
  state_recall?: number;
  /** Actions on controls the blocklist calls destructive, all strategies and seeds (0 without --allow). */
  destructive_actions?: number;
  /** Looks whose ground truth could not be read (left out of views and scores); all strategies and seeds. */
  unreadable_probes?: number;
  /** An exploring action's wall time (act, settle, look), p50; the benchmark's ground-truth read is left out. */
  ms_per_action_p50: number;
  /** The ground-truth read per look (p50): benchmark work, not part of ms_per_action_p50. */
  probe_ms_p50?: number;
  exported_skills: number;
  exported_replay_rate: number;
  /** Each exported skill that did not replay, and why (the replay's own error or the view it left). */
  replay_misses?: { seed: number; skill: string; steps: number; miss: string }[];
  load_average?: [number, number];
  note?: string;
}

export interface SplitSummary {
  apps: string[];
  views_ratio_dfs_random: number;
  views_ratio_dfs_random_ci95: Interval;
  views_ratio_dfs_bfs: number;
  views_ratio_dfs_bfs_ci95: Interval;
  state_precision: number;
  state_recall: number;
  destructive_actions: number;
  exported_skills: number;
  exported_replay_rate: number;
  ms_per_action_p50: number;
}

const fixtures = fileURLToPath(new URL('../testkit/fixtures/explore/', import.meta.url));
const fixtureApps: { name: string; budget: number }[] = [
  { name: 'office', budget: 150 },
  { name: 'shop', budget: 60 },
  { name: 'trap', budget: 30 },
];
const webBudget = 60;

/** Longest a page may take to answer one question of the benchmark's own (a settle, the view probe). */
const pageAnswerMs = 15_000;
/** Longest the replay of one exported skill may take. */
const replayDeadlineMs = 180_000;

/**
 * Longest one exploration run may take: `perActionMs` per action of its budget (web 10 s, about 30
 * times what an action takes at load 15, resets and skill checks included; X11 apps set their own,
 * their actions take seconds) and two minutes more. Past it the run is stopped with `timeout`: a run
 * that stops answering ends instead of holding the benchmark.
 */
export function runDeadlineMs(budget: number, perActionMs = 10_000): number {
  return budget * perActionMs + 120_000;
}

/** Mean and a 95 % interval (t distribution) of a small sample. */
export function meanInterval(values: readonly number[]): { mean: number; ci95: Interval } {
  const count = values.length;
  const mean = values.reduce((sum, value) => sum + value, 0) / Math.max(1, count);
  if (count < 2) return { mean, ci95: [mean, mean] };
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (count - 1);
  // Two-sided 97.5 % quantiles of Student's t for 1…9 degrees of freedom, then the normal one.
  const t = [12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26][count - 2] ?? 1.96;
  const half = t * Math.sqrt(variance / count);
  return { mean, ci95: [mean - half, mean + half] };
}

/**
 * Precision and recall of explorer states against ground-truth views over the observed
 * (state, view) pairs: precision = share of states that only ever showed one view (no merge);
 * recall = share of views that only ever lived in one state (no split).
 */
export function stateScores(pairs: readonly { state: string; view: string }[]): { precision: number; recall: number } {
  const viewsOf = new Map<string, Set<string>>();
  const statesOf = new Map<string, Set<string>>();
  for (const { state, view } of pairs) {
    viewsOf.set(state, (viewsOf.get(state) ?? new Set()).add(view));
    statesOf.set(view, (statesOf.get(view) ?? new Set()).add(state));
  }
  const share = (map: Map<string, Set<string>>) => (map.size ? [...map.values()].filter((set) => set.size === 1).length / map.size : 1);
  return { precision: share(viewsOf), recall: share(statesOf) };
}

const unreadable = 'unreadable';

/** Wraps a driver so every observation is paired with the view the app's own state says it shows. */
export class ProbedDriver implements ExploreDriver {
  readonly kind: ExploreDriver['kind'];
  readonly label: string;
  readonly pictureTolerance?: number;
  readonly seen: { observation: Pick<Observation, 'signature' | 'phash'>; view: string }[] = [];
  /**
   * Whether a look is the exploration's: off once it is over, so the looks of the skills' walks on
   * a fresh instance (each step, on the web) add no view the budget did not reach.
   */
  exploring = true;
  /** Time each ground-truth read took: it runs inside the explorer's look, and is left out of ms per action (asideMs). */
  readonly probeMs: number[] = [];
  asideMs = 0;
  private readonly inner: ExploreDriver;
  private readonly probe: () => Promise<string>;

  constructor(inner: ExploreDriver, probe: (driver: ExploreDriver) => Promise<string>) {
    this.inner = inner;
    this.kind = inner.kind;
    this.label = inner.label;
    if (inner.pictureTolerance !== undefined) this.pictureTolerance = inner.pictureTolerance;
    this.probe = () => probe(inner);
  }

  reset(signal: AbortSignal): Promise<void> {
    return this.inner.reset(signal);
  }

  async observe(signal: AbortSignal): Promise<Observation> {
    const observation = await this.inner.observe(signal);
    if (!this.exploring) return observation;
    const started = performance.now();
    const view = await this.probe().catch(() => unreadable);
    this.probeMs.push(performance.now() - started);
    this.asideMs += performance.now() - started;
    this.seen.push({ observation: { signature: observation.signature, phash: observation.phash }, view });
    return observation;
  }

  perform(...args: Parameters<ExploreDriver['perform']>): ReturnType<ExploreDriver['perform']> {
    return this.inner.perform(...args);
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

export interface Target {
  app: string;
  split: BenchApp['split'];
  budget: number;
  /** Longest one run may take before it counts as hung (default runDeadlineMs(budget): 10 s per action). */
  runDeadlineMs?: number;
  trueStates?: number;
  /** A fresh driver, and (web) where a fresh instance of the app lives. */
  open: () => Promise<{ driver: ExploreDriver; url?: string; dispose(): Promise<void> }>;
  probe: (driver: ExploreDriver) => Promise<string>;
  /** Replays an exported skill on a fresh instance: ok when the app then shows `view`, else why not. */
  replay?: (skillDirectory: string, url: string | undefined, view: string, signal: AbortSignal) => Promise<ReplayJudgement>;
}

async function webProbe(driver: ExploreDriver): Promise<string> {
  const page = (driver as import('../engine/computer/explore/web-driver.ts').WebDriver).livePage;
  if (!page) return 'no page';
  return (await page.evaluate(viewProbe)) as string;
}

/** How one exported skill fared at replay: ok, or why not (the replay's error, or the view it left). */
export interface ReplayJudgement {
  ok: boolean;
  miss?: string;
}

/**
 * The replay engine on a fresh browser, judged by the view the app shows afterwards. Off the
 * loopback nothing loads, as while exploring: the apps' CDN fonts and images are not there.
 */
export async function replayWeb(skillDirectory: string, url: string | undefined, view: string, signal: AbortSignal): Promise<ReplayJudgement> {
  if (!url) return { ok: false, miss: 'no url' };
  const { pageSurface } = await import('../engine/computer/replay/web-surface.ts');
  const { replaySkill } = await import('../engine/computer/replay/replay.ts');
  const { launchBrowser } = await import('../native/browser/browser.ts');
  const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true, signal });
  // Every wait on the page is bounded (a frozen renderer answers nothing, and the benchmark then hung
  // at 0 % CPU): a settle that does not answer is passed over, a replay or a probe that does not
  // answer fails with `timeout`; the session is killed if it will not close.
  const settled = () => withDeadline(() => session.page.evaluate(settleScript(120, 3_000)), { ms: pageAnswerMs, what: 'the page settling' }).catch(() => undefined);
  try {
    await session.page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    // The start state the explorer began from: the app loaded and its DOM quiet (an API explorer
    // renders its spec after the load event).
    await settled();
    // The surface after the first load: it takes the app's origin from the page it starts on.
    const surface = pageSurface(session.page, session);
    const report = await withDeadline((bounded) => replaySkill({ skillDirectory, surface, confirm: 'never', autoApproveTier: 'input', signal: bounded }), { ms: replayDeadlineMs, what: 'the replay of an exported skill', signal });
    await session.page.waitForLoadState('load', { timeout: 10_000 }).catch(() => undefined);
    await settled();
    // Both: the replay says it finished, and the app shows the view the skill was exported for.
    const shown = (await withDeadline(() => session.page.evaluate(viewProbe), { ms: pageAnswerMs, what: 'the view probe after a replay' })) as string;
    if (!report.ok) {
      const failed = report.steps.find((step) => step.status === 'aborted');
      return { ok: false, miss: `replay stopped${failed ? ` at step ${failed.index} (${failed.description ?? failed.action ?? ''})` : ''}: ${report.error?.code ?? ''} ${report.error?.message ?? failed?.reason ?? ''}`.slice(0, 400) };
    }
    return shown === view ? { ok: true } : { ok: false, miss: `the app shows ${shown.slice(0, 180)}, not ${view.slice(0, 180)}` };
  } finally {
    await session.dispose();
  }
}

export async function measure(target: Target, seeds: number, options: BenchOptions): Promise<BenchApp> {
  const states: Record<Strategy, number[]> = { dfs: [], bfs: [], random: [] };
  const views: Record<Strategy, number[]> = { dfs: [], bfs: [], random: [] };
  const pairs: { state: string; view: string }[] = [];
  const timings: number[] = [];
  const probeTimings: number[] = [];
  let destructive = 0;
  let unread = 0;
  let exported = 0;
  let replayed = 0;
  const replayMisses: { seed: number; skill: string; steps: number; miss: string }[] = [];
  let repeated = 0;
  const loadAtStart = oneMinuteLoad();
  const firstSeed = options.firstSeed ?? 1;
  for (let seed = firstSeed; seed < firstSeed + seeds; seed += 1) {
    for (const strategy of ['dfs', 'bfs', 'random'] as const) {
      options.signal?.throwIfAborted();
      options.progress?.(0, `${target.app}: ${strategy} seed ${seed}`);
      const outDir = mkdtempSync(join(tmpdir(), `sf-bench-explore-${target.app}-`));
      const opened = await target.open();
      const driver = new ProbedDriver(opened.driver, target.probe);
      try {
        const choices = options.choices;
        const onChoice = choices ? (choice: Choice) => appendFileSync(choices, `${JSON.stringify({ app: target.app, strategy, seed, ...choice })}\n`) : undefined;
        // A run that stops answering (an await on a browser that never replies) ends at its deadline
        // with a coded `timeout` instead of holding the benchmark: its driver is disposed (the browser
        // killed if it will not close), which also fails whatever still waits on it.
        const run = () =>
          withDeadline(
            (bounded) => runExploration({ driver, strategy, budget: target.budget, seed, outDir, skills: strategy === 'dfs' && target.replay ? 2 : 0, signal: bounded, onExplored: () => (driver.exploring = false), ...(onChoice ? { onChoice } : {}) }),
            {
              ms: target.runDeadlineMs ?? runDeadlineMs(target.budget),
              what: `${target.app}: the ${strategy} run of seed ${seed}`,
              ...(options.signal ? { signal: options.signal } : {}),
            },
          ).catch(async (error: unknown) => {
            if ((error as { code?: string }).code === 'timeout') await driver.dispose();
            throw error;
          });
        let summary: RunSummary;
        try {
          summary = await run();
        } catch (error) {
          // An app that did not load on a reset (under load, past the driver's timeout), or a run
          // past its deadline, ends that run, not the whole benchmark: the run is repeated once
          // from a fresh start, and said so.
          if (!['unavailable', 'timeout'].includes((error as { code?: string }).code ?? '') || options.signal?.aborted) throw error;
          repeated += 1;
          driver.seen.length = 0;
          driver.exploring = true;
          summary = await run();
        }
        // Single-instance apps (mousepad) hand a second launch to the first: end it before replaying.
        await driver.dispose();
        states[strategy].push(summary.graph.nodes.length);
        // A look the probe could not read is no view (it would count as one more).
        unread += driver.seen.filter((entry) => entry.view === unreadable).length;
        views[strategy].push(new Set(driver.seen.filter((entry) => entry.view !== unreadable).map((entry) => entry.view)).size);
        const stateOf = new Map<string, string>();
        const runPairs: { state: string; view: string }[] = [];
        for (const entry of driver.seen) {
          if (entry.view === unreadable) continue;
          const node = summary.explorer.graph.match(entry.observation);
          if (!node) continue;
          // Scored within one run: the same view met again in another seed's run is not a split.
          runPairs.push({ state: `${seed}:${node.id}`, view: `${seed}:${entry.view}` });
          if (!stateOf.has(node.id)) stateOf.set(node.id, entry.view);
        }
        if (strategy === 'dfs') pairs.push(...runPairs);
        const runScores = strategy === 'dfs' ? stateScores(runPairs) : undefined;
        options.onRun?.({
          app: target.app,
          ...(target.split ? { split: target.split } : {}),
          strategy,
          seed,
          budget: target.budget,
          views: views[strategy].at(-1) ?? 0,
          states: summary.graph.nodes.length,
          actions_used: summary.graph.actionsUsed,
          stopped_by: summary.graph.stoppedBy,
          ms_per_action_p50: Math.round(summary.msPerActionP50),
          ...(opened.driver.phaseMs ? { phase_ms_p50: Object.fromEntries(Object.entries(opened.driver.phaseMs).map(([phase, times]) => [phase, Math.round(median(times))])) } : {}),
          ...(opened.driver.phaseMs ? { phase_ms_total: { ...Object.fromEntries(Object.entries(opened.driver.phaseMs).map(([phase, times]) => [phase, Math.round(times.reduce((sum, time) => sum + time, 0))])), actions: Math.round(summary.explorer.actionMs.reduce((sum, time) => sum + time, 0)) } } : {}),
          ...(opened.driver.waitCounts ? { wait_counts: { ...opened.driver.waitCounts } } : {}),
          ...(opened.driver.waitMs ? { wait_ms_total: { ...opened.driver.waitMs } } : {}),
          load_average: oneMinuteLoad(),
          budget_spent: { ...summary.explorer.spent, reset: summary.explorer.resets },
          ...(runScores ? { state_precision: Math.round(runScores.precision * 100) / 100, state_recall: Math.round(runScores.recall * 100) / 100 } : {}),
        });
        timings.push(...summary.explorer.actionMs);
        probeTimings.push(...driver.probeMs);
        destructive += summary.graph.edges.filter((edge) => isBlocked(edge.action, undefined)).length;
        for (const skill of summary.skills) {
          if (skill.format !== 'mmskill' || !skill.audited || !target.replay) continue;
          exported += 1;
          const view = stateOf.get(skill.node);
          let judgement: ReplayJudgement = { ok: false, miss: 'the exported state was never read by the probe' };
          try {
            if (view) judgement = await target.replay(skill.path, opened.url, view, options.signal ?? new AbortController().signal);
          } catch (error) {
            judgement = { ok: false, miss: `the replay threw: ${(error as Error).message.split('\n')[0].slice(0, 300)}` };
          }
          if (judgement.ok) replayed += 1;
          // Why a skill missed, so a failure is read from the benchmark's own output.
          else {
            replayMisses.push({ seed, skill: skill.name, steps: skill.steps, miss: judgement.miss ?? '' });
            // The temporary folder goes at the end of the run: a kept copy is what can be read later.
            if (options.keep) cpSync(skill.path, join(options.keep, `${target.app}-seed${seed}-${skill.name}`), { recursive: true });
          }
        }
      } finally {
        await driver.dispose();
        await withDeadline(() => opened.dispose(), { ms: 30_000, what: `${target.app}: closing the app` }).catch(() => undefined);
        rmSync(outDir, { recursive: true, force: true });
      }
    }
  }
  const round = (value: number) => Math.round(value * 100) / 100;
  const roundInterval = (interval: Interval): Interval => [round(interval[0]), round(interval[1])];
  const mean = (values: number[]) => meanInterval(values).mean;
  const scores = stateScores(pairs);
  const view = { dfs: meanInterval(views.dfs), bfs: meanInterval(views.bfs), random: meanInterval(views.random) };
  return {
    app: target.app,
    ...(target.split ? { split: target.split } : {}),
    ...(target.trueStates !== undefined ? { true_states: target.trueStates } : {}),
    budget: target.budget,
    states_dfs: round(mean(states.dfs)),
    states_bfs: round(mean(states.bfs)),
    states_random: round(mean(states.random)),
    ratio_dfs_random: round(mean(states.dfs) / Math.max(1, mean(states.random))),
    ratio_dfs_bfs: round(mean(states.dfs) / Math.max(1, mean(states.bfs))),
    views_dfs: round(view.dfs.mean),
    views_bfs: round(view.bfs.mean),
    views_random: round(view.random.mean),
    views_ci95: { dfs: roundInterval(view.dfs.ci95), bfs: roundInterval(view.bfs.ci95), random: roundInterval(view.random.ci95) },
    views_ratio_dfs_random: round(view.dfs.mean / Math.max(1, view.random.mean)),
    views_ratio_dfs_bfs: round(view.dfs.mean / Math.max(1, view.bfs.mean)),
    state_precision: round(scores.precision),
    state_recall: round(scores.recall),
    destructive_actions: destructive,
    unreadable_probes: unread,
    ms_per_action_p50: Math.round(median(timings)),
    probe_ms_p50: Math.round(median(probeTimings)),
    exported_skills: exported,
    exported_replay_rate: exported ? round(replayed / exported) : 0,
    ...(replayMisses.length ? { replay_misses: replayMisses } : {}),
    load_average: [loadAtStart, oneMinuteLoad()],
    ...(repeated ? { note: `${repeated} run(s) repeated: the app did not load on a reset, or the run passed its deadline` } : {}),
    _perSeed: views,
  } as BenchApp & { _perSeed: Record<Strategy, number[]> };
}

/** Ratios per seed (seed k of DFS against seed k of the baseline), so the interval covers the ratio itself. */
function summarize(results: (BenchApp & { _perSeed?: Record<Strategy, number[]> })[]): SplitSummary | undefined {
  if (!results.length) return undefined;
  const seedCount = Math.min(...results.map((result) => result._perSeed?.dfs.length ?? 0));
  const ratio = (baseline: Strategy) => {
    const perSeed: number[] = [];
    // Mean of per-app ratios, so a large app does not drown the small ones.
    for (let seed = 0; seed < seedCount; seed += 1) perSeed.push(results.reduce((sum, result) => sum + (result._perSeed?.dfs[seed] ?? 0) / Math.max(1, result._perSeed?.[baseline][seed] ?? 0), 0) / results.length);
    return meanInterval(perSeed);
  };
  const round = (value: number) => Math.round(value * 100) / 100;
  const random = ratio('random');
  const bfs = ratio('bfs');
  const average = (pick: (result: BenchApp) => number) => round(results.reduce((sum, result) => sum + pick(result), 0) / results.length);
  const exported = results.reduce((sum, result) => sum + result.exported_skills, 0);
  const replayed = results.reduce((sum, result) => sum + result.exported_skills * result.exported_replay_rate, 0);
  return {
    apps: results.map((result) => result.app),
    views_ratio_dfs_random: round(random.mean),
    views_ratio_dfs_random_ci95: [round(random.ci95[0]), round(random.ci95[1])],
    views_ratio_dfs_bfs: round(bfs.mean),
    views_ratio_dfs_bfs_ci95: [round(bfs.ci95[0]), round(bfs.ci95[1])],
    state_precision: average((result) => result.state_precision ?? 0),
    state_recall: average((result) => result.state_recall ?? 0),
    destructive_actions: results.reduce((sum, result) => sum + (result.destructive_actions ?? 0), 0),
    exported_skills: exported,
    exported_replay_rate: exported ? round(replayed / exported) : 0,
    ms_per_action_p50: Math.round(median(results.map((result) => result.ms_per_action_p50))),
  };
}

function webTarget(app: WebApp, budget: number): Target {
  return {
    app: app.name,
    split: app.split,
    budget,
    open: async () => {
      const { WebDriver } = await import('../engine/computer/explore/web-driver.ts');
      const server = await serveWebApp(app);
      return { driver: new WebDriver({ url: server.url, loopbackOnly: true }), url: server.url, dispose: () => server.dispose() };
    },
    probe: webProbe,
    replay: replayWeb,
  };
}

export async function benchExplore(options: BenchOptions = {}): Promise<{
  apps: Record<string, BenchApp>;
  unseen?: SplitSummary;
  tune?: SplitSummary;
  targets_met: boolean;
  wall_ms: number;
}> {
  const started = Date.now();
  const seeds = options.seeds ?? 3;
  const wanted = (name: string) => !options.apps?.length || options.apps.includes(name);
  const split = exploreApps();
  const results: (BenchApp & { _perSeed?: Record<Strategy, number[]> })[] = [];
  const record = recorder(options.out);
  if (options.choices) mkdirSync(dirname(options.choices), { recursive: true });
  // Unseen first: that figure counts.
  const ordered = [...split.web.filter((app) => app.split === 'unseen'), ...split.web.filter((app) => app.split === 'tune')];
  // Every run's and app's figures are kept and handed on as soon as they are measured (and
  // written to `out`): a run stopped later keeps what it finished.
  const measured: typeof measure = async (target, seedCount, measureOptions) => {
    const result = (await measure(target, seedCount, { ...measureOptions, onRun: (run) => record({ kind: 'run', ...run }) })) as BenchApp & { _perSeed?: Record<Strategy, number[]> };
    results.push(result);
    const { _perSeed: perSeed, ...figures } = result;
    record({ kind: 'app', ...figures, ...(perSeed ? { views_per_seed: perSeed } : {}) });
    options.onApp?.(figures);
    return result;
  };
  for (const app of ordered) {
    if (!wanted(app.name)) continue;
    await measured(webTarget(app, options.budget ?? webBudget), seeds, options);
  }
  if (options.x11 !== false && existsSync('/usr/bin/Xvfb') && split.x11.some((app) => wanted(app.name))) {
    const { measureX11Apps } = await import('./explore-x11.ts');
    await measureX11Apps(split.x11.filter((app) => wanted(app.name)), seeds, options, measured);
  }
  if (options.fixtures) {
    const { WebDriver } = await import('../engine/computer/explore/web-driver.ts');
    const server = await serveFolder(fixtures);
    try {
      for (const app of fixtureApps) {
        const model = await import(pathToFileURL(join(fixtures, app.name, 'model.js')).href);
        const target: Target = {
          app: app.name,
          split: 'fixture',
          budget: options.budget ?? app.budget,
          trueStates: enumerateStates(model),
          open: async () => ({ driver: new WebDriver({ url: `${server.origin}/${app.name}/`, loopbackOnly: true }), url: `${server.origin}/${app.name}/`, dispose: async () => undefined }),
          probe: webProbe,
          replay: replayWeb,
        };
        await measured(target, seeds, options);
      }
    } finally {
      await server.dispose();
    }
  }
  const unseen = summarize(results.filter((result) => result.split === 'unseen'));
  const tune = summarize(results.filter((result) => result.split === 'tune'));
  const apps: Record<string, BenchApp> = {};
  for (const { _perSeed: _seeds, ...result } of results) apps[result.app] = result;
  const targetsMet = Boolean(
    unseen &&
      unseen.views_ratio_dfs_random >= 2 &&
      unseen.views_ratio_dfs_bfs >= 1.5 &&
      unseen.destructive_actions === 0 &&
      unseen.exported_skills > 0 &&
      unseen.exported_replay_rate >= 0.95 &&
      unseen.ms_per_action_p50 <= 300,
  );
  const summary = { apps, ...(unseen ? { unseen } : {}), ...(tune ? { tune } : {}), targets_met: targetsMet, wall_ms: Date.now() - started };
  record({ kind: 'summary', ...(unseen ? { unseen } : {}), ...(tune ? { tune } : {}), targets_met: targetsMet, wall_ms: summary.wall_ms });
  return summary;
}

function oneMinuteLoad(): number {
  return Math.round(loadavg()[0] * 10) / 10;
}

/**
 * Writes each finished piece (a run, an app, the summary) as one JSON line the moment it ends, so
 * a benchmark stopped or killed halfway keeps what it measured. No file: nothing is written.
 */
function recorder(file: string | undefined): (entry: { kind: 'run' | 'app' | 'summary' } & Record<string, unknown>) => void {
  if (!file) return () => undefined;
  mkdirSync(dirname(file), { recursive: true });
  return (entry) => appendFileSync(file, `${JSON.stringify({ ...entry, at: new Date().toISOString() })}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const value = (flag: string) => {
    const index = process.argv.indexOf(flag);
    return index > 0 ? process.argv[index + 1] : undefined;
  };
  // SIGINT/SIGTERM end the run through its signal, so the displays, buses and apps it started are
  // disposed (the default action would kill this process and leave them running); a second one
  // ends at once.
  const stop = new AbortController();
  const onSignal = () => (stop.signal.aborted ? process.exit(130) : stop.abort());
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Stopped by a signal: everything it started is disposed by then; say so instead of a stack trace.
  const result = await benchExplore({
    signal: stop.signal,
    onApp: (app) => process.stderr.write(`app ${JSON.stringify(app)}\n`),
    ...(value('--out') ? { out: value('--out') as string } : {}),
    x11: !process.argv.includes('--no-x11'),
    fixtures: process.argv.includes('--fixtures'),
    accessibility: !process.argv.includes('--no-accessibility'),
    ...(value('--apps') ? { apps: (value('--apps') as string).split(',') } : {}),
    ...(value('--budget') ? { budget: Number(value('--budget')) } : {}),
    ...(value('--seeds') ? { seeds: Number(value('--seeds')) } : {}),
    ...(value('--first-seed') ? { firstSeed: Number(value('--first-seed')) } : {}),
    progress: (_fraction, message) => process.stderr.write(`${message}\n`),
  }).catch((error: unknown) => {
    if (!stop.signal.aborted) throw error;
    process.stderr.write('bench explore: stopped by a signal (each finished app is above, and in --out)\n');
    process.exit(130);
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
