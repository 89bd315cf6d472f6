import { SkillframeError } from '../../core/errors.ts';
import type { AccessibleTarget, Rect, WindowInfo } from '../../core/schemas/trajectory.ts';
import {
  actionableNodes,
  ensureAccessibilityBus,
  openAtspi,
  usableExtents,
  walkNodes,
  withAccessibility,
  type Accessibility,
  type AccessibilityBus,
  type AccessibilityWarning,
  type AccessibleApp,
  type AccessibleNode,
  type AccessiblePathStep,
  type AccessibleRef,
  type ActionableNode,
  type WalkLimits,
} from '../../native/a11y/index.ts';

import { focusProbe } from './replay/focus-probe.ts';
import type { AccessibilityProbe } from './replay/surface.ts';
import { sleep } from '../../core/abort.ts';
import type { Point } from '../../core/geometry.ts';

/**
 * The accessibility tree as record, replay and explore use it on X11: one session per run, the
 * recorded target (role, name, path from the application root) described and resolved again.
 */

export interface AccessibilitySession {
  /** Undefined when there is no usable accessibility bus: the visual rungs carry on alone. */
  client?: Accessibility;
  /** The environment to launch apps with (the private bus, when one was started, and the switches). */
  env: NodeJS.ProcessEnv;
  /** Why there is no client — reported once by whoever opened the session. */
  warning?: AccessibilityWarning;
  dispose(): Promise<void>;
}

/**
 * Opens the accessibility bus of `env`. When there is none and Skillframe is about to launch the
 * app itself (`startBus`), a private session bus and at-spi-bus-launcher are started so the app
 * exposes its tree; otherwise the session carries a coded warning and no client.
 */
export async function openAccessibility(env: NodeJS.ProcessEnv, options: { startBus?: boolean; client?: Accessibility } = {}): Promise<AccessibilitySession> {
  if (options.client) return { client: options.client, env: withAccessibility(env), dispose: async () => options.client?.dispose() };
  let bus: AccessibilityBus | undefined;
  let sessionEnv = withAccessibility(env);
  if (env.NO_AT_BRIDGE === '1') return { env: sessionEnv, warning: { code: 'unavailable', message: 'no accessibility tree: switched off (NO_AT_BRIDGE=1); X11 grounding uses the visual rungs only' }, dispose: async () => undefined };
  try {
    if (options.startBus) {
      bus = await ensureAccessibilityBus(env);
      sessionEnv = bus.env;
    }
    const client = await openAtspi({ env: sessionEnv });
    return {
      client,
      env: sessionEnv,
      dispose: async () => {
        client.dispose();
        await bus?.dispose();
      },
    };
  } catch (error) {
    await bus?.dispose().catch(() => undefined);
    const hint = options.startBus ? '' : ' (Skillframe starts a private bus for an app it launches itself: --app)';
    const message = `no accessibility tree: ${(error as Error).message}${hint}; X11 grounding uses the visual rungs only`;
    return { env: sessionEnv, warning: { code: error instanceof SkillframeError ? error.code : 'unavailable', message }, dispose: async () => undefined };
  }
}

/** The application that owns an X11 window: by process id, else by a top-level named like the window. */
export async function appForWindow(client: Accessibility, window: Pick<WindowInfo, 'pid' | 'title'>): Promise<AccessibleApp | undefined> {
  const apps = await client.applications();
  const byPid = apps.find((app) => window.pid !== undefined && app.pid === window.pid);
  if (byPid) return byPid;
  for (const app of apps.slice(0, 40)) {
    const windows = await client.children(app.ref, 64).catch(() => []);
    if (windows.some((top) => top.name && top.name === window.title.trim())) return app;
  }
  return undefined;
}

/** A node read earlier, with its path from the application when it was read then (it may be gone since). */
export type ReadNode = AccessibleNode & { pathFromApp?: AccessiblePathStep[] };

/**
 * The node under a screen point, described as the recorder stores it (undefined when the app has
 * nothing there). A popup menu drawn over the window is invisible to the toolkit's hit test from
 * the window (GTK and Qt both answer the text area under it), and by the time a click is reported
 * it has often closed: `popups` are the popup items read while the menu was open (`popupNodes`),
 * looked at first. `origin` is where the app's coordinates start on the screen (`appOrigin`): the
 * popups' extents are in the app's space too.
 */
