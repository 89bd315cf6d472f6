import type { ErrorCode } from '../../core/errors.ts';
import type { AccessiblePathStep, Rect } from '../../core/schemas/trajectory.ts';

export type { AccessiblePathStep };

/** Where an accessible lives: the D-Bus name of its application and its object path. */
export interface AccessibleRef {
  bus: string;
  path: string;
}

/** One accessible as read from the tree. Names are cleaned (no control characters, trimmed). */
export interface AccessibleNode {
  ref: AccessibleRef;
  /** AT-SPI role name (not localized), e.g. "push button", "menu item", "text". */
  role: string;
  name: string;
  description: string;
  /** State names: "focused", "checked", "showing", "visible", "enabled", "editable", … */
  states: string[];
  /** Screen extents; undefined when the toolkit reports none (closed menus report a sentinel). */
  extents?: Rect;
  /** Position among its parent's children. */
  index: number;
  childCount: number;
  /** AT-SPI interfaces it implements, short names: "Component", "Action", "Text", … */
  interfaces: string[];
  /** Filled by tree walks (bounded); empty for a single-node read. */
  children: AccessibleNode[];
}

export interface AccessibleApp {
  ref: AccessibleRef;
  name: string;
  toolkit?: string;
  pid?: number;
  /** Top-level windows (frames, dialogs, popup menus) the application reports. */
  childCount: number;
}

/** A change an app announced itself (an AT-SPI event): who sent it, about which object, what kind. */
export interface AccessibleEvent {
  /** The app's connection on the accessibility bus (the `bus` of its refs). */
  bus: string;
  path: string;
  /** e.g. "Object:StateChanged", "Window:Create", "Focus:Focus". */
  kind: string;
  /** The event's detail: the state for a state change ("focused"), "add"/"remove" for children. */
  detail?: string;
  /** Its first number: 1 when a state was set, 0 when cleared; the child's index for children; where text went in or out. */
  value?: number;
  /** Its second number: for a text change, how many characters. */
  length?: number;
  /** A text change's text (what went in or out), as the app sent it, bounded. */
  data?: string;
}

/** A coded warning: the tree or bus could not be used as is, and what was done instead. */
export interface AccessibilityWarning {
  code: ErrorCode;
  message: string;
}

/** Bounds for a walk: a broken or huge tree must not hang or flood the caller. */
export interface WalkLimits {
  /** Most nodes read; a bigger tree is skipped (default 4000). */
  maxNodes?: number;
  /** Deepest level read (default 40). */
  maxDepth?: number;
  /** Whole walk (default 8 s). */
  timeoutMs?: number;
  /** Only descend into nodes that are showing (what is on screen). Default true. */
  showingOnly?: boolean;
}

export interface AccessibleTree {
  root: AccessibleNode;
  nodeCount: number;
  /** Cycles cut, depth cut: the walk went on around them. */
  warnings: AccessibilityWarning[];
}

/**
 * An accessibility tree client (AT-SPI on X11). Every call is bounded in time; a dead bus or an
 * app that stops answering throws a coded SkillframeError (`unavailable`, `timeout`), a tree over
 * the limits throws `refused` — callers fall back to the visual rungs.
 */
export interface Accessibility {
  /** Applications registered on the accessibility bus. */
  applications(): Promise<AccessibleApp[]>;
  /** A bounded walk from `root` (an application or one of its windows). */
  tree(root: AccessibleRef, limits?: WalkLimits): Promise<AccessibleTree>;
  /** One node re-read (states, extents, name), without children. */
  node(ref: AccessibleRef): Promise<AccessibleNode>;
  /** The node's direct children, each read (one level, no grandchildren); at most `max` (default 500). */
  children(ref: AccessibleRef, max?: number): Promise<AccessibleNode[]>;
  /**
   * The node's direct children by role and name only, with their index — what following a recorded
   * path compares at each level (two questions a child instead of a full read). Absent: `children`.
   */
  childLabels?(ref: AccessibleRef, max?: number): Promise<{ ref: AccessibleRef; role: string; name: string; index: number }[]>;
  /** The deepest accessible at a screen point within one application, or undefined. */
  nodeAt(app: AccessibleRef, point: { x: number; y: number }): Promise<AccessibleNode | undefined>;
  /** Role/name/index steps from the application root (excluded) to the node (included). */
  pathOf(ref: AccessibleRef): Promise<AccessiblePathStep[]>;
  /** Names of the node's actions (Action interface), in index order. */
  actions(ref: AccessibleRef): Promise<string[]>;
  /** Runs the named (or numbered) action; true when the toolkit accepted it. */
  doAction(ref: AccessibleRef, action: string | number): Promise<boolean>;
  grabFocus(ref: AccessibleRef): Promise<boolean>;
  /**
   * Hears the apps' own change events (states, text, children, windows, focus) as they come; answers
   * the function that stops listening. Absent where the client cannot: callers poll instead.
   */
  listen?(onEvent: (event: AccessibleEvent) => void): Promise<() => void>;
  /** The node's text (Text interface), bounded; undefined when it has none. */
  text(ref: AccessibleRef, maxChars?: number): Promise<string | undefined>;
  /** The node's text and where its caret is (a character offset), read together; undefined when it has no Text interface. */
  textState?(ref: AccessibleRef, maxChars?: number): Promise<{ text: string; caret: number } | undefined>;
  dispose(): void;
}

