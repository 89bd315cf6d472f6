import type { Boundary, ExploreAction, GraphEdge, Strategy, Verification } from '../../../core/commands/explore.ts';
import type { ScrollPlace } from '../../../core/schemas/trajectory.ts';
import { actionKey, describeAction, effectOf, type NodeRecord, type Observation, StateGraph } from './graph.ts';
import { heldBackReason } from './safety.ts';

/** What goes wrong when an action runs; `needsReset` means the app is no longer usable as is. */
/** `scrolledTo`: a scroll's place reached (web), carried by the edge for export. */
export type ActionOutcome = { ok: true; scrolledTo?: ScrollPlace } | { ok: false; reason: Exclude<Boundary['reason'], 'repeated_failure' | 'blocked'>; detail: string; needsReset: boolean };

/** One app under exploration. Web (Chromium), X11 (Xvfb) and a fake (unit tests) implement it. */
export interface ExploreDriver {
  readonly kind: 'web' | 'x11' | 'fake';
  /** The URL or the command line. */
  readonly label: string;
  /** Starts a fresh instance: fresh browser profile or fresh HOME. Also how the explorer resets. */
  reset(signal: AbortSignal): Promise<void>;
  observe(signal: AbortSignal): Promise<Observation>;
  perform(action: ExploreAction, signal: AbortSignal): Promise<ActionOutcome>;
  dispose(): Promise<void>;
  /** How far (Hamming bits) two screens of one state may differ; the default suits a page with a clock. */
  readonly pictureTolerance?: number;
  /**
   * Milliseconds spent so far on work that is not exploring (a benchmark reading its ground truth
   * inside each look): left out of the action timings.
   */
  readonly asideMs?: number;
  /** Where each action's time went, ms per phase (one entry per action or look), when the driver measures it. */
  readonly phaseMs?: Readonly<Record<string, readonly number[]>>;
  /** How the driver's waits ended, as counts (web: settles by what ended them, second looks), when it counts them. */
  readonly waitCounts?: Readonly<Record<string, number>>;
  /** Where the driver's waits' time went, ms summed over the run, when it measures it. */
  readonly waitMs?: Readonly<Record<string, number>>;
}

export interface ExploreOptions {
  strategy: Strategy;
  /** Actions the app may receive in all: exploring, navigating back, replaying prefixes, and each reset counts one. */
  budget: number;
  seed: number;
  /** Epoch ms; the explorer stops itself (with a valid graph) before this. */
  deadline?: number;
  signal?: AbortSignal;
  /** Attempts of an action that errors before it is a skill boundary. */
  maxAttempts?: number;
  onNode?: (node: NodeRecord, observation: Observation) => void | Promise<void>;
  onEdge?: (edge: GraphEdge) => void;
  /** Called after every step, so a partial graph is always on disk. */
  onStep?: () => void;
  /** Each choice DFS makes and what came of it (why the budget went where it went). */
  onChoice?: (choice: Choice) => void;
}

/**
 * One choice of DFS and what came of it: an action tried from a state (its predicted gain, what
 * the graph predicted of it, and the state it led to), a trip to another state (its value per
 * action spent, the planned path, the actions it took, where it ended), or a reset after the app
 * was lost. `used` is the budget spent before the choice.
 */
export interface Choice {
  used: number;
  kind: 'act' | 'trip' | 'reset';
  /** The state the choice was made in (none after a lost app). */
  from?: string;
  /** The action tried, or the planned path of a trip, in words with each target's locator. */
  actions: string[];
  /** Act: the action's expected gain; trip: the best gain left where it started. */
  gain?: number;
  /** Act: what the graph predicted (see StateGraph.relation). */
  predicted?: string;
  /** Trip: the state aimed at and its gain per action spent, the trip included. */
  target?: string;
  value?: number;
  /** Actions of the budget the choice took (a trip's walk and resets, or one action). */
  cost: number;
  /** Act: new, known, no_change or error; trip: arrived or not. */
  outcome: string;
  /** The state the choice ended in. */
  to?: string;
}

export type StopReason = 'budget' | 'deadline' | 'exhausted' | 'aborted';

/** Looks at an app that seemed used up, in a row, before DFS believes it (see `dfsStep`). */
const maxLooksWithoutAction = 3;