export async function describeAt(client: Accessibility, app: AccessibleApp, point: Point, popups: readonly ReadNode[] = [], origin: Point = { x: 0, y: 0 }): Promise<{ target: AccessibleTarget; node: AccessibleNode } | undefined> {
  // The app's own space (GTK 4 answers in its window's, `appOrigin`); the extents stored go back to the screen's.
  const local = { x: point.x - origin.x, y: point.y - origin.y };
  const node: ReadNode | undefined = smallestContaining(popups, local) ?? (await client.nodeAt(app.ref, local));
  if (!node || node.role === 'application') return undefined;
  // A node read earlier may be gone by now (a web page's menu the click closed): its path as read then.
  const pathRead = client.pathOf(node.ref).catch((error) => node.pathFromApp ?? Promise.reject(error));
  const [fullPath, actions] = await Promise.all([pathRead, node.interfaces.includes('Action') ? client.actions(node.ref).catch(() => []) : Promise.resolve([])]);
  let path = fullPath;
  let role = node.role;
  let name = node.name;
  // Qt puts an unnamed filler (the viewport) inside its text areas: the text area is what was clicked.
  const parent = path[path.length - 2];
  if (['filler', 'unknown', 'viewport'].includes(node.role) && !node.name && parent && ['text', 'entry', 'paragraph', 'document text', 'terminal'].includes(parent.role)) {
    path = path.slice(0, -1);
    role = parent.role;
    name = parent.name;
  }
  const extents = usableExtents(node.extents);
  const target: AccessibleTarget = {
    version: 1,
    role,
    name,
    ...(node.description ? { description: node.description } : {}),
    states: node.states.slice(0, 64),
    ...(extents ? { extents: { ...extents, x: extents.x + origin.x, y: extents.y + origin.y } } : {}),
    path: path.slice(-64),
    ...(actions.length ? { actions: actions.filter(Boolean).slice(0, 16) } : {}),
    app: { name: app.name, ...(app.toolkit ? { toolkit: app.toolkit } : {}) },
  };
  return { target, node };
}

function smallestContaining(nodes: readonly ReadNode[], point: { x: number; y: number }): ReadNode | undefined {
  let best: ReadNode | undefined;
  for (const node of nodes) {
    const box = usableExtents(node.extents);
    if (!box || point.x < box.x || point.y < box.y || point.x >= box.x + box.width || point.y >= box.y + box.height) continue;
    if (!best || box.width * box.height < (best.extents as Rect).width * (best.extents as Rect).height) best = node;
  }
  return best;
}

/** Containers a menu can sit in; the walk for open menus goes through these only (not into text, tables, trees). */
const menuPathRoles = new Set(['application', 'frame', 'window', 'dialog', 'filler', 'panel', 'menu bar', 'menu', 'menu item', 'popup menu', 'tool bar', 'layered pane', 'root pane']);
const popupItemRoles = new Set(['menu', 'menu item', 'check menu item', 'radio menu item', 'tearoff menu item']);

/**
 * The items of the app's menus (menu bar and open menus) with their extents, read while they show:
 * the recorder reads them after each action so that the next press, which may close the menu before
 * it is reported, is described from what was on screen. Bounded in nodes and time. `from` starts
 * the walk at known menu bars (found by an earlier walk, returned in `menuBars`): two or three
 * round trips instead of the whole way down from the app on every action.
 */
export async function popupNodes(client: Accessibility, app: AccessibleApp, options: { from?: readonly AccessibleNode[]; maxNodes?: number; timeoutMs?: number } = {}): Promise<{ items: AccessibleNode[]; menuBars: AccessibleNode[] }> {
  const deadline = Date.now() + (options.timeoutMs ?? 3000);
  let budget = options.maxNodes ?? 600;
  const items: AccessibleNode[] = [];
  const menuBars: AccessibleNode[] = [];
  let level = options.from?.length ? [...options.from] : (await client.children(app.ref, 64)).filter((node) => node.states.includes('showing'));
  while (level.length && Date.now() < deadline && budget > 0) {
    budget -= level.length;
    items.push(...level.filter((node) => popupItemRoles.has(node.role) && node.states.includes('showing') && usableExtents(node.extents)));
    menuBars.push(...level.filter((node) => node.role === 'menu bar'));
    const deeper = level.filter((node) => node.states.includes('showing') && menuPathRoles.has(node.role) && node.childCount > 0 && node.childCount <= 200);
    level = (await Promise.all(deeper.map((node) => client.children(node.ref, 200).catch(() => [])))).flat();
  }
  return { items, menuBars };
}

