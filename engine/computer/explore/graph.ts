import type { Boundary, ExploreAction, ExploreGraph, GraphEdge, GraphNode, Strategy, Verification } from '../../../core/commands/explore.ts';
import type { ActionEffect } from '../../../core/schemas/trajectory.ts';
import { hammingDistance, samePictureTolerance } from './identity.ts';

/** What a driver sees of the app at one moment. */
export interface Observation {
  signature: string;
  phash: string;
  title: string;
  url?: string;
  screenshot?: Buffer;
  /** Actions a person could take here (already filtered by the safety blocklist). */
  candidates: ExploreAction[];
  /** Actions the blocklist held back, recorded as boundaries once. */
  blocked: ExploreAction[];
  /** What a person reads here (headings, dialog names, control labels): effects are told from them. */
  cues?: string[];
  /** Names of the dialogs (or extra windows) open. */
  dialogs?: string[];
}

/** What an action did, from the states before and after it (for the unit function's expectation). */
export function effectOf(before: { url?: string; cues?: string[]; dialogs?: string[] }, after: Observation, action: ExploreAction): ActionEffect | undefined {
  const effect: ActionEffect = {};
  const route = (url: string | undefined) => {
    if (!url) return undefined;
    try {
      const parsed = new URL(url);
      return `${parsed.pathname}${parsed.hash}`;
    } catch {
      return undefined;
    }
  };
  const [from, to] = [route(before.url), route(after.url)];
  if (to && from !== to) effect.routeChanged = to;
  const dialog = (after.dialogs ?? []).find((name) => !(before.dialogs ?? []).includes(name));
  if (dialog) effect.dialogOpened = dialog;
  const known = new Set(before.cues ?? []);
  const appeared = (after.cues ?? []).filter((cue) => !known.has(cue) && cue.length >= 2 && cue.length <= 120);
  if (appeared.length) effect.textAppeared = [...new Set(appeared)].slice(0, 4);
  if ((action.kind === 'type' || action.kind === 'select') && action.text !== undefined) effect.valueChanged = action.text;
  return Object.keys(effect).length ? effect : undefined;
}

/** A stable key of an action, so the same control in the same state is tried once. */
export function actionKey(action: ExploreAction): string {
  const where = action.target?.selector ?? (action.target ? `${Math.round(action.target.x ?? 0)},${Math.round(action.target.y ?? 0)}` : '');
  const to = action.to ? `>${action.to.selector ?? `${Math.round(action.to.x ?? 0)},${Math.round(action.to.y ?? 0)}`}` : '';
  return `${action.kind}|${where}${to}|${action.text ?? ''}|${action.keys ?? ''}|${action.deltaY ?? ''}`;
}

const undoWords = /^(back|close|cancel|hide|collapse|undo|dismiss|ok|done|exit|return)\b/i;

function effectKey(action: ExploreAction): string {
  return `${actionKey(action)}|${action.target?.name ?? ''}`;
}

/** One control wherever it appears: kind, role, name and what it carries (not its locator, which moves between pages). */
function controlKey(action: ExploreAction): string {
  return `c|${action.kind}|${action.target?.role ?? ''}|${action.target?.name ?? ''}|${action.text ?? ''}|${action.keys ?? ''}|${action.to?.name ?? ''}`;
}

function roleKey(action: ExploreAction): string {
  return `r|${action.kind}|${action.target?.role ?? ''}`;
}

/** The container an element sits in: its locator without the last two steps (web), or its window (X11). */
function regionKey(action: ExploreAction): string {
  const selector = action.target?.selector ?? '';
  const parts = selector.split(' > ');
  return `g|${parts.length > 2 ? parts.slice(0, -2).join(' > ') : selector.startsWith('#') ? '' : parts[0]}`;
}

