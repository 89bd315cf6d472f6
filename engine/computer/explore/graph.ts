import type { Boundary, ExploreAction, ExploreGraph, GraphEdge, GraphNode, Strategy, Verification } from '../../../core/commands/explore.ts';
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
  /** What each control (same kind, locator and name) did in the states where it was tried. */
  /** Controls that once crashed, froze or left the app: never tried again in any state. */
  private readonly failing = new Set<string>();
  private readonly effects = new Map<string, { destinations: Set<string>; backwards: number; total: number }>();

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

  /** Untried actions of a node, most promising first (see `priority`). */
  untried(node: NodeRecord): ExploreAction[] {
    const open = node.actions.filter((action) => !node.triedKeys.has(actionKey(action)) && !this.failing.has(effectKey(action)));
    return open
      .map((action, index) => ({ action, index, priority: this.priority(node, action) }))
      .sort((a, b) => a.priority - b.priority || a.index - b.index)
      .map((entry) => entry.action);
  }

  /**
   * 0: a control new in this state whose effect is unknown; 1: one the parent state offered too
   * (global navigation, usually tried there); 2: one whose effect is predictable — everywhere it
   * was tried it went to the same known state, or back where it came from (Back, Close, Cancel).
   * Exploring low numbers first is what lets DFS go deep instead of re-walking the known graph.
   */
  priority(node: NodeRecord, action: ExploreAction): number {
    const effect = this.effects.get(effectKey(action));
    if (effect && effect.total > 0 && (effect.destinations.size === 1 || effect.backwards === effect.total)) return 2;
    // Repeating the action that opened this state rarely does more (a hover, a toggle already on).
    const arrival = node.parentEdge ? this.edges.get(node.parentEdge) : undefined;
    if (arrival && effectKey(arrival.action) === effectKey(action)) return 2;
    // Words that undo what opened this state (Back, Close, Cancel…) almost always lead back: a prior until seen.
    if (!effect && action.kind === 'click' && undoWords.test(action.target?.name ?? '')) return 2;
    return node.inherited.has(actionKey(action)) ? 1 : 0;
  }

  /** Best (lowest) priority among a node's untried actions, or Infinity when none is left. */
  bestPriority(node: NodeRecord): number {
    let best = Infinity;
    for (const action of node.actions) if (!node.triedKeys.has(actionKey(action)) && !this.failing.has(effectKey(action))) best = Math.min(best, this.priority(node, action));
    return best;
  }

  /** True when the control crashed, froze or left the app in some state. */
  isFailing(action: ExploreAction): boolean {
    return this.failing.has(effectKey(action));
  }

  /** Notes what a control did, for `priority`. */
  noteEffect(from: NodeRecord, action: ExploreAction, to: NodeRecord): void {
    const key = effectKey(action);
    const effect = this.effects.get(key) ?? { destinations: new Set<string>(), backwards: 0, total: 0 };
    effect.total += 1;
    effect.destinations.add(to.id);
    const parent = from.parentEdge ? this.edges.get(from.parentEdge)?.from : undefined;
    if (to.id === from.id || to.id === parent) effect.backwards += 1;
    this.effects.set(key, effect);
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
  const { actions: _actions, triedKeys: _tried, inherited: _inherited, ...rest } = node;
  return { ...rest };
}

export type { Strategy };
