import { SkillframeError } from '../../core/errors.ts';
import { rectContains } from '../../core/geometry.ts';
import type { Rect } from '../../core/schemas/trajectory.ts';
import { cleanName, defaultLimits, type Accessibility, type AccessibleApp, type AccessibleEvent, type AccessibleNode, type AccessiblePathStep, type AccessibleRef, type AccessibleTree, type WalkLimits } from './a11y.ts';

/** A node of a fake tree, as a test writes it. */
export interface FakeNodeSpec {
  role: string;
  name?: string;
  description?: string;
  states?: string[];
  extents?: Rect;
  actions?: string[];
  text?: string;
  /** Where the caret is in `text` (a character offset). */
  caret?: number;
  children?: FakeNodeSpec[];
}

interface FakeEntry {
  spec: FakeNodeSpec;
  parent?: string;
  index: number;
  app: string;
}

/**
 * An in-memory accessibility tree for unit tests of the rung logic and for fault injection
 * (`dead`: every call fails as a dead bus does). The real client is tested against real apps.
 */
export class FakeAccessibility implements Accessibility {
  dead = false;
  readonly calls: string[] = [];
  readonly performed: { path: string; action: string }[] = [];
  private entries = new Map<string, FakeEntry>();
  private readonly listeners = new Set<(event: AccessibleEvent) => void>();
  private apps: { ref: AccessibleRef; name: string; pid?: number; toolkit?: string }[] = [];

  /** Adds an application (role "application") whose children are its windows. */
  addApp(name: string, windows: FakeNodeSpec[], options: { pid?: number; toolkit?: string } = {}): AccessibleRef {
    const bus = `:fake.${this.apps.length + 1}`;
    const ref = { bus, path: '/root' };
    this.apps.push({ ref, name, ...options });
    this.register({ role: 'application', name, children: windows }, ref.path, undefined, 0, bus);
    return ref;
  }

  /** Replaces the app's windows (the UI changed: a menu opened, a dialog appeared). */
  setWindows(app: AccessibleRef, windows: FakeNodeSpec[]): void {
    for (const [path, entry] of [...this.entries]) if (entry.app === app.bus && path !== app.path) this.entries.delete(`${app.bus}${path}`);
    const root = this.entries.get(`${app.bus}${app.path}`) as FakeEntry;
    root.spec.children = windows;
    this.register(root.spec, app.path, undefined, 0, app.bus);
  }

  async listen(onEvent: (event: AccessibleEvent) => void): Promise<() => void> {
    this.listeners.add(onEvent);
    return () => void this.listeners.delete(onEvent);
  }

  /** The app sends an event about a node (after a test changed it), as a toolkit's bridge does. */
  announce(ref: AccessibleRef, kind = 'Object:StateChanged', details: Pick<AccessibleEvent, 'detail' | 'value' | 'length' | 'data'> = {}): void {
    for (const listener of this.listeners) listener({ bus: ref.bus, path: ref.path, kind, ...details });
  }

  /** Finds a node by role and name (first match), for tests that change its state. */
  find(role: string, name: string): { ref: AccessibleRef; spec: FakeNodeSpec } | undefined {
    for (const [id, entry] of this.entries) if (entry.spec.role === role && cleanName(entry.spec.name) === name) return { ref: { bus: entry.app, path: id.slice(entry.app.length) }, spec: entry.spec };
    return undefined;
  }

  private register(spec: FakeNodeSpec, path: string, parent: string | undefined, index: number, app: string): void {
    this.entries.set(`${app}${path}`, { spec, parent, index, app });
    (spec.children ?? []).forEach((child, position) => this.register(child, `${path}/${position}`, path, position, app));
  }

  private entry(ref: AccessibleRef): FakeEntry {
    this.calls.push(ref.path);
    if (this.dead) throw new SkillframeError('unavailable', 'accessibility bus connection lost: fake bus is dead');
    const entry = this.entries.get(`${ref.bus}${ref.path}`);
    if (!entry) throw new SkillframeError('not_found', `accessibility: no node ${ref.bus}${ref.path}`);
    return entry;
  }

  async applications(): Promise<AccessibleApp[]> {
    if (this.dead) throw new SkillframeError('unavailable', 'accessibility bus connection lost: fake bus is dead');
    return this.apps.map((app) => ({ ref: app.ref, name: app.name, childCount: this.entry(app.ref).spec.children?.length ?? 0, ...(app.pid ? { pid: app.pid } : {}), ...(app.toolkit ? { toolkit: app.toolkit } : {}) }));
  }