/** A reset counts one action against the budget, but relaunching and replaying the prefix costs more time and loses depth. */
const resetCost = 1.5;

class Stop extends Error {
  readonly reason: StopReason;
  constructor(reason: StopReason) {
    super(reason);
    this.reason = reason;
  }
}

/** A small seeded generator (mulberry32), so runs with the same seed try the same things. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * GUI exploration over a state graph. DFS continues from the state it just reached and, when a
 * state is used up, goes to the nearest state with untried actions by the shortest path of
 * verified edges (else resets the app and replays the shortest verified path from the start). BFS expands states in
 * discovery order, navigating back before each action. Random picks any offered action.
 * All three share verification, dedupe and the budget, so their coverage is comparable.
 */
export class Explorer {
  readonly graph: StateGraph;
  used = 0;
  resets = 0;
  stoppedBy: StopReason | 'running' = 'running';
  /** Wall time of each exploring action (perform + settle + observe). */
  readonly actionMs: number[] = [];
  /**
   * Where the budget went: exploring actions by what they did, actions spent walking back to a
   * state (trips), and resets (`resets`). They add up to `used`, but for an action a deadline or
   * an abort cut short.
   */
  readonly spent: Record<Verification, number> & { trip: number } = { new: 0, known: 0, no_change: 0, error: 0, trip: 0 };
  private current: NodeRecord | undefined;
  /** Looks taken since the last action (see `dfsStep`). */
  private looksSinceAction = 0;
  private readonly random: () => number;
  private readonly failures = new Map<string, number>();
  private readonly driver: ExploreDriver;
  private readonly options: ExploreOptions;
  private readonly signal: AbortSignal;

  constructor(driver: ExploreDriver, options: ExploreOptions) {
    this.driver = driver;
    this.options = options;
    this.graph = new StateGraph(driver.pictureTolerance);
    this.random = seededRandom(options.seed);
    const signals = [options.signal ?? new AbortController().signal];
    if (options.deadline !== undefined) signals.push(AbortSignal.timeout(Math.max(1, options.deadline - Date.now())));
    this.signal = AbortSignal.any(signals);
  }

  async run(): Promise<void> {
    try {
      for (;;) {
        if (this.options.strategy === 'dfs') await this.dfsStep();
        else if (this.options.strategy === 'bfs') await this.bfsStep();
        else await this.randomStep();
        this.options.onStep?.();
      }
    } catch (error) {
      if (error instanceof Stop) this.stoppedBy = error.reason;
      else if (this.signal.aborted) this.stoppedBy = this.options.signal?.aborted ? 'aborted' : 'deadline';
      else throw error;
    }
    this.options.onStep?.();
  }

  private check(): void {
    if (this.options.signal?.aborted) throw new Stop('aborted');
    if (this.signal.aborted || (this.options.deadline !== undefined && Date.now() >= this.options.deadline)) throw new Stop('deadline');
  }

  /** Counts one action against the budget, or stops the run. */
  private spend(): void {
    this.check();
    if (this.used >= this.options.budget) throw new Stop('budget');
    this.used += 1;
    this.looksSinceAction = 0;
  }