/** The recorded accessible found by its path, but not on screen (its menu, panel or dialog is not open). */
export interface UnshownAccessible {
  unshown: AccessibleNode;
  reason: string;
}

export interface ResolvedAccessible {
  node: AccessibleNode;
  extents: Rect;
  confidence: number;
  how: 'path' | 'role+name';
  evidence: string;
}

/**
 * Finds the recorded accessible in the live tree: its path from the application root first (role
 * and name at each level; the recorded index decides between look-alike siblings), then role +
 * name among everything showing in the app's windows. Several matches that nothing tells apart are
 * refused, never guessed. Answers a sentence when it cannot resolve.
 */
export async function resolveAccessible(client: Accessibility, app: AccessibleApp, target: AccessibleTarget, options: { window?: Rect; limits?: WalkLimits } = {}): Promise<ResolvedAccessible | UnshownAccessible | string> {
  const reasons: string[] = [];
  const byPath = await followPath(client, app, target, options.window);
  let unshown: AccessibleNode | undefined;
  if (typeof byPath !== 'string') {
    const extents = usableExtents(byPath.node.extents);
    if (extents && byPath.node.states.includes('showing')) {
      return { node: byPath.node, extents, confidence: byPath.shifted ? 0.95 : 0.97, how: 'path', evidence: `accessible ${describeNode(byPath.node)} by its path${byPath.shifted ? ' (a sibling moved)' : ''}` };
    }
    reasons.push(`path: ${describeNode(byPath.node)} is not on screen`);
    if (!byPath.shifted) unshown = byPath.node;
  } else reasons.push(`path: ${byPath}`);

  // Role + name among what the app shows now (its windows, popup menus and dialogs).
  const tops = (await client.children(app.ref, 64)).filter((top) => top.states.includes('showing'));
  const matches: AccessibleNode[] = [];
  for (const top of tops) {
    const tree = await client.tree(top.ref, options.limits);
    for (const node of walkNodes(tree.root)) {
      if (node.role === target.role && node.name === target.name && node.states.includes('showing') && usableExtents(node.extents)) matches.push(node);
    }
  }
  if (matches.length === 1) {
    const node = matches[0];
    return { node, extents: usableExtents(node.extents) as Rect, confidence: target.name ? 0.93 : 0.85, how: 'role+name', evidence: `accessible ${describeNode(node)} by role and name (the path changed)` };
  }
  reasons.push(matches.length ? `role+name: ${matches.length} showing ${target.role} named ${JSON.stringify(target.name)} that nothing tells apart` : `role+name: no showing ${target.role} named ${JSON.stringify(target.name)}`);
  // The very node the recording hit is there, hidden, and nothing like it shows: not on screen.
  if (unshown && !matches.length) return { unshown, reason: reasons.join('; ') };
  return reasons.join('; ');
}

async function followPath(client: Accessibility, app: AccessibleApp, target: AccessibleTarget, window?: Rect): Promise<{ node: AccessibleNode; shifted: boolean } | string> {
  if (!target.path.length) return 'the recorded path is empty';
  let current = app.ref;
  let shifted = false;
  let found: AccessibleNode | undefined;
  let foundIndex = 0;
  for (const [depth, step] of target.path.entries()) {
    // Below the top, only role and name are compared: the cheap read where the client has one
    // (the node found at the end is read in full).
    const children: { ref: AccessibleRef; role: string; name: string; index: number; states?: string[]; extents?: Rect }[] = depth > 0 && client.childLabels ? await client.childLabels(current) : await client.children(current);
    let candidates = children.filter((child) => child.role === step.role && child.name === step.name);
    // A window's title changes as the user works ("*Untitled 1"): at the top, the showing window
    // of the recorded role over the replay's window stands in for it.
    if (depth === 0 && !candidates.length) candidates = children.filter((child) => child.role === step.role && child.states?.includes('showing') && (!window || overlaps(child.extents, window)));
    const atIndex = candidates.find((child) => child.index === step.index);
    const pick = atIndex ?? (candidates.length === 1 ? candidates[0] : undefined);
    if (!pick) return `level ${depth + 1} (${step.role} ${JSON.stringify(step.name)}): ${candidates.length ? `${candidates.length} look-alikes, none at index ${step.index}` : 'not found'}`;
    if (!atIndex) shifted = true;
    current = pick.ref;
    found = 'states' in pick && pick.states ? (pick as AccessibleNode) : undefined;
    foundIndex = pick.index;
  }
  const node = found ?? { ...(await client.node(current)), index: foundIndex };
  return { node, shifted };
}