/** Human words for an action ("click button "Save""), used in skill procedures and the UI. */
export function describeAction(action: ExploreAction): string {
  const name = action.target?.name ? `"${action.target.name}"` : action.target ? `(${Math.round(action.target.x ?? 0)}, ${Math.round(action.target.y ?? 0)})` : '';
  const role = action.target?.role ? `${action.target.role} ` : '';
  switch (action.kind) {
    case 'type':
      return `type ${JSON.stringify(action.text ?? '')} into ${role}${name}`;
    case 'select':
      return `choose ${JSON.stringify(action.text ?? '')} in ${role}${name}`;
    case 'shortcut':
      return `press ${action.keys ?? ''}`;
    case 'scroll':
      return `scroll ${role}${name} by ${action.deltaY ?? 0}px`;
    case 'drag':
      return `drag ${role}${name} onto ${action.to?.name ? `"${action.to.name}"` : 'the drop zone'}`;
    default:
      return `${action.kind.replace('_', '-')} ${role}${name}`.trim();
  }
}

export interface NodeRecord extends GraphNode {
  actions: ExploreAction[];
  triedKeys: Set<string>;
  /** Keys of the actions present in the parent state: tried last, since they rarely lead anywhere new. */
  inherited: Set<string>;
  cues: string[];
  dialogs: string[];
}

/** The state graph: nodes deduplicated by signature + perceptual hash, edges keyed by (node, action). */
export class StateGraph {
  readonly nodes = new Map<string, NodeRecord>();
  readonly edges = new Map<string, GraphEdge>();
  readonly boundaries: Boundary[] = [];
  private readonly bySignature = new Map<string, NodeRecord[]>();
  private readonly edgeByKey = new Map<string, GraphEdge>();
  private readonly boundaryKeys = new Set<string>();
  root: string | undefined;
  /** Hamming distance up to which two screens with one signature are the same state. */
  readonly tolerance: number;

  constructor(tolerance = samePictureTolerance) {
    this.tolerance = tolerance;
  }
  /** Controls that once crashed, froze or left the app: never tried again in any state. */
  private readonly failing = new Set<string>();
  /** How often each control, kind of control and region showed a new state when tried. */
  private readonly outcomes = new Map<string, { tried: number; fresh: number }>();

  /** The node this observation is, or undefined when it is new. */
  match(observation: Pick<Observation, 'signature' | 'phash'>): NodeRecord | undefined {
    let best: NodeRecord | undefined;
    let bestDistance = Infinity;
    for (const node of this.bySignature.get(observation.signature) ?? []) {
      const distance = hammingDistance(node.phash, observation.phash);
      if (distance < bestDistance) {
        best = node;
        bestDistance = distance;
      }
    }
    return bestDistance <= this.tolerance ? best : undefined;
  }

  addNode(observation: Observation, fields: { depth: number; discoveredAt: number; parentEdge?: string; screenshot?: string; parent?: NodeRecord }): NodeRecord {
    const id = `s${this.nodes.size}`;
    const inherited = new Set(fields.parent ? fields.parent.actions.map(actionKey) : []);
    const node: NodeRecord = {
      id,
      signature: observation.signature,
      phash: observation.phash,
      title: observation.title,
      ...(observation.url ? { url: observation.url } : {}),
      ...(fields.screenshot ? { screenshot: fields.screenshot } : {}),
      depth: fields.depth,
      discoveredAt: fields.discoveredAt,
      ...(fields.parentEdge ? { parentEdge: fields.parentEdge } : {}),
      candidates: observation.candidates.length,
      tried: 0,
      actions: observation.candidates,
      triedKeys: new Set(),
      inherited,
      cues: observation.cues ?? [],
      dialogs: observation.dialogs ?? [],
    };
    this.nodes.set(id, node);
    const bucket = this.bySignature.get(node.signature) ?? [];
    bucket.push(node);
    this.bySignature.set(node.signature, bucket);
    this.root ??= id;
    return node;
  }

  edgeFor(from: string, action: ExploreAction): GraphEdge | undefined {
    return this.edgeByKey.get(`${from}#${actionKey(action)}`);
  }