  /**
   * DFS by expected gain: try the best action here unless a state elsewhere offers more gain per
   * action spent, counting the trip there (a verified path, or a reset and the shortest verified path from the start).
   */
  private async dfsStep(): Promise<void> {
    if (!this.current) {
      // The app was lost (an action left it unreadable or broken): a reset, spent from the budget.
      const before = this.used;
      const node = await this.reset();
      this.options.onChoice?.({ used: before, kind: 'reset', actions: [], cost: this.used - before, outcome: 'reset', to: node.id });
    }
    const current = this.current ?? (await this.reset());
    const here = this.graph.bestGain(current);
    const target = this.bestFrontier();
    if (target && target.node.id !== current.id && target.value > here) {
      const before = this.used;
      const planned = this.options.onChoice ? (this.graph.shortestPath(current.id, target.node.id) ?? this.graph.pathFromRoot(target.node.id)).map(inWords) : [];
      const arrived = await this.navigateTo(target.node);
      this.options.onChoice?.({ used: before, kind: 'trip', from: current.id, actions: planned, gain: here, target: target.node.id, value: target.value, cost: this.used - before, outcome: arrived ? 'arrived' : 'missed', ...(this.current ? { to: this.current.id } : {}) });
      return;
    }
    const open = this.graph.untried(current);
    if (!open.length) {
      // Nothing is left by the graph, but the app may have changed on its own since it was read
      // (content drawn after a late fetch, past the settle wait): look again before giving up. A
      // look costs no action; a few in a row without one (a page that keeps changing) end the run.
      if (this.looksSinceAction < maxLooksWithoutAction) {
        this.looksSinceAction += 1;
        const again = await this.look();
        const now = again ? await this.locate(again, undefined) : undefined;
        if (now && now.id !== current.id) {
          this.current = now;
          return;
        }
      }
      throw new Stop('exhausted');
    }
    // An action that just errored here is retried (a control re-rendered mid-click may work the
    // second time), but after the others: at once, the page has rarely changed since.
    const failed = (action: ExploreAction) => this.failures.has(`${current.id}#${actionKey(action)}`);
    const chosen = open.find((action) => !failed(action)) ?? open[0];
    if (!this.options.onChoice) {
      await this.tryAction(current, chosen);
      return;
    }
    const [gain, predicted, before] = [this.graph.gain(current, chosen), this.graph.relation(current, chosen), this.used];
    const outcome = await this.tryAction(current, chosen);
    this.options.onChoice({ used: before, kind: 'act', from: current.id, actions: [inWords({ action: chosen })], gain, ...(predicted ? { predicted } : {}), cost: this.used - before, outcome, ...(this.current ? { to: this.current.id } : {}) });
  }

  private async bfsStep(): Promise<void> {
    if (!this.current) await this.reset();
    const distances = this.current ? this.graph.distancesFrom(this.current.id) : new Map<string, number>();
    const target = [...this.graph.nodes.values()].find(
      (node) => this.graph.open(node).length > 0 && (distances.has(node.id) || this.replayable(node)),
    );
    if (!target) throw new Stop('exhausted');
    if (!(await this.navigateTo(target))) return;
    const open = this.graph.open(target);
    if (open.length) await this.tryAction(target, open[0]);
  }

  private async randomStep(): Promise<void> {
    const current = this.current ?? (await this.reset());
    const actions = current.actions.filter((action) => !this.graph.isFailing(action));
    if (actions.length === 0) {
      await this.reset();
      return;
    }
    const action = actions[Math.floor(this.random() * actions.length)];
    await this.tryAction(current, action);
  }

  /** The state whose best action is worth most per action spent getting there and doing it. */
  private bestFrontier(): { node: NodeRecord; value: number } | undefined {
    const distances = this.current ? this.graph.distancesFrom(this.current.id) : new Map<string, number>();
    let best: { node: NodeRecord; value: number } | undefined;
    for (const node of this.graph.nodes.values()) {
      const gain = this.graph.bestGain(node);
      if (gain <= 0) continue;
      const cost = Math.min(distances.get(node.id) ?? Infinity, this.replayable(node) ? resetCost + this.graph.pathFromRoot(node.id).length : Infinity);
      // Budget-aware: a trip that leaves no action to spend there is not worth starting.
      if (cost === Infinity || this.used + Math.ceil(cost) >= this.options.budget) continue;
      const value = gain / (1 + cost);
      if (!best || value > best.value || (value === best.value && node.discoveredAt > best.node.discoveredAt)) best = { node, value };
    }
    return best;
  }

  /** Observes, or undefined when the app cannot be read right now (the caller resets). */
  private async look(): Promise<Observation | undefined> {
    try {
      return await this.driver.observe(this.signal);
    } catch (error) {
      this.check();
      if (error instanceof Stop) throw error;
      return undefined;
    }
  }

  /** A reset and a path from the start state can reach this node (nodes met while navigating may have none). */
  private replayable(node: NodeRecord): boolean {
    if (node.unreachable) return false;
    if (node.id === this.graph.root) return true;
    const path = this.graph.pathFromRoot(node.id);
    return path.length > 0 && path[0].from === this.graph.root;
  }