function overlaps(extents: Rect | undefined, window: Rect): boolean {
  const box = usableExtents(extents);
  if (!box) return false;
  return box.x < window.x + window.width && window.x < box.x + box.width && box.y < window.y + window.height && window.y < box.y + box.height;
}

export function describeNode(node: { role: string; name: string }): string {
  return `${node.role} ${JSON.stringify(node.name)}`;
}

/**
 * The actionable nodes of an X11 window (buttons, menu items, tabs, text fields …) with their role,
 * name, screen extents and path: explore's candidate actions where the app exposes a tree. Popup
 * menus and dialogs of the app over the window are included. Empty when the app exposes nothing.
 */
export async function actionableInWindow(client: Accessibility, window: Pick<WindowInfo, 'pid' | 'title' | 'geometry'>, limits?: WalkLimits): Promise<ActionableNode[]> {
  const app = await appForWindow(client, window);
  if (!app) return [];
  // Extents on the screen: GTK 4 answers them in its window's own space (see appOrigin).
  const origin = await appOrigin(client, app, window);
  const onScreen = <T extends { extents?: Rect }>(node: T): T => onScreenFrom(node, origin);
  const tops = (await client.children(app.ref, 64)).filter((top) => top.states.includes('showing') && overlaps(onScreen(top).extents, window.geometry));
  const out: ActionableNode[] = [];
  for (const top of tops) {
    const tree = await client.tree(top.ref, limits);
    out.push(...actionableNodes(tree, [{ role: top.role, name: top.name, index: top.index }]).map(onScreen));
  }
  return out;
}

/** A node with its extents taken from the app's own space to the screen's (`origin`: see appOrigin). */
export function onScreenFrom<T extends { extents?: Rect }>(node: T, origin: Point): T {
  return node.extents && (origin.x || origin.y) ? { ...node, extents: { ...node.extents, x: node.extents.x + origin.x, y: node.extents.y + origin.y } } : node;
}

/**
 * Where the app's own coordinates start on the screen: (0, 0) for toolkits that report screen
 * positions. GTK 4 (4.8) reports its window's frame at (0, 0) wherever the window is, and answers
 * hit tests and extents in that space (measured on gnome-text-editor: its text view answered a
 * screen point taken as a point in its window, so a click elsewhere read as "the focused text
 * view"; its ≡ menu button was recorded with no accessible at all): its origin is the X window's,
 * inside the margin its client-side decorations leave around the frame. Record, replay and
 * verification each take points into this space and extents out of it.
 */
export async function appOrigin(client: Accessibility, app: AccessibleApp, window: Pick<WindowInfo, 'title' | 'geometry'>): Promise<Point> {
  const tops = await client.children(app.ref, 64);
  const frame = tops.find((top) => top.name && top.name === window.title.trim() && usableExtents(top.extents)) ?? tops.find((top) => top.states.includes('active') && usableExtents(top.extents));
  const extents = usableExtents(frame?.extents);
  const { geometry } = window;
  if (!extents || extents.x !== 0 || extents.y !== 0 || (geometry.x === 0 && geometry.y === 0)) return { x: 0, y: 0 };
  return { x: geometry.x + Math.max(0, (geometry.width - extents.width) / 2), y: geometry.y + Math.max(0, (geometry.height - extents.height) / 2) };
}

/**
 * The accessibility of one live app window for a run (replay, explore): the app is looked up when
 * first needed (its bridge registers a moment after the window maps), and the first bus failure
 * marks the tree dead for the rest of the run with one coded warning — later steps go straight to
 * the visual rungs instead of waiting on a dead bus again.
 */