  recordEdge(from: string, action: ExploreAction, result: Verification, to: string | undefined, error?: string): GraphEdge {
    const key = `${from}#${actionKey(action)}`;
    const existing = this.edgeByKey.get(key);
    if (existing) {
      existing.attempts += 1;
      if (to !== undefined && existing.to === to) existing.confirmations += 1;
      else if (existing.to !== undefined && to !== existing.to) existing.inconsistent = true;
      if (existing.to === undefined && to !== undefined) {
        existing.to = to;
        existing.result = result;
        delete existing.error;
      }
      return existing;
    }
    const edge: GraphEdge = {
      id: `e${this.edges.size}`,
      from,
      ...(to !== undefined ? { to } : {}),
      action,
      result,
      attempts: 1,
      confirmations: 0,
      inconsistent: false,
      ...(error ? { error } : {}),
    };
    this.edges.set(edge.id, edge);
    this.edgeByKey.set(key, edge);
    return edge;
  }

  markTried(node: NodeRecord, action: ExploreAction): void {
    const key = actionKey(action);
    if (node.triedKeys.has(key)) return;
    node.triedKeys.add(key);
    node.tried = node.triedKeys.size;
  }

  /** Untried actions of a node in discovery order (the seeded shuffle): what BFS and random draw from. */
  open(node: NodeRecord): ExploreAction[] {
    return node.actions.filter((action) => !node.triedKeys.has(actionKey(action)) && !this.failing.has(effectKey(action)));
  }

  /** Untried actions of a node, highest expected gain first (see `gain`). */
  untried(node: NodeRecord): ExploreAction[] {
    return this.open(node)
      .map((action, index) => ({ action, index, gain: this.gain(node, action) }))
      .sort((a, b) => b.gain - a.gain || a.index - b.index)
      .map((entry) => entry.action);
  }

  /**
   * Expected information gain of an action: the chance it shows a state not seen before, learned
   * online from this run — per control (kind, role, name: the same link in every page is one
   * control) and per kind of control (kind, role) as its prior, both Beta(1, 1) to start. A control
   * tried elsewhere that always led somewhere known is worth little; a role that keeps opening new
   * views is worth trying first. Nothing here is fitted to an app: the numbers come from the run.
   */
  gain(node: NodeRecord, action: ExploreAction): number {
    const role = this.outcomes.get(roleKey(action)) ?? { tried: 0, fresh: 0 };
    const prior = (role.fresh + 1) / (role.tried + 2);
    const control = this.outcomes.get(controlKey(action));
    let gain = control ? (control.fresh + prior) / (control.tried + 1) : prior;
    // Repeating what opened this state, or a control named to undo it, tends to lead back: half
    // the prior until this control's own record says otherwise.
    const arrival = node.parentEdge ? this.edges.get(node.parentEdge) : undefined;
    if (!control && ((arrival && controlKey(arrival.action) === controlKey(action)) || (action.kind === 'click' && undoWords.test(action.target?.name ?? '')))) gain /= 2;
    // A region of the tree (the element's container) that keeps yielding new states is worth more
    // than one already combed through: its rate against the run's, square-rooted to temper it.
    const region = this.outcomes.get(regionKey(action)) ?? { tried: 0, fresh: 0 };
    const all = this.outcomes.get('all') ?? { tried: 0, fresh: 0 };
    gain *= Math.sqrt((region.fresh + 1) / (region.tried + 2) / ((all.fresh + 1) / (all.tried + 2)));
    return gain;
  }

  /** Best expected gain among a node's untried actions; 0 when none is left. */
  bestGain(node: NodeRecord): number {
    let best = 0;
    for (const action of this.open(node)) best = Math.max(best, this.gain(node, action));
    return best;
  }

  /** Learns from one tried action: did it show a state never seen before? */
  noteOutcome(action: ExploreAction, fresh: boolean): void {
    for (const key of [controlKey(action), roleKey(action), regionKey(action), 'all']) {
      const entry = this.outcomes.get(key) ?? { tried: 0, fresh: 0 };
      entry.tried += 1;
      if (fresh) entry.fresh += 1;
      this.outcomes.set(key, entry);
    }
  }

  /** True when the control crashed, froze or left the app in some state. */
  isFailing(action: ExploreAction): boolean {
    return this.failing.has(effectKey(action));
  }