  /** Fresh instance, then locate the start state (the root). */
  private async reset(): Promise<NodeRecord> {
    this.spend();
    this.resets += 1;
    this.current = undefined;
    await this.driver.reset(this.signal);
    this.check();
    const observation = await this.driver.observe(this.signal);
    const node = await this.locate(observation, undefined);
    this.current = node;
    return node;
  }

  /** The node an observation is; adds it (with its discovery edge) when new. */
  private async locate(observation: Observation, via: { from: NodeRecord; edge: () => GraphEdge } | undefined): Promise<NodeRecord> {
    const known = this.graph.match(observation);
    if (known) return known;
    // Same seed, same order: shuffle once at discovery so the seed matters for every strategy.
    const actions = [...observation.candidates];
    for (let index = actions.length - 1; index > 0; index -= 1) {
      const other = Math.floor(this.random() * (index + 1));
      [actions[index], actions[other]] = [actions[other], actions[index]];
    }
    const node = this.graph.addNode(
      { ...observation, candidates: actions },
      { depth: via ? via.from.depth + 1 : 0, discoveredAt: this.used },
    );
    if (via) node.parentEdge = via.edge().id;
    for (const action of observation.blocked) {
      this.graph.addBoundary({ node: node.id, action, reason: 'blocked', detail: `held back: ${heldBackReason(action) ?? 'destructive'} (use --allow to explore it)` });
    }
    await this.options.onNode?.(node, observation);
    return node;
  }

  /** Runs one action from a node and classifies what it did: no-change, new, known or error. */
  private async tryAction(node: NodeRecord, action: ExploreAction): Promise<Verification> {
    this.spend();
    const key = `${node.id}#${actionKey(action)}`;
    const relation = this.graph.relation(node, action);
    const started = Date.now();
    const asideBefore = this.driver.asideMs ?? 0;
    const elapsed = () => Date.now() - started - ((this.driver.asideMs ?? 0) - asideBefore);
    let outcome: ActionOutcome;
    try {
      outcome = await this.driver.perform(action, this.signal);
    } catch (error) {
      this.check();
      outcome = { ok: false, reason: 'error', detail: (error as Error).message.split('\n')[0].slice(0, 300), needsReset: false };
    }
    if (!outcome.ok) {
      this.check();
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      const edge = this.graph.recordEdge(node.id, action, 'error', undefined, outcome.detail);
      this.options.onEdge?.(edge);
      const final = outcome.reason !== 'error' || failures >= (this.options.maxAttempts ?? 2);
      if (final) {
        this.graph.markTried(node, action);
        this.graph.noteOutcome(action, false, relation, node.id);
        this.graph.addBoundary({ node: node.id, action, reason: outcome.reason === 'error' ? 'repeated_failure' : outcome.reason, detail: outcome.detail });
      }
      this.actionMs.push(elapsed());
      this.spent.error += 1;
      if (outcome.needsReset) this.current = undefined;
      else {
        const after = await this.look();
        this.current = after ? await this.locate(after, undefined) : undefined;
      }
      return 'error';
    }
    const performedMs = Date.now() - started;
    const observation = await this.look();
    if (!observation) {
      // The action left the app unreadable (a navigation mid-scan, a dying window): a boundary, then reset.
      this.actionMs.push(elapsed());
      this.graph.markTried(node, action);
      const edge = this.graph.recordEdge(node.id, action, 'error', undefined, 'the app could not be observed after this action');
      this.options.onEdge?.(edge);
      this.graph.addBoundary({ node: node.id, action, reason: 'error', detail: 'the app could not be observed after this action' });
      this.spent.error += 1;
      this.current = undefined;
      return 'error';
    }
    this.actionMs.push(elapsed());
    this.graph.markTried(node, action);
    let edge: GraphEdge | undefined;
    const known = this.graph.match(observation);
    const result: Verification = known === node ? 'no_change' : known ? 'known' : 'new';
    const reached = known ?? (await this.locate(observation, { from: node, edge: () => (edge = this.graph.recordEdge(node.id, action, 'new', undefined)) }));
    if (edge) {
      edge.to = reached.id;
      edge.result = 'new';
      delete edge.error;
    } else {
      edge = this.graph.recordEdge(node.id, action, result, reached.id);
    }
    this.graph.noteOutcome(action, result === 'new', relation, node.id);
    this.graph.noteDestination(action, node.id, reached.id);
    noteSettle(edge, performedMs);
    if (outcome.scrolledTo && !edge.scrolledTo) edge.scrolledTo = outcome.scrolledTo;
    if (result !== 'no_change') {
      const effect = effectOf(node, observation, action);
      if (effect) edge.effect = effect;
    }
    this.options.onEdge?.(edge);
    this.spent[result] += 1;
    this.current = reached;
    return result;
  }