export class WindowAccessibility implements AccessibilityProbe {
  private dead: string | undefined;
  private app: AccessibleApp | undefined;
  private readonly warningList: AccessibilityWarning[] = [];
  /** The node the app last reported focus or text activity on (see `textInUse`). */
  private lastTextActivity: AccessibleRef | undefined;
  private stopListening: (() => void) | undefined;
  private disposed = false;

  constructor(
    private readonly session: AccessibilitySession,
    private readonly window: () => Promise<Pick<WindowInfo, 'pid' | 'title' | 'geometry'> | undefined>,
  ) {
    if (session.warning) this.warningList.push(session.warning);
  }

  /** Coded warnings so far, each once. */
  get warnings(): readonly AccessibilityWarning[] {
    return this.warningList;
  }

  /** The client and the window's application, or why there is none. */
  async target(options: { waitMs?: number } = {}): Promise<{ client: Accessibility; app: AccessibleApp } | string> {
    const client = this.session.client;
    if (!client) return this.session.warning?.message ?? 'no accessibility bus';
    if (this.dead) return this.dead;
    const deadline = Date.now() + (options.waitMs ?? 1500);
    try {
      while (!this.app) {
        const window = await this.window();
        if (!window) return 'the window is gone';
        const app = await appForWindow(client, window);
        if (app && app.childCount > 0) {
          this.app = app;
          // Listening starts now, so the app's bridge sends its events by the first action (bridges
          // learn of new listeners a moment late); waits hear them (a11y-verify.ts). This listener
          // stays for the run: it follows which node the app says holds the focus or took text.
          const bus = app.ref.bus;
          void client
            .listen?.((event) => {
              if (event.bus !== bus) return;
              const focused = (event.kind === 'Object:StateChanged' && event.detail === 'focused' && event.value === 1) || event.kind === 'Focus:Focus';
              if (focused || event.kind === 'Object:TextChanged' || event.kind === 'Object:TextCaretMoved') this.lastTextActivity = { bus, path: event.path };
            })
            .then(
              (stop) => (this.disposed ? stop() : (this.stopListening = stop)),
              () => undefined,
            );
        }
        else if (Date.now() > deadline) return 'the app exposes no accessibility tree (toolkit without accessibility, or accessibility off)';
        else await sleep(150);
      }
      return { client, app: this.app };
    } catch (error) {
      return this.fail(error);
    }
  }

  /**
   * The node the app last reported taking the focus, moving its caret or changing its text (from
   * its own events since the app was first looked up): where a key's text goes, for replay to read
   * before and after the key (a11y-verify.ts watchKeyText). Undefined before any such event.
   */
  textInUse(): AccessibleRef | undefined {
    return this.lastTextActivity;
  }

  /** Records a failure of the bus or the app; answers the sentence the rung reports. */
  fail(error: unknown): string {
    const code = error instanceof SkillframeError ? error.code : 'internal';
    const message = (error as Error).message ?? String(error);
    if (code === 'unavailable' || code === 'timeout') {
      this.dead = `the accessibility bus stopped answering (${message}); visual rungs only from here`;
      this.warningList.push({ code, message: this.dead });
      return this.dead;
    }
    return `accessibility: ${message}`;
  }

  /** Verification's question (AccessibilityProbe): is the accessible at `point` focused? undefined: cannot tell. */
  async focusedAt(point: { x: number; y: number }): Promise<boolean | undefined> {
    const live = await this.target({ waitMs: 0 });
    if (typeof live === 'string') return undefined;
    // A bus that fails here fails the probe below too: that answer (undefined) stands.
    const origin = await this.origin().catch(() => ({ x: 0, y: 0 }));
    return focusProbe(live.client, live.app).focusedAt({ x: point.x - origin.x, y: point.y - origin.y });
  }

  /**
   * Where the app's own coordinates start on the screen (see `appOrigin`): the a11y rung adds it to
   * the extents it resolves, verification takes the point asked about into the app's space with it.
   */
  async origin(): Promise<Point> {
    const live = await this.target({ waitMs: 0 });
    if (typeof live === 'string') return { x: 0, y: 0 };
    const window = await this.window();
    return window ? appOrigin(live.client, live.app, window) : { x: 0, y: 0 };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.stopListening?.();
    await this.session.dispose();
  }
}
