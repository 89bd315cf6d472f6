import { SkillframeError } from '../../core/errors.ts';
import type { AccessibleTarget, Rect, WindowInfo } from '../../core/schemas/trajectory.ts';
import {
  accessibilityBusAddress,
  actionableNodes,
  openAtspi,
  startAccessibilityBus,
  usableExtents,
  walkNodes,
  withAccessibility,
  type Accessibility,
  type AccessibilityBus,
  type AccessibilityWarning,
  type AccessibleApp,
  type AccessibleNode,
  type ActionableNode,
  type WalkLimits,
} from '../../native/a11y/index.ts';

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
  try {
    if (options.startBus && !(await accessibilityBusAddress(env))) {
      bus = await startAccessibilityBus(env);
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
    const message = `no accessibility tree: ${(error as Error).message}; X11 grounding uses the visual rungs only`;
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

/** The node under a screen point, described as the recorder stores it (undefined when the app has nothing there). */
export async function describeAt(client: Accessibility, app: AccessibleApp, point: { x: number; y: number }): Promise<AccessibleTarget | undefined> {
  const node = await client.nodeAt(app.ref, point);
  if (!node || node.role === 'application') return undefined;
  const [path, actions] = await Promise.all([client.pathOf(node.ref), node.interfaces.includes('Action') ? client.actions(node.ref).catch(() => []) : Promise.resolve([])]);
  const extents = usableExtents(node.extents);
  return {
    version: 1,
    role: node.role,
    name: node.name,
    ...(node.description ? { description: node.description } : {}),
    states: node.states.slice(0, 64),
    ...(extents ? { extents } : {}),
    path: path.slice(-64),
    ...(actions.length ? { actions: actions.filter(Boolean).slice(0, 16) } : {}),
    app: { name: app.name, ...(app.toolkit ? { toolkit: app.toolkit } : {}) },
  };
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
export async function resolveAccessible(client: Accessibility, app: AccessibleApp, target: AccessibleTarget, options: { window?: Rect; limits?: WalkLimits } = {}): Promise<ResolvedAccessible | string> {
  const reasons: string[] = [];
  const byPath = await followPath(client, app, target, options.window);
  if (typeof byPath !== 'string') {
    const extents = usableExtents(byPath.node.extents);
    if (extents && byPath.node.states.includes('showing')) {
      return { node: byPath.node, extents, confidence: byPath.shifted ? 0.95 : 0.97, how: 'path', evidence: `accessible ${describeNode(byPath.node)} by its path${byPath.shifted ? ' (a sibling moved)' : ''}` };
    }
    reasons.push(`path: ${describeNode(byPath.node)} is not on screen`);
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
  return reasons.join('; ');
}

async function followPath(client: Accessibility, app: AccessibleApp, target: AccessibleTarget, window?: Rect): Promise<{ node: AccessibleNode; shifted: boolean } | string> {
  if (!target.path.length) return 'the recorded path is empty';
  let current = app.ref;
  let shifted = false;
  let found: AccessibleNode | undefined;
  for (const [depth, step] of target.path.entries()) {
    const children = await client.children(current);
    let candidates = children.filter((child) => child.role === step.role && child.name === step.name);
    // A window's title changes as the user works ("*Untitled 1"): at the top, the showing window
    // of the recorded role over the replay's window stands in for it.
    if (depth === 0 && !candidates.length) candidates = children.filter((child) => child.role === step.role && child.states.includes('showing') && (!window || overlaps(child.extents, window)));
    const atIndex = candidates.find((child) => child.index === step.index);
    const pick = atIndex ?? (candidates.length === 1 ? candidates[0] : undefined);
    if (!pick) return `level ${depth + 1} (${step.role} ${JSON.stringify(step.name)}): ${candidates.length ? `${candidates.length} look-alikes, none at index ${step.index}` : 'not found'}`;
    if (!atIndex) shifted = true;
    current = pick.ref;
    found = pick;
  }
  return { node: found as AccessibleNode, shifted };
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
  const tops = (await client.children(app.ref, 64)).filter((top) => top.states.includes('showing') && overlaps(top.extents, window.geometry));
  const out: ActionableNode[] = [];
  for (const top of tops) {
    const tree = await client.tree(top.ref, limits);
    out.push(...actionableNodes(tree, [{ role: top.role, name: top.name, index: top.index }]));
  }
  return out;
}