  /**
   * Goes to a node: the shortest path from here when it is cheaper than a reset, else a reset and
   * the shortest verified path from the start state (often shorter than the discovery prefix).
   * False when it did not get there; the caller plans again from wherever it is now.
   */
  private async navigateTo(target: NodeRecord): Promise<boolean> {
    if (this.current?.id === target.id) return true;
    const fromRoot = this.graph.pathFromRoot(target.id);
    if (this.current) {
      const path = this.graph.shortestPath(this.current.id, target.id);
      // A walk that lands elsewhere (a guessed way back that was wrong) stops there: that state
      // may be new and worth exploring, and resetting at once would throw away what it offers.
      if (path && (path.length <= fromRoot.length + resetCost || !this.replayable(target))) return (await this.walk(path)) && this.current?.id === target.id;
    }
    if (!this.replayable(target)) return false;
    await this.reset();
    if ((await this.walk(fromRoot)) && this.current?.id === target.id) return true;
    // A fresh start no longer reaches it (the start screen itself may differ): stop aiming for it.
    target.unreachable = true;
    return false;
  }

  /** Replays edges, checking each lands where the graph says; a miss marks the edge inconsistent. */
  private async walk(path: GraphEdge[]): Promise<boolean> {
    for (const edge of path) {
      const from = this.current;
      if (!from || from.id !== edge.from) return false;
      this.spend();
      this.spent.trip += 1;
      const started = Date.now();
      let outcome: ActionOutcome;
      try {
        outcome = await this.driver.perform(edge.action, this.signal);
      } catch (error) {
        this.check();
        outcome = { ok: false, reason: 'error', detail: (error as Error).message.split('\n')[0], needsReset: false };
      }
      // A guessed way back that fails is not guessed again.
      if (edge.id.startsWith('guess:') && !outcome.ok) this.graph.markTried(from, edge.action);
      if (!outcome.ok) {
        this.check();
        edge.inconsistent = true;
        const after = outcome.needsReset ? undefined : await this.look();
        this.current = after ? await this.locate(after, undefined) : undefined;
        return false;
      }
      const observation = await this.look();
      if (!observation) {
        if (edge.id.startsWith('guess:')) this.graph.markTried(from, edge.action);
        edge.inconsistent = true;
        this.current = undefined;
        return false;
      }
      const known = this.graph.match(observation);
      const reached = known ?? (await this.locate(observation, undefined));
      if (edge.id.startsWith('guess:')) {
        // A guessed way back, now tried: a real edge with what it really did.
        const result: Verification = reached.id === from.id ? 'no_change' : known ? 'known' : 'new';
        this.graph.markTried(from, edge.action);
        this.graph.noteWayBack(from, edge.action, result === 'no_change');
        this.graph.recordEdge(from.id, edge.action, result, reached.id);
        this.graph.noteOutcome(edge.action, result === 'new', this.graph.relation(from, edge.action), from.id);
      } else {
        noteSettle(this.graph.recordEdge(edge.from, edge.action, edge.result, reached.id), Date.now() - started);
      }
      this.graph.noteDestination(edge.action, from.id, reached.id);
      this.current = reached;
      if (reached.id !== edge.to) return false;
    }
    return true;
  }
}

/** An action in words with its target's locator, for the choices a run reports. */
function inWords({ action }: { action: ExploreAction }): string {
  return `${describeAction(action)}${action.target?.selector ? ` @ ${action.target.selector}` : ''}`;
}

/** Keeps the slowest settle seen for an edge: replay waits for the worst case, not the luckiest. */
function noteSettle(edge: GraphEdge, ms: number): void {
  edge.settleMs = Math.max(edge.settleMs ?? 0, Math.round(ms));
}