  async node(ref: AccessibleRef): Promise<AccessibleNode> {
    const { spec, index } = this.entry(ref);
    return {
      ref,
      role: spec.role,
      name: cleanName(spec.name),
      description: cleanName(spec.description),
      states: spec.states ?? ['enabled', 'sensitive', 'showing', 'visible'],
      ...(spec.extents ? { extents: spec.extents } : {}),
      index,
      childCount: spec.children?.length ?? 0,
      interfaces: ['Accessible', ...(spec.extents ? ['Component'] : []), ...(spec.actions?.length ? ['Action'] : []), ...(spec.text !== undefined ? ['Text'] : [])],
      children: [],
    };
  }

  async children(ref: AccessibleRef, max = 500): Promise<AccessibleNode[]> {
    const { spec } = this.entry(ref);
    const count = spec.children?.length ?? 0;
    if (count > max) throw new SkillframeError('refused', `accessibility: ${ref.bus}${ref.path} has ${count} children (more than ${max}): skipped`);
    return Promise.all((spec.children ?? []).map((_, index) => this.node({ bus: ref.bus, path: `${ref.path}/${index}` })));
  }

  /** As the AT-SPI client: role, name and index only (replay follows recorded paths through it). */
  async childLabels(ref: AccessibleRef, max = 500): Promise<{ ref: AccessibleRef; role: string; name: string; index: number }[]> {
    return (await this.children(ref, max)).map(({ ref: child, role, name, index }) => ({ ref: child, role, name, index }));
  }

  async tree(root: AccessibleRef, limits: WalkLimits = {}): Promise<AccessibleTree> {
    const bounds = { ...defaultLimits, ...limits };
    let count = 0;
    const visit = async (ref: AccessibleRef, depth: number): Promise<AccessibleNode> => {
      count += 1;
      if (count > bounds.maxNodes) throw new SkillframeError('refused', `accessibility tree of ${root.bus} has more than ${bounds.maxNodes} nodes: skipped`);
      const node = await this.node(ref);
      if (depth < bounds.maxDepth && (!bounds.showingOnly || depth === 0 || node.states.includes('showing'))) {
        for (let index = 0; index < node.childCount; index += 1) node.children.push(await visit({ bus: ref.bus, path: `${ref.path}/${index}` }, depth + 1));
      }
      return node;
    };
    const rootNode = await visit(root, 0);
    return { root: rootNode, nodeCount: count, warnings: [] };
  }

  async nodeAt(app: AccessibleRef, point: { x: number; y: number }): Promise<AccessibleNode | undefined> {
    const tree = await this.tree(app, { maxNodes: 100_000 });
    let best: AccessibleNode | undefined;
    const inside = (rect?: Rect) => rect && rectContains(rect, point);
    const visit = (node: AccessibleNode) => {
      if (node.role !== 'application' && inside(node.extents) && (!best || (node.extents as Rect).width * (node.extents as Rect).height <= (best.extents as Rect).width * (best.extents as Rect).height)) best = node;
      node.children.forEach(visit);
    };
    visit(tree.root);
    return best;
  }

  async pathOf(ref: AccessibleRef): Promise<AccessiblePathStep[]> {
    const steps: AccessiblePathStep[] = [];
    let path: string | undefined = ref.path;
    while (path) {
      const entry = this.entry({ bus: ref.bus, path });
      if (entry.spec.role === 'application') break;
      steps.push({ role: entry.spec.role, name: cleanName(entry.spec.name), index: entry.index });
      path = entry.parent;
    }
    return steps.reverse();
  }

  async actions(ref: AccessibleRef): Promise<string[]> {
    return this.entry(ref).spec.actions ?? [];
  }

  async doAction(ref: AccessibleRef, action: string | number): Promise<boolean> {
    const actions = this.entry(ref).spec.actions ?? [];
    const name = typeof action === 'number' ? actions[action] : action;
    if (!name || !actions.includes(name)) throw new SkillframeError('not_found', `accessibility: ${ref.path} has no action ${JSON.stringify(action)}`);
    this.performed.push({ path: ref.path, action: name });
    return true;
  }

  async grabFocus(ref: AccessibleRef): Promise<boolean> {
    this.performed.push({ path: ref.path, action: 'focus' });
    return true;
  }

  async text(ref: AccessibleRef): Promise<string | undefined> {
    return this.entry(ref).spec.text;
  }

  async textState(ref: AccessibleRef): Promise<{ text: string; caret: number } | undefined> {
    const { text, caret } = this.entry(ref).spec;
    return text === undefined ? undefined : { text, caret: caret ?? text.length };
  }

  dispose(): void {
    this.entries.clear();
  }
}