export const defaultLimits: Required<WalkLimits> = { maxNodes: 4000, maxDepth: 40, timeoutMs: 8000, showingOnly: true };

/**
 * Names as toolkits report them can carry control characters (a hostile or broken app), trailing
 * spaces (GTK menus) or be huge: one clean form for recording and matching.
 */
export function cleanName(raw: unknown, maxLength = 500): string {
  if (typeof raw !== 'string') return '';
  // eslint-disable-next-line no-control-regex
  return raw.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, maxLength);
}

/**
 * AT-SPI reports (-2147483648, -2147483648, 1, 1) or negative/zero sizes for things not on screen
 * (items of closed menus, hidden pages): those are no extents at all.
 */
export function usableExtents(extents: Rect | undefined): Rect | undefined {
  if (!extents) return undefined;
  if (extents.width <= 1 || extents.height <= 1) return undefined;
  if (extents.x <= -1_000_000 || extents.y <= -1_000_000 || extents.x >= 1_000_000 || extents.y >= 1_000_000) return undefined;
  return extents;
}

/** Accessibles that are a whole window, never a control to click (GTK 4's hit test answers its frame). */
export const topLevelRoles: ReadonlySet<string> = new Set(['application', 'frame', 'window', 'desktop frame']);

/** Roles a person acts on: candidates for explore, and what a click on X11 usually hits. */
export const actionableRoles: ReadonlySet<string> = new Set([
  'push button',
  'toggle button',
  'check box',
  'radio button',
  'menu item',
  'check menu item',
  'radio menu item',
  'menu',
  'page tab',
  'combo box',
  'text',
  'entry',
  'password text',
  'spin button',
  'slider',
  'link',
  'list item',
  'table cell',
  'tree item',
  'icon',
  'button',
]);

/** Every node of a tree, depth first. */
export function* walkNodes(node: AccessibleNode): Generator<AccessibleNode> {
  const stack: AccessibleNode[] = [node];
  while (stack.length) {
    const current = stack.pop() as AccessibleNode;
    yield current;
    for (let index = current.children.length - 1; index >= 0; index -= 1) stack.push(current.children[index]);
  }
}

/** What explore may try on a window: nodes a person acts on, enabled and showing, with extents. */
export interface ActionableNode {
  ref: AccessibleRef;
  role: string;
  name: string;
  states: string[];
  extents: Rect;
  actions?: string[];
  path: AccessiblePathStep[];
}

/** Whether the toolkit says a node takes input now (an insensitive button shows but does not). */
export function isEnabled(node: { states: readonly string[] }): boolean {
  return node.states.includes('enabled') || node.states.includes('sensitive');
}

/**
 * Lists the actionable nodes of a walked tree (a window's, usually): enabled, showing, on screen,
 * with their path from the root given. Pure: works on any tree (the real client's or a fake's).
 * `disabled: true` keeps the controls that show but take no input now as well (what a view shows
 * includes a greyed-out button).
 */
export function actionableNodes(tree: AccessibleTree, rootPath: AccessiblePathStep[] = [], options: { disabled?: boolean } = {}): ActionableNode[] {
  const out: ActionableNode[] = [];
  const visit = (node: AccessibleNode, path: AccessiblePathStep[]) => {
    const extents = usableExtents(node.extents);
    if (actionableRoles.has(node.role) && extents && (options.disabled || isEnabled(node)) && node.states.includes('showing')) {
      out.push({ ref: node.ref, role: node.role, name: node.name, states: node.states, extents, path });
    }
    for (const child of node.children) visit(child, [...path, { role: child.role, name: child.name, index: child.index }]);
  };
  visit(tree.root, rootPath);
  return out;
}