  addBoundary(boundary: Boundary): void {
    const key = `${boundary.node}#${actionKey(boundary.action)}#${boundary.reason}`;
    if (this.boundaryKeys.has(key)) return;
    this.boundaryKeys.add(key);
    if (boundary.reason === 'crash' || boundary.reason === 'hang' || boundary.reason === 'offsite') this.failing.add(effectKey(boundary.action));
    this.boundaries.push(boundary);
  }

  /** Edges fit to navigate by: they changed the state, reached it again when retried, and never disagreed. */
  private navigable(edge: GraphEdge): boolean {
    return edge.to !== undefined && edge.to !== edge.from && !edge.inconsistent && (edge.result === 'new' || edge.result === 'known');
  }

  /** Shortest path of verified edges from one node to another (breadth-first), or undefined. */
  shortestPath(from: string, to: string): GraphEdge[] | undefined {
    if (from === to) return [];
    const outgoing = new Map<string, GraphEdge[]>();
    for (const edge of this.edges.values()) {
      if (!this.navigable(edge)) continue;
      const list = outgoing.get(edge.from) ?? [];
      list.push(edge);
      outgoing.set(edge.from, list);
    }
    const previous = new Map<string, GraphEdge>();
    const queue = [from];
    const seen = new Set([from]);
    while (queue.length) {
      const current = queue.shift() as string;
      for (const edge of outgoing.get(current) ?? []) {
        const next = edge.to as string;
        if (seen.has(next)) continue;
        seen.add(next);
        previous.set(next, edge);
        if (next === to) {
          const path: GraphEdge[] = [];
          let at = to;
          while (at !== from) {
            const step = previous.get(at) as GraphEdge;
            path.unshift(step);
            at = step.from;
          }
          return path;
        }
        queue.push(next);
      }
    }
    return undefined;
  }

  /** Distances (in actions) from one node to every node reachable by verified edges. */
  distancesFrom(from: string): Map<string, number> {
    const outgoing = new Map<string, string[]>();
    for (const edge of this.edges.values()) {
      if (!this.navigable(edge)) continue;
      const list = outgoing.get(edge.from) ?? [];
      list.push(edge.to as string);
      outgoing.set(edge.from, list);
    }
    const distance = new Map([[from, 0]]);
    const queue = [from];
    while (queue.length) {
      const current = queue.shift() as string;
      for (const next of outgoing.get(current) ?? []) {
        if (distance.has(next)) continue;
        distance.set(next, (distance.get(current) as number) + 1);
        queue.push(next);
      }
    }
    return distance;
  }

  /** The discovery path from the root to a node: what a fresh instance replays to get there. */
  prefix(nodeId: string): GraphEdge[] {
    const path: GraphEdge[] = [];
    let node = this.nodes.get(nodeId);
    const guard = new Set<string>();
    while (node?.parentEdge) {
      if (guard.has(node.id)) break;
      guard.add(node.id);
      const edge = this.edges.get(node.parentEdge) as GraphEdge;
      path.unshift(edge);
      node = this.nodes.get(edge.from);
    }
    return path;
  }

  /** A path from the root, preferring verified edges, used for replay and skills. */
  pathFromRoot(nodeId: string): GraphEdge[] {
    if (!this.root) return [];
    return this.shortestPath(this.root, nodeId) ?? this.prefix(nodeId);
  }

  toJSON(meta: Omit<ExploreGraph, 'nodes' | 'edges' | 'boundaries' | 'root' | 'version'>): ExploreGraph {
    return {
      version: 1,
      ...meta,
      ...(this.root ? { root: this.root } : {}),
      nodes: [...this.nodes.values()].map(publicNode),
      edges: [...this.edges.values()].map((edge) => ({ ...edge })),
      boundaries: [...this.boundaries],
    };
  }
}

export function publicNode(node: NodeRecord): GraphNode {
  const { actions: _actions, triedKeys: _tried, inherited: _inherited, cues: _cues, dialogs: _dialogs, ...rest } = node;
  return { ...rest };
}

export type { Strategy };
