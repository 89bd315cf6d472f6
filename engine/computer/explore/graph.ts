import type { Boundary, ExploreAction, ExploreGraph, GraphEdge, GraphNode, Strategy, Verification } from '../../../core/commands/explore.ts';
import type { ActionEffect } from '../../../core/schemas/trajectory.ts';
import { accessibleSelectorPrefix, hammingDistance, routeOf, samePictureTolerance } from './identity.ts';

/** What a driver sees of the app at one moment. */
export interface Observation {
  signature: string;
  phash: string;
  title: string;
  url?: string;
  screenshot?: Buffer;
  /**
   * Takes the screenshot when it is wanted (a state seen for the first time), for drivers whose
   * identity does not need the picture: a known state costs no capture.
   */
  capture?: () => Promise<Buffer>;
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
export function effectOf(before: { url?: string; cues?: string[]; dialogs?: string[] }, after: Pick<Observation, 'url' | 'cues' | 'dialogs'>, action: ExploreAction): ActionEffect | undefined {
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
  if (to && from !== to && routeIsEffect(before.url, after.url as string, action)) effect.routeChanged = to;
  const dialog = (after.dialogs ?? []).find((name) => !(before.dialogs ?? []).includes(name));
  if (dialog) effect.dialogOpened = dialog;
  const known = new Set(before.cues ?? []);
  const appeared = (after.cues ?? []).filter((cue) => !known.has(cue) && cue.length >= 2 && cue.length <= 120);
  if (appeared.length) effect.textAppeared = [...new Set(appeared)].slice(0, 4);
  if ((action.kind === 'type' || action.kind === 'select') && action.text !== undefined) effect.valueChanged = action.text;
  return Object.keys(effect).length ? effect : undefined;
}

/**
 * Whether a changed address is what the action reliably did, to be expected again at replay: a
 * new path (or query) is; so is a hash that is a route (`#/orders`, `#!/orders`: an SPA's hash
 * router, where the hash is the page), and a hash the clicked link itself points to. Any other
 * hash change is a place on the page, which a scroll-spy rewrites as sections pass while the page
 * scrolls and settles (an API documentation page ended a side-menu click on the hash of a section
 * the scroll passed, another time on the next one's): not an expectation, and the step is verified
 * by its other effects. The address before is the state's as first seen, so its hash may be stale too.
 */
function routeIsEffect(before: string | undefined, after: string, action: ExploreAction): boolean {
  try {
    const [was, now] = [new URL(before ?? ''), new URL(after)];
    if (was.origin !== now.origin || was.pathname !== now.pathname || was.search !== now.search) return true;
  } catch {
    return true;
  }
  const hash = new URL(after).hash;
  if (/^#!?\//.test(hash)) return true;
  try {
    const link = new URL(action.target?.href ?? '');
    return link.hash === hash && link.pathname === new URL(after).pathname;
  } catch {
    return false;
  }
}

/** A stable key of an action, so the same control in the same state is tried once. */
export function actionKey(action: ExploreAction): string {
  const where = action.target?.selector ?? (action.target ? `${Math.round(action.target.x ?? 0)},${Math.round(action.target.y ?? 0)}` : '');
  const to = action.to ? `>${action.to.selector ?? `${Math.round(action.to.x ?? 0)},${Math.round(action.to.y ?? 0)}`}` : '';
  return `${action.kind}|${where}${to}|${action.text ?? ''}|${action.keys ?? ''}|${action.deltaY ?? ''}`;
}

const isEscape = (action: ExploreAction) => action.kind === 'shortcut' && action.keys === 'Escape';
/** A state offering Escape has a dialog or a menu open (the driver offers it then). */
const escapes = (node: NodeRecord) => node.actions.some(isEscape);

/** Roles that are only an HTML tag (the scan's fallback when an element has no ARIA role): no widget. */
const genericRole = /^(div|span|canvas|svg|img|i|p|li|ul|ol|td|th|tr|table|h[1-6]|section|article|label|header|footer|nav|main|aside|figure|small|strong|em|b|pre|code)$/;

const undoWords = /^(back|close|cancel|hide|collapse|undo|dismiss|ok|done|exit|return)\b/i;

function effectKey(action: ExploreAction): string {
  return `${actionKey(action)}|${action.target?.name ?? ''}`;
}

/** One control wherever it appears: kind, role, name and what it carries (not its locator, which moves between pages). */
function controlKey(action: ExploreAction): string {
  return `c|${action.kind}|${action.target?.role ?? ''}|${action.target?.name ?? ''}|${action.text ?? ''}|${action.keys ?? ''}|${action.to?.name ?? ''}`;
}

/** A guessed way back, by the control that opened the state and the guess (both as controls, so look-alikes share it). */
function wayBackKey(opener: ExploreAction, guess: ExploreAction): string {
  return `${controlKey(opener)}>${controlKey(guess)}`;
}

/** The outcomes of the actions tried from one state. */
function stateKey(node: string): string {
  return `s|${node}`;
}

/** The outcomes of one control in one state: its look-alikes there (one actions button per row) share it. */
function siblingsKey(node: string, action: ExploreAction): string {
  return `l|${node}|${controlKey(action)}`;
}

/**
 * A chance learned from a record, with `prior` counted as one observation: the prior alone when
 * nothing is recorded, then more and more the record's own rate.
 */
function withRecord(record: { tried: number; fresh: number } | undefined, prior: number): number {
  return record ? (record.fresh + prior) / (record.tried + 1) : prior;
}

function roleKey(action: ExploreAction): string {
  return `r|${action.kind}|${action.target?.role ?? ''}`;
}

/**
 * The container an element sits in: its locator without the last two steps (web), the
 * accessible's parent (X11 through the tree: the path without its last step), or its window (X11
 * through pixels).
 */
function regionKey(action: ExploreAction): string {
  const selector = action.target?.selector ?? '';
  if (selector.startsWith(accessibleSelectorPrefix)) {
    try {
      return `g|${accessibleSelectorPrefix}${JSON.stringify((JSON.parse(selector.slice(accessibleSelectorPrefix.length)) as unknown[]).slice(0, -1))}`;
    } catch {
      return `g|${selector}`;
    }
  }
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
  /** Where each control (controlKey) has led when it changed the state: the states it reached. */
  private readonly destinations = new Map<string, Map<string, Set<string>>>();
  /** Where each control (controlKey) led in place, and from which states: destination → states it was tried from. */
  private readonly reachedFrom = new Map<string, Map<string, Set<string>>>();
  /**
   * Guessed ways back, by the control that opened the state and the guess (wayBackKey): how often
   * walked, how often they changed nothing. Look-alikes open look-alike states (each row's menu),
   * and a guess that left one as it was (an opener that only re-opens its menu, an Escape the menu
   * ignores) is not guessed for the others while it never did more: each such guess had cost a
   * trip that changed nothing. One that led elsewhere still closed something and stays a guess.
   */
  private readonly wayBacks = new Map<string, { walked: number; changedNothing: number }>();

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

  addNode(observation: Observation, fields: { depth: number; discoveredAt: number; parentEdge?: string; screenshot?: string }): NodeRecord {
    const id = `s${this.nodes.size}`;
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

  /** Records a guessed way back from `node`, walked: whether it left the state as it was. */
  noteWayBack(node: NodeRecord, guess: ExploreAction, changedNothing: boolean): void {
    const arrival = node.parentEdge ? this.edges.get(node.parentEdge) : undefined;
    if (!arrival) return;
    const key = wayBackKey(arrival.action, guess);
    const record = this.wayBacks.get(key) ?? { walked: 0, changedNothing: 0 };
    this.wayBacks.set(key, { walked: record.walked + 1, changedNothing: record.changedNothing + (changedNothing ? 1 : 0) });
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
    const relation = this.relation(node, action);
    let gain: number;
    if (relation === 'unseen-route' || relation === 'announced') {
      // A link to a page of this site that no state has shown yet, or a control the page says
      // shows something hidden now (collapsed, a closed popup): a view not seen before is likely,
      // unless such predictions keep failing here (a Beta(3, 1) prior, learned in the run).
      // Without it, two links that went nowhere (an off-site link, a '#' link) made the role
      // "link" look barren and the site's own pages were never visited.
      const record = this.outcomes.get(relation) ?? { tried: 0, fresh: 0 };
      gain = (record.fresh + 3) / (record.tried + 4);
      // The prediction is the prior of this control, not its verdict: the same link or toggle that
      // showed nothing new where it was tried (a link to a data file, a '#' anchor) is worth that
      // much less in the next state that offers it, as an unpredicted control is.
      gain = withRecord(this.outcomes.get(controlKey(action)), gain);
    } else if (relation) {
      // The graph already predicts where this leads (back where this state came from, to the one
      // state this control always reached, or off the site): no view not seen before. How often such predictions
      // turned out wrong is learned in the run, from a prior that trusts them (Beta(1, 3)).
      const record = this.outcomes.get(relation) ?? { tried: 0, fresh: 0 };
      gain = (record.fresh + 1) / (record.tried + 4);
    } else {
      const role = this.outcomes.get(roleKey(action)) ?? { tried: 0, fresh: 0 };
      // A plain element that merely listens (a div, a canvas, a cell) starts less likely to open
      // anything than a control the page names as one: Beta(1, 2) against Beta(1, 1).
      const prior = (role.fresh + 1) / (role.tried + (genericRole.test(action.target?.role ?? '') ? 3 : 2));
      const control = this.outcomes.get(controlKey(action));
      gain = withRecord(control, prior);
      // A control named to undo (close, cancel, back) tends to lead back: half the prior until
      // this control's own record says otherwise.
      if (!control && action.kind === 'click' && undoWords.test(action.target?.name ?? '')) gain /= 2;
    }
    // Its look-alikes tried in this very state say most: the rows' actions buttons that only
    // opened menus seen before make the next row's worth less here, whatever they did elsewhere.
    gain = withRecord(this.outcomes.get(siblingsKey(node.id, action)), gain);
    // A region of the tree (the element's container) that keeps yielding new states is worth more
    // than one already combed through: its rate against the run's, square-rooted to temper it. A
    // region not tried yet starts at the run's rate (worth two tries of evidence), not below it:
    // while the run goes well, a menu that just opened is not worth less than the page it covers.
    const all = this.outcomes.get('all') ?? { tried: 0, fresh: 0 };
    const rate = (record: { tried: number; fresh: number }) => (record.fresh + 1) / (record.tried + 2);
    const againstRun = (key: string) => {
      const record = this.outcomes.get(key) ?? { tried: 0, fresh: 0 };
      return Math.sqrt((record.fresh + 2 * rate(all)) / (record.tried + 2) / rate(all));
    };
    gain *= againstRun(regionKey(action));
    // What was already there before the last change (the page below a menu that just opened: a
    // click on it mostly closes the menu onto a state seen) against what the change showed (the
    // menu's items): where the kept controls yield less than the shown ones in this run, each
    // rate from the run's, they are lowered by how much less. Never the shown ones: they are what
    // is new here. Only for controls the graph predicts nothing of: a predicted one (the opener
    // that closes, a link to a page seen) has its own odds.
    if (!relation && this.noveltyKey(node, action) === 'n|kept') gain *= Math.min(1, againstRun('n|kept') / againstRun('n|shown'));
    // The state itself is a region too: one whose tried actions keep showing nothing new (a
    // calculator's keypad once its menu bar is hidden: every key only changes the display) is
    // combed through, and what it still offers is worth less than its roles alone say, so a trip
    // to a state elsewhere wins sooner. Only ever lowered: a state that keeps yielding is not
    // favoured beyond what its controls' own records say.
    // The state's rate starts at the run's (worth two tries of evidence), so one action that did
    // nothing does not yet condemn a state.
    const state = this.outcomes.get(stateKey(node.id)) ?? { tried: 0, fresh: 0 };
    gain *= Math.min(1, (state.fresh + 2 * rate(all)) / (state.tried + 2) / rate(all));
    return gain;
  }

  /**
   * What the graph predicts about an action before it runs: 'undo' when it repeats the control
   * that opened this state (a toggle closes again), 'known-destination' when this control changed
   * the state before and always to one same state, 'unseen-route' when it links to a page of
   * this site that no state has shown yet, 'announced' when the page says the control shows
   * something hidden now (ActionTarget.opens), 'off-site' when it links to another site.
   * Undefined when nothing is predicted.
   */
  relation(node: NodeRecord, action: ExploreAction): 'undo' | 'known-destination' | 'off-site' | 'unseen-route' | 'announced' | undefined {
    const key = controlKey(action);
    if (this.inverseOf(node)?.some((inverse) => controlKey(inverse) === key)) return 'undo';
    // Escape over a menu or dialog opened from another one (a menu bar's second menu) closes it
    // onto a state already seen, as over the first one.
    if (isEscape(action) && escapes(node) && this.parentOf(node)) return 'known-destination';
    // A state and the transient ones over it (a menu or a dialog that Escape closes opened on
    // top) share their other controls: the menu closes first, so a control does from any of them
    // what it did from one.
    const base = this.baseOf(node) ?? node;
    for (const edge of this.edges.values()) {
      if (edge.to === undefined || edge.to === edge.from || edge.result === 'error' || edge.from === node.id || controlKey(edge.action) !== key) continue;
      const from = this.nodes.get(edge.from);
      if (from && (this.baseOf(from) ?? from).id === base.id) return 'known-destination';
    }
    const byScope = this.destinations.get(key);
    if (byScope?.get('navigation')?.size === 1 && !byScope.has(`in-place:${routeOf(node.url) ?? ''}`)) return 'known-destination';
    // A control that opened one same dialog from two different states: the dialog covers what
    // lay below it, so it opens that state from here too. Only a dialog: a control that changes
    // the page in place may land on one state from two and on a third from here (a tab that
    // resets its panel's toggles), and independent toggles make a new combination from each.
    const reached = this.reachedFrom.get(key);
    const [only] = reached?.size === 1 ? [...reached] : [];
    if (only && only[1].size >= 2 && this.nodes.get(only[0])?.dialogs.length) return 'known-destination';
    // A link to another site leaves the app: no view of it lies there (it ends in an off-site
    // boundary and a reset), so it is predicted like a known destination and tried last.
    if (offSite(action.target?.href, node.url)) return 'off-site';
    // A link to another route where a state has already been seen: loading it shows that state.
    const route = routeOf(action.target?.href);
    if (route !== undefined && route !== routeOf(node.url) && !/#$/.test(action.target?.href ?? '')) {
      if (this.routes().has(route)) return 'known-destination';
      if (sameOrigin(action.target?.href, node.url)) return 'unseen-route';
    }
    if (action.kind === 'click' && action.target?.opens) return 'announced';
    return undefined;
  }

  /** Routes of the states seen so far. */
  private routes(): Set<string> {
    const routes = new Set<string>();
    for (const node of this.nodes.values()) {
      const route = routeOf(node.url);
      if (route !== undefined) routes.add(route);
    }
    return routes;
  }

  /**
   * The actions of a node that probably lead back to the state it was first reached from: the
   * control that opened it (a toggle, a menu button) when it still shows it, or when its name
   * is gone, the control of the same kind now in its place (a toggle whose label flips: "Switch to
   * dark mode" becomes "Switch to light mode"), and Escape when the parent did not offer Escape
   * (a dialog or menu that opened here).
   */
  inverseOf(node: NodeRecord): ExploreAction[] | undefined {
    const arrival = node.parentEdge ? this.edges.get(node.parentEdge) : undefined;
    const parent = this.parentOf(node);
    if (!arrival || !parent) return undefined;
    const opener = controlKey(arrival.action);
    const place = arrival.action.target?.selector;
    // Only while the opener's own name is gone: a row of look-alikes shifts after an insert, and
    // another row's button then sits where the clicked one was.
    const renamed = place !== undefined && !node.actions.some((action) => controlKey(action) === opener);
    const inPlace = (action: ExploreAction) => renamed && action.kind === arrival.action.kind && action.target?.selector === place;
    // The opener itself where it still stands: its look-alikes (every row's actions button) share
    // its name but not what it opened, and each guessed as a way back cost a trip that went nowhere.
    const itself = node.actions.filter((action) => controlKey(action) === opener && action.target?.selector === place);
    const closers = itself.length ? itself : node.actions.filter((action) => controlKey(action) === opener || inPlace(action));
    return [...closers, ...node.actions.filter((action) => isEscape(action) && !escapes(parent) && !isEscape(arrival.action))];
  }

  /** The nearest state below a transient one (the first ancestor without a menu or dialog open); undefined when the node is not transient. */
  private baseOf(node: NodeRecord): NodeRecord | undefined {
    if (!escapes(node)) return undefined;
    const seen = new Set([node.id]);
    for (let at = this.parentOf(node); at && !seen.has(at.id); at = this.parentOf(at)) {
      if (!escapes(at)) return at;
      seen.add(at.id);
    }
    return undefined;
  }

  /** The state a node was first reached from (undefined for the root and for nodes met by a self-loop). */
  private parentOf(node: NodeRecord): NodeRecord | undefined {
    const arrival = node.parentEdge ? this.edges.get(node.parentEdge) : undefined;
    const parent = arrival ? this.nodes.get(arrival.from) : undefined;
    return parent && parent.id !== node.id ? parent : undefined;
  }

  /**
   * Learns where a control led when it changed the state. Only navigation is predicted from it: a
   * control that changed the route goes to the same place from anywhere. One that changed the view
   * in place (a toggle, a menu button) acts on whatever state it is in — independent toggles make
   * a new combination each time — so it is predicted only on its route's own terms (see
   * `relation`: the way back, and what it did below a transient menu).
   */
  noteDestination(action: ExploreAction, from: string, to: string | undefined): void {
    if (to === undefined || to === from) return;
    const key = controlKey(action);
    const [before, after] = [routeOf(this.nodes.get(from)?.url), routeOf(this.nodes.get(to)?.url)];
    const scope = before !== undefined && before !== after ? 'navigation' : `in-place:${before ?? ''}`;
    const byScope = this.destinations.get(key) ?? new Map<string, Set<string>>();
    byScope.set(scope, (byScope.get(scope) ?? new Set()).add(to));
    this.destinations.set(key, byScope);
    if (scope !== 'navigation') {
      const reached = this.reachedFrom.get(key) ?? new Map<string, Set<string>>();
      reached.set(to, (reached.get(to) ?? new Set()).add(from));
      this.reachedFrom.set(key, reached);
    }
  }

  /**
   * Whether a control of a state came with the change that made the state ('n|shown': the state
   * it was reached from did not offer it) or was there before ('n|kept'); undefined for a state
   * reached from nowhere (the start, a reset).
   */
  private noveltyKey(node: NodeRecord, action: ExploreAction): string | undefined {
    const parent = this.parentOf(node);
    if (!parent) return undefined;
    const key = controlKey(action);
    return parent.actions.some((offered) => controlKey(offered) === key) ? 'n|kept' : 'n|shown';
  }

  /** Best expected gain among a node's untried actions; 0 when none is left. */
  bestGain(node: NodeRecord): number {
    let best = 0;
    for (const action of this.open(node)) best = Math.max(best, this.gain(node, action));
    return best;
  }

  /** Learns from one tried action: did it show a state never seen before? `relation` is what the graph predicted before it ran; `from` the state it was tried in. */
  noteOutcome(action: ExploreAction, fresh: boolean, relation?: string, from?: string): void {
    const node = from !== undefined ? this.nodes.get(from) : undefined;
    const novelty = node && !relation ? this.noveltyKey(node, action) : undefined;
    for (const key of [controlKey(action), roleKey(action), regionKey(action), 'all', ...(relation ? [relation] : []), ...(novelty ? [novelty] : []), ...(from !== undefined ? [stateKey(from), siblingsKey(from, action)] : [])]) {
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

  /**
   * Untried ways back, guessed: a state opened by a control that it still shows is probably
   * closed by that control again (a toggle, a menu button), back to the state it came from. They
   * let the explorer backtrack by one action instead of a reset; walking one checks it, and
   * records the real edge either way. Ids start with 'guess:'.
   */
  guessedInverses(): GraphEdge[] {
    const guesses: GraphEdge[] = [];
    for (const node of this.nodes.values()) {
      const arrival = node.parentEdge ? this.edges.get(node.parentEdge) : undefined;
      if (!arrival) continue;
      for (const inverse of this.inverseOf(node) ?? []) {
        if (node.triedKeys.has(actionKey(inverse)) || this.isFailing(inverse) || this.edgeFor(node.id, inverse)) continue;
        const walked = this.wayBacks.get(wayBackKey(arrival.action, inverse));
        if (walked && walked.changedNothing === walked.walked) continue;
        guesses.push({ id: `guess:${node.id}:${guesses.length}`, from: node.id, to: arrival.from, action: inverse, result: 'known', attempts: 0, confirmations: 0, inconsistent: false });
      }
    }
    return guesses;
  }

  /** Edges to plan trips with: verified ones, plus the guessed ways back. */
  private travelEdges(): GraphEdge[] {
    return [...[...this.edges.values()].filter((edge) => this.navigable(edge)), ...this.guessedInverses()];
  }

  /** Shortest path of verified edges (and guessed ways back) from one node to another (breadth-first), or undefined. */
  shortestPath(from: string, to: string, options: { guesses?: boolean } = {}): GraphEdge[] | undefined {
    return fewestSteps(options.guesses === false ? [...this.edges.values()].filter((edge) => this.navigable(edge)) : this.travelEdges(), from, to);
  }

  /** Distances (in actions) from one node to every node reachable by verified edges. */
  distancesFrom(from: string): Map<string, number> {
    const outgoing = new Map<string, string[]>();
    for (const edge of this.travelEdges()) {
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

  /**
   * The shortest way from the root to a node for a skill: verified edges, plus the navigations the
   * run predicts — a control that changed the route always to one same state (a sidebar link)
   * reaches that state from any state that offers it, not only from the one it was tried in. A
   * guess where it uses a prediction (ids start with 'predicted:'): the caller replays it on a
   * fresh instance before trusting it. Undefined when the node cannot be reached.
   */
  skillPath(nodeId: string): GraphEdge[] | undefined {
    if (!this.root) return undefined;
    // Verified edges first: from one state, a verified edge is taken before a prediction.
    const edges = [...this.edges.values()].filter((edge) => this.navigable(edge));
    for (const node of this.nodes.values()) {
      for (const action of node.actions) {
        if (this.edgeFor(node.id, action) || this.isFailing(action)) continue;
        const byScope = this.destinations.get(controlKey(action));
        const reached = byScope?.get('navigation');
        if (!byScope || reached?.size !== 1 || byScope.has(`in-place:${routeOf(node.url) ?? ''}`)) continue;
        const to = [...reached][0];
        const target = this.nodes.get(to);
        if (!target || to === node.id) continue;
        // What the same control did where it was tried: its settle time and, from here, its effect.
        const known = [...this.edges.values()].find((edge) => edge.to === to && controlKey(edge.action) === controlKey(action));
        const effect = effectOf(node, target, action);
        edges.push({ id: `predicted:${node.id}:${actionKey(action)}`, from: node.id, to, action, result: 'known', attempts: 0, confirmations: 0, inconsistent: false, ...(effect ? { effect } : {}), ...(known?.settleMs !== undefined ? { settleMs: known.settleMs } : {}) });
      }
    }
    return fewestSteps(edges, this.root, nodeId);
  }

  /** A path from the root, preferring verified edges, used for replay and skills. */
  pathFromRoot(nodeId: string): GraphEdge[] {
    if (!this.root) return [];
    return this.shortestPath(this.root, nodeId, { guesses: false }) ?? this.prefix(nodeId);
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

/** Whether a link leads to another web origin than the page's (false when either is missing or not http(s)). */
function offSite(href: string | undefined, page: string | undefined): boolean {
  try {
    const [link, here] = [new URL(href as string), new URL(page as string)];
    return /^https?:$/.test(link.protocol) && /^https?:$/.test(here.protocol) && link.origin !== here.origin;
  } catch {
    return false;
  }
}

/** Whether two addresses share an origin (false when either is missing or bad). */
function sameOrigin(a: string | undefined, b: string | undefined): boolean {
  try {
    return Boolean(a && b) && new URL(a as string).origin === new URL(b as string).origin;
  } catch {
    return false;
  }
}

/** The path of fewest edges from one node to another over the given edges (breadth-first), or undefined. */
export function fewestSteps(edges: readonly GraphEdge[], from: string, to: string): GraphEdge[] | undefined {
  const outgoing = new Map<string, GraphEdge[]>();
  for (const edge of edges) if (edge.to !== undefined) outgoing.set(edge.from, [...(outgoing.get(edge.from) ?? []), edge]);
  const previous = new Map<string, GraphEdge>();
  const queue = [from];
  const seen = new Set(queue);
  while (queue.length && !seen.has(to)) {
    const at = queue.shift() as string;
    for (const edge of outgoing.get(at) ?? []) {
      if (seen.has(edge.to as string)) continue;
      seen.add(edge.to as string);
      previous.set(edge.to as string, edge);
      queue.push(edge.to as string);
    }
  }
  if (!seen.has(to)) return undefined;
  const path: GraphEdge[] = [];
  for (let at = to; at !== from; ) {
    const edge = previous.get(at) as GraphEdge;
    path.unshift(edge);
    at = edge.from;
  }
  return path;
}

export function publicNode(node: NodeRecord): GraphNode {
  const { actions: _actions, triedKeys: _tried, cues: _cues, dialogs: _dialogs, ...rest } = node;
  return { ...rest };
}

export type { Strategy };
