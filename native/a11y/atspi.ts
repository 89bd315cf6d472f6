import { withDeadline } from '../../core/abort.ts';
import { SkillframeError } from '../../core/errors.ts';
import { rectContains } from '../../core/geometry.ts';
import type { Rect } from '../../core/schemas/trajectory.ts';
import { cleanName, defaultLimits, type Accessibility, type AccessibleApp, type AccessibleEvent, type AccessibleNode, type AccessiblePathStep, type AccessibleRef, type AccessibleTree, type AccessibilityWarning, type WalkLimits } from './a11y.ts';

type DbusModule = typeof import('dbus-next');
type MessageBus = import('dbus-next').MessageBus;

const ACCESSIBLE = 'org.a11y.atspi.Accessible';
const COMPONENT = 'org.a11y.atspi.Component';
const ACTION = 'org.a11y.atspi.Action';
const TEXT = 'org.a11y.atspi.Text';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const REGISTRY: AccessibleRef = { bus: 'org.a11y.atspi.Registry', path: '/org/a11y/atspi/accessible/root' };
const NULL_PATH = '/org/a11y/atspi/null';
const eventInterface = 'org.a11y.atspi.Event.';
const eventFamilies = ['Object', 'Window', 'Focus'];
/** The events replay waits on: a state, a text, the children, a name changed; a window came or went; the focus moved. */
const listenedEvents = ['object:state-changed', 'object:text-changed', 'object:children-changed', 'object:property-change:accessible-name', 'window:create', 'window:destroy', 'window:activate', 'focus:'];
/** Screen coordinates (ATSPI_COORD_TYPE_SCREEN). */
const SCREEN = 0;

/**
 * AtspiRole in enum order (at-spi2-core's atspi-constants.h), named as libatspi names them (the
 * enum nick with spaces): toolkits' own GetRoleName strings differ ("statusbar" vs "status bar"),
 * the numbers do not.
 */
const roleNames = [
  'invalid', 'accelerator label', 'alert', 'animation', 'arrow', 'calendar', 'canvas', 'check box',
  'check menu item', 'color chooser', 'column header', 'combo box', 'date editor', 'desktop icon',
  'desktop frame', 'dial', 'dialog', 'directory pane', 'drawing area', 'file chooser', 'filler',
  'focus traversable', 'font chooser', 'frame', 'glass pane', 'html container', 'icon', 'image',
  'internal frame', 'label', 'layered pane', 'list', 'list item', 'menu', 'menu bar', 'menu item',
  'option pane', 'page tab', 'page tab list', 'panel', 'password text', 'popup menu', 'progress bar',
  'push button', 'radio button', 'radio menu item', 'root pane', 'row header', 'scroll bar', 'scroll pane',
  'separator', 'slider', 'spin button', 'split pane', 'status bar', 'table', 'table cell',
  'table column header', 'table row header', 'tearoff menu item', 'terminal', 'text', 'toggle button',
  'tool bar', 'tool tip', 'tree', 'tree table', 'unknown', 'viewport', 'window', 'extended', 'header',
  'footer', 'paragraph', 'ruler', 'application', 'autocomplete', 'editbar', 'embedded', 'entry', 'chart',
  'caption', 'document frame', 'heading', 'page', 'section', 'redundant object', 'form', 'link',
  'input method window', 'table row', 'tree item', 'document spreadsheet', 'document presentation',
  'document text', 'document web', 'document email', 'comment', 'list box', 'grouping', 'image map',
  'notification', 'info bar', 'level bar', 'title bar', 'block quote', 'audio', 'video', 'definition',
  'article', 'landmark', 'log', 'marquee', 'math', 'rating', 'timer', 'static', 'math fraction', 'math root',
  'subscript', 'superscript', 'description list', 'description term', 'description value', 'footnote',
  'content deletion', 'content insertion', 'mark', 'suggestion', 'push button menu',
];

/** AtspiStateType, in enum order (at-spi2-core's atspi-constants.h). */
const stateNames = [
  'invalid', 'active', 'armed', 'busy', 'checked', 'collapsed', 'defunct', 'editable', 'enabled', 'expandable',
  'expanded', 'focusable', 'focused', 'has-tooltip', 'horizontal', 'iconified', 'modal', 'multi-line', 'multiselectable', 'opaque',
  'pressed', 'resizable', 'selectable', 'selected', 'sensitive', 'showing', 'single-line', 'stale', 'transient', 'vertical',
  'visible', 'manages-descendants', 'indeterminate', 'required', 'truncated', 'animated', 'invalid-entry', 'supports-autocompletion', 'selectable-text', 'is-default',
  'visited', 'checkable', 'has-popup', 'read-only',
];

export function decodeStates(words: number[]): string[] {
  const out: string[] = [];
  for (const [word, bits] of words.slice(0, 2).entries()) {
    for (let bit = 0; bit < 32; bit += 1) {
      if ((bits >>> bit) & 1) {
        const name = stateNames[word * 32 + bit];
        if (name && name !== 'invalid') out.push(name);
      }
    }
  }
  return out;
}

/** The accessibility bus address, asked of the session bus (org.a11y.Bus), or undefined when there is none. */
export async function accessibilityBusAddress(env: NodeJS.ProcessEnv = process.env, timeoutMs = 3000): Promise<string | undefined> {
  if (env.AT_SPI_BUS_ADDRESS) return env.AT_SPI_BUS_ADDRESS;
  if (!env.DBUS_SESSION_BUS_ADDRESS) return undefined;
  const dbus = await loadDbus();
  const session = dbus.sessionBus({ busAddress: env.DBUS_SESSION_BUS_ADDRESS });
  session.on('error', () => undefined);
  try {
    const reply = await bounded(session.call(new dbus.Message({ destination: 'org.a11y.Bus', path: '/org/a11y/bus', interface: 'org.a11y.Bus', member: 'GetAddress' })), timeoutMs, 'org.a11y.Bus GetAddress');
    const address = reply?.body?.[0];
    return typeof address === 'string' && address ? address : undefined;
  } catch {
    return undefined;
  } finally {
    session.disconnect();
  }
}

/**
 * The AT-SPI client over D-Bus (dbus-next, pure JS). Connects to the accessibility bus named by the
 * session bus; throws `unavailable` when there is none (no session bus, no at-spi-bus-launcher).
 */
export async function openAtspi(options: { env?: NodeJS.ProcessEnv; callTimeoutMs?: number } = {}): Promise<Accessibility> {
  const env = options.env ?? process.env;
  const address = await accessibilityBusAddress(env);
  if (!address) throw new SkillframeError('unavailable', `no accessibility bus: ${env.DBUS_SESSION_BUS_ADDRESS ? 'the session bus has no org.a11y.Bus (start at-spi-bus-launcher)' : 'DBUS_SESSION_BUS_ADDRESS is not set'}`);
  const dbus = await loadDbus();
  const bus = dbus.sessionBus({ busAddress: address });
  let broken: Error | undefined;
  bus.on('error', (error: Error) => {
    broken = error;
  });
  // 5 s a call: a loaded machine answers slowly, a dead connection fails at once (it closes).
  const client = new AtspiClient(dbus, bus, options.callTimeoutMs ?? 5000, () => broken);
  // One call proves the bus answers (a stale address in the environment would hang every walk).
  await client.applications();
  return client;
}

async function loadDbus(): Promise<DbusModule> {
  const loaded = (await import('dbus-next')) as DbusModule & { default?: DbusModule };
  return loaded.default ?? loaded;
}

/** A D-Bus call that must answer within `ms`; past it, a coded `timeout` naming the call. */
function bounded<T>(pending: Promise<T>, ms: number, what: string): Promise<T> {
  return withDeadline(() => pending, { ms, what: `accessibility: ${what}` });
}

function variantValue(value: unknown): unknown {
  return value && typeof value === 'object' && 'value' in value ? (value as { value: unknown }).value : value;
}

function toRef(pair: unknown): AccessibleRef | undefined {
  if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') return undefined;
  if (pair[1] === NULL_PATH || !pair[0]) return undefined;
  return { bus: pair[0], path: pair[1] };
}

/** A visible node counts as showing where the toolkit reports "showing" on its windows only (GTK 4). */
export function withShowing(states: string[], visibleMeansShowing: boolean): string[] {
  return visibleMeansShowing && states.includes('visible') && !states.includes('showing') ? [...states, 'showing'] : states;
}

function key(ref: AccessibleRef): string {
  return `${ref.bus}${ref.path}`;
}

class AtspiClient implements Accessibility {
  private disposed = false;
  private readonly listeners = new Set<(event: AccessibleEvent) => void>();
  private subscribed: Promise<void> | undefined;
  constructor(
    private readonly dbus: DbusModule,
    private readonly bus: MessageBus,
    private readonly callTimeoutMs: number,
    private readonly broken: () => Error | undefined,
  ) {}

  private async call(ref: AccessibleRef, iface: string, member: string, signature?: string, body?: unknown[]): Promise<unknown[]> {
    if (this.disposed) throw new SkillframeError('unavailable', 'accessibility: the client was disposed');
    const failure = this.broken();
    if (failure) throw new SkillframeError('unavailable', `accessibility bus connection lost: ${failure.message}`);
    const message = new this.dbus.Message({ destination: ref.bus, path: ref.path, interface: iface, member, ...(signature ? { signature, body } : {}) });
    try {
      const reply = await bounded(this.bus.call(message), this.callTimeoutMs, `${member} on ${ref.bus}${ref.path}`);
      return reply?.body ?? [];
    } catch (error) {
      if (error instanceof SkillframeError) throw error;
      const text = (error as Error).message ?? String(error);
      throw new SkillframeError(/UnknownObject|UnknownMethod|ServiceUnknown|NoReply|Disconnected/i.test(`${(error as { type?: string }).type ?? ''} ${text}`) ? 'not_found' : 'unavailable', `accessibility: ${member} on ${ref.bus}${ref.path}: ${text}`);
    }
  }

  /** Per bus: whether its toolkit leaves "showing" off below its windows (see `showingOf`). */
  private readonly visibleMeansShowing = new Map<string, Promise<boolean>>();

  /**
   * GTK 4 (4.8, measured on gnome-text-editor under Xvfb) sets "showing" on its windows only: every
   * widget inside says "visible" and no more, and a closed popover is not in the tree at all. Read
   * as they come, nothing inside a GTK 4 window was on screen: its header-bar buttons were never
   * hit-tested (the ≡ menu recorded as the window), its open menu's items never read, and replay's
   * a11y rung resolved nothing. For such a toolkit a visible node is showing (its windows still say
   * whether they are; the walks start from showing windows).
   */
  private showingOf(bus: string): Promise<boolean> {
    let known = this.visibleMeansShowing.get(bus);
    if (!known) {
      const root = { bus, path: '/org/a11y/atspi/accessible/root' };
      known = Promise.all([this.property(root, 'org.a11y.atspi.Application', 'ToolkitName'), this.property(root, 'org.a11y.atspi.Application', 'Version')]).then(
        ([toolkit, version]) => toolkit === 'GTK' && Number(String(version).split('.')[0]) >= 4,
        () => false,
      );
      this.visibleMeansShowing.set(bus, known);
    }
    return known;
  }

  private async property(ref: AccessibleRef, iface: string, name: string): Promise<unknown> {
    const [value] = await this.call(ref, PROPERTIES, 'Get', 'ss', [iface, name]);
    return variantValue(value);
  }

  async applications(): Promise<AccessibleApp[]> {
    const [children] = await this.call(REGISTRY, ACCESSIBLE, 'GetChildren');
    const refs = (Array.isArray(children) ? children : []).map(toRef).filter((ref): ref is AccessibleRef => Boolean(ref));
    const apps = await Promise.all(
      refs.map(async (ref): Promise<AccessibleApp | undefined> => {
        try {
          const [name, childCount, toolkit, pid] = await Promise.all([
            this.property(ref, ACCESSIBLE, 'Name'),
            this.property(ref, ACCESSIBLE, 'ChildCount'),
            this.property(ref, 'org.a11y.atspi.Application', 'ToolkitName').catch(() => undefined),
            this.call({ bus: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus' }, 'org.freedesktop.DBus', 'GetConnectionUnixProcessID', 's', [ref.bus]).then((body) => body[0]).catch(() => undefined),
          ]);
          return { ref, name: cleanName(name), childCount: Number(childCount) || 0, ...(typeof toolkit === 'string' && toolkit ? { toolkit } : {}), ...(typeof pid === 'number' ? { pid } : {}) };
        } catch {
          return undefined; // an app that died between the listing and the question
        }
      }),
    );
    return apps.filter((app): app is AccessibleApp => Boolean(app));
  }

  async node(ref: AccessibleRef, index?: number): Promise<AccessibleNode> {
    // Properties one by one: Qt answers Get but not GetAll. They go out together, so it costs no round trip.
    const [name, description, childCount, roleBody, stateBody, interfaceBody, extentsBody, visibleMeansShowing] = await Promise.all([
      this.property(ref, ACCESSIBLE, 'Name'),
      this.property(ref, ACCESSIBLE, 'Description').catch(() => ''),
      this.property(ref, ACCESSIBLE, 'ChildCount'),
      this.call(ref, ACCESSIBLE, 'GetRole'),
      this.call(ref, ACCESSIBLE, 'GetState'),
      this.call(ref, ACCESSIBLE, 'GetInterfaces'),
      // Asked together with the rest (nearly everything is a Component): one round trip per node.
      this.call(ref, COMPONENT, 'GetExtents', 'u', [SCREEN]).catch(() => [undefined]),
      this.showingOf(ref.bus),
    ]);
    const interfaces = (Array.isArray(interfaceBody[0]) ? (interfaceBody[0] as string[]) : []).map((name) => name.replace(/^org\.a11y\.atspi\./, ''));
    let extents: Rect | undefined;
    const box = extentsBody[0];
    if (interfaces.includes('Component') && Array.isArray(box) && box.length === 4) extents = { x: Number(box[0]), y: Number(box[1]), width: Number(box[2]), height: Number(box[3]) };
    const resolvedIndex = index ?? Number((await this.call(ref, ACCESSIBLE, 'GetIndexInParent').catch(() => [0]))[0]) ?? 0;
    return {
      ref,
      role: roleNames[Number(roleBody[0])] ?? cleanName(await this.call(ref, ACCESSIBLE, 'GetRoleName').then((body) => body[0]).catch(() => 'unknown'), 100),
      name: cleanName(name),
      description: cleanName(description),
      states: withShowing(decodeStates(Array.isArray(stateBody[0]) ? (stateBody[0] as number[]) : []), visibleMeansShowing),
      ...(extents ? { extents } : {}),
      index: Math.max(0, resolvedIndex),
      childCount: Math.max(0, Number(childCount) || 0),
      interfaces,
      children: [],
    };
  }

  async children(ref: AccessibleRef, max = 500): Promise<AccessibleNode[]> {
    const refs = await this.childRefs(ref, max);
    if (refs.length > max) throw new SkillframeError('refused', `accessibility: ${ref.bus}${ref.path} has ${refs.length} children (more than ${max}): skipped`);
    const nodes = await Promise.all(refs.slice(0, max).map((child, index) => this.node(child, index).catch((error: SkillframeError) => (error.code === 'timeout' ? Promise.reject(error) : undefined))));
    return nodes.filter((node): node is AccessibleNode => Boolean(node));
  }

  async listen(onEvent: (event: AccessibleEvent) => void): Promise<() => void> {
    this.subscribed ??= this.subscribe().catch((error) => {
      this.subscribed = undefined;
      throw error;
    });
    await this.subscribed;
    this.listeners.add(onEvent);
    return () => void this.listeners.delete(onEvent);
  }

  /**
   * Asks the bus for the apps' event signals and tells the registry which events someone listens
   * to: toolkit bridges (GTK's atk-bridge, Qt) send only events that a listener registered.
   */
  private async subscribe(): Promise<void> {
    const daemon: AccessibleRef = { bus: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus' };
    for (const family of eventFamilies) await this.call(daemon, 'org.freedesktop.DBus', 'AddMatch', 's', [`type='signal',interface='org.a11y.atspi.Event.${family}'`]);
    const registry: AccessibleRef = { bus: 'org.a11y.atspi.Registry', path: '/org/a11y/atspi/registry' };
    await Promise.all(listenedEvents.map((event) => this.call(registry, 'org.a11y.atspi.Registry', 'RegisterEvent', 's', [event]).catch(() => undefined)));
    this.bus.on('message', (message: { type?: number; interface?: string; member?: string; sender?: string; path?: string; body?: unknown[] }) => {
      if (message.type !== this.dbus.MessageType.SIGNAL || !message.interface?.startsWith(eventInterface) || !message.sender) return;
      // AT-SPI events carry (detail, detail1, detail2, any_data): "focused" 1 for a state, "add" for children.
      const detail = typeof message.body?.[0] === 'string' ? cleanName(message.body[0], 100) : '';
      const value = Number(message.body?.[1]);
      const length = Number(message.body?.[2]);
      // A text change's any_data is the text inserted or removed (bounded: an event is no document).
      const data = variantValue(message.body?.[3]);
      const event: AccessibleEvent = {
        bus: message.sender,
        path: message.path ?? '',
        kind: `${message.interface.slice(eventInterface.length)}:${message.member ?? ''}`,
        ...(detail ? { detail } : {}),
        ...(Number.isFinite(value) ? { value } : {}),
        ...(Number.isFinite(length) ? { length } : {}),
        ...(typeof data === 'string' ? { data: data.slice(0, 1000) } : {}),
      };
      for (const listener of this.listeners) listener(event);
    });
  }

  async childLabels(ref: AccessibleRef, max = 500): Promise<{ ref: AccessibleRef; role: string; name: string; index: number }[]> {
    const refs = await this.childRefs(ref, max);
    if (refs.length > max) throw new SkillframeError('refused', `accessibility: ${ref.bus}${ref.path} has ${refs.length} children (more than ${max}): skipped`);
    const labels = await Promise.all(
      refs.map(async (child, index) => {
        try {
          const [roleBody, name] = await Promise.all([this.call(child, ACCESSIBLE, 'GetRole'), this.property(child, ACCESSIBLE, 'Name')]);
          const role = roleNames[Number(roleBody[0])] ?? cleanName(await this.call(child, ACCESSIBLE, 'GetRoleName').then((body) => body[0]).catch(() => 'unknown'), 100);
          return { ref: child, role, name: cleanName(name), index };
        } catch (error) {
          if ((error as SkillframeError).code === 'timeout') throw error;
          return undefined; // a child that went away between the listing and the question
        }
      }),
    );
    return labels.filter((label): label is NonNullable<typeof label> => Boolean(label));
  }

  private async childRefs(ref: AccessibleRef, childCount: number): Promise<AccessibleRef[]> {
    try {
      const [children] = await this.call(ref, ACCESSIBLE, 'GetChildren');
      if (Array.isArray(children)) return children.map(toRef).filter((child): child is AccessibleRef => Boolean(child));
    } catch (error) {
      if ((error as SkillframeError).code === 'timeout') throw error;
    }
    // Toolkits without GetChildren: one at a time.
    const out: AccessibleRef[] = [];
    for (let index = 0; index < childCount; index += 1) {
      const [child] = await this.call(ref, ACCESSIBLE, 'GetChildAtIndex', 'i', [index]);
      const childRef = toRef(child);
      if (childRef) out.push(childRef);
    }
    return out;
  }

  async tree(root: AccessibleRef, limits: WalkLimits = {}): Promise<AccessibleTree> {
    const bounds = { ...defaultLimits, ...limits };
    const deadline = Date.now() + bounds.timeoutMs;
    const warnings: AccessibilityWarning[] = [];
    const seen = new Set<string>([key(root)]);
    let count = 1;
    const rootNode = await this.node(root);
    // Breadth first, one level at a time with its calls in parallel: depth costs round trips,
    // width costs nothing extra.
    let level: { node: AccessibleNode; depth: number }[] = [{ node: rootNode, depth: 0 }];
    let cycleWarned = false;
    while (level.length) {
      if (Date.now() > deadline) throw new SkillframeError('timeout', `accessibility tree of ${root.bus} took over ${bounds.timeoutMs} ms (${count} nodes read): skipped`);
      const next: { node: AccessibleNode; depth: number }[] = [];
      const expandable = level.filter(({ node, depth }) => node.childCount > 0 && (!bounds.showingOnly || depth === 0 || node.states.includes('showing')));
      // A node claiming more children than the walk may read is refused before they are asked for.
      const claimed = expandable.reduce((sum, { node }) => sum + node.childCount, count);
      if (claimed > bounds.maxNodes) throw new SkillframeError('refused', `accessibility tree of ${root.bus} has more than ${bounds.maxNodes} nodes: skipped`);
      const childLists = await Promise.all(expandable.map(({ node }) => this.childRefs(node.ref, Math.min(node.childCount, bounds.maxNodes))));
      const reads: Promise<void>[] = [];
      for (const [position, { node, depth }] of expandable.entries()) {
        if (depth + 1 > bounds.maxDepth) {
          warnings.push({ code: 'refused', message: `accessibility tree of ${root.bus} deeper than ${bounds.maxDepth} levels: cut at ${JSON.stringify(node.name || node.role)}` });
          continue;
        }
        const refs = childLists[position];
        const slots: (AccessibleNode | undefined)[] = new Array(refs.length).fill(undefined);
        for (const [index, childRef] of refs.entries()) {
          if (seen.has(key(childRef))) {
            if (!cycleWarned) warnings.push({ code: 'refused', message: `accessibility tree of ${root.bus} has a cycle or a shared node at ${childRef.path}: not walked twice` });
            cycleWarned = true;
            continue;
          }
          seen.add(key(childRef));
          count += 1;
          if (count > bounds.maxNodes) throw new SkillframeError('refused', `accessibility tree of ${root.bus} has more than ${bounds.maxNodes} nodes: skipped`);
          reads.push(
            this.node(childRef, index).then(
              (child) => {
                slots[index] = child;
                next.push({ node: child, depth: depth + 1 });
              },
              (error: SkillframeError) => {
                // A node that vanished mid-walk (a menu closing) is not a broken tree; a timeout is.
                if (error.code === 'timeout') throw error;
              },
            ),
          );
        }
        // Children are attached after their reads settle, in index order.
        node.children = slots as AccessibleNode[];
      }
      await Promise.all(reads);
      for (const { node } of expandable) node.children = node.children.filter(Boolean);
      level = next;
    }
    return { root: rootNode, nodeCount: count, warnings };
  }

  async nodeAt(app: AccessibleRef, point: { x: number; y: number }): Promise<AccessibleNode | undefined> {
    // The top-level windows of the app that contain the point; a popup menu is smaller than the
    // frame under it, so the smallest showing window wins.
    const windows = await Promise.all((await this.childRefs(app, 64)).map((ref, index) => this.node(ref, index).catch(() => undefined)));
    const containing = windows
      .filter((window): window is AccessibleNode => Boolean(window && window.states.includes('showing') && window.extents && rectContains(window.extents, point)))
      .sort((a, b) => area(a.extents as Rect) - area(b.extents as Rect));
    const window = containing[0];
    if (!window) return undefined;
    let current = window;
    const seen = new Set<string>([key(window.ref)]);
    for (let depth = 0; depth < 64; depth += 1) {
      const next = await this.childAt(current, point, seen);
      if (!next) break;
      current = next;
    }
    return current;
  }

  /**
   * One level down towards the point: the toolkit's own hit test first; where it has none (GTK
   * notebooks answer nothing below the tab list), the smallest showing child containing the point,
   * looking through children without extents (a notebook page reports -1s) one level further.
   */
  private async childAt(parent: AccessibleNode, point: { x: number; y: number }, seen: Set<string>): Promise<AccessibleNode | undefined> {
    if (parent.interfaces.includes('Component')) {
      const [child] = await this.call(parent.ref, COMPONENT, 'GetAccessibleAtPoint', 'iiu', [Math.round(point.x), Math.round(point.y), SCREEN]).catch(() => [undefined]);
      const childRef = toRef(child);
      if (childRef && !seen.has(key(childRef))) {
        const next = await this.node(childRef).catch(() => undefined);
        if (next?.extents && rectContains(next.extents, point)) {
          seen.add(key(childRef));
          return next;
        }
      }
    }
    if (parent.childCount === 0 || parent.childCount > 200) return undefined;
    const children = (await Promise.all((await this.childRefs(parent.ref, parent.childCount)).map((ref, index) => (seen.has(key(ref)) ? undefined : this.node(ref, index).catch(() => undefined))))).filter(
      (child): child is AccessibleNode => Boolean(child && child.states.includes('showing')),
    );
    const hits = children.filter((child) => child.extents && child.extents.width > 1 && rectContains(child.extents, point)).sort((a, b) => area(a.extents as Rect) - area(b.extents as Rect));
    if (hits[0]) {
      seen.add(key(hits[0].ref));
      return hits[0];
    }
    for (const child of children.filter((candidate) => !candidate.extents || candidate.extents.width <= 1)) {
      seen.add(key(child.ref));
      const below = await this.childAt(child, point, seen);
      if (below) return below;
    }
    return undefined;
  }

  async pathOf(ref: AccessibleRef): Promise<AccessiblePathStep[]> {
    const steps: AccessiblePathStep[] = [];
    let current: AccessibleRef | undefined = ref;
    const seen = new Set<string>();
    for (let depth = 0; current && depth < 64; depth += 1) {
      if (seen.has(key(current))) throw new SkillframeError('refused', `accessibility: the parents of ${ref.path} form a cycle`);
      seen.add(key(current));
      const node = await this.node(current);
      if (node.role === 'application') return steps.reverse();
      steps.push({ role: node.role, name: node.name, index: node.index });
      current = toRef(await this.property(current, ACCESSIBLE, 'Parent'));
    }
    return steps.reverse();
  }

  async actions(ref: AccessibleRef): Promise<string[]> {
    const [list] = await this.call(ref, ACTION, 'GetActions').catch(() => [[]]);
    return (Array.isArray(list) ? list : []).map((entry) => cleanName(Array.isArray(entry) ? entry[0] : '', 60));
  }

  async doAction(ref: AccessibleRef, action: string | number): Promise<boolean> {
    const index = typeof action === 'number' ? action : (await this.actions(ref)).indexOf(action);
    if (index < 0) throw new SkillframeError('not_found', `accessibility: ${ref.path} has no action ${JSON.stringify(action)}`);
    const [done] = await this.call(ref, ACTION, 'DoAction', 'i', [index]);
    return done === true;
  }

  async grabFocus(ref: AccessibleRef): Promise<boolean> {
    const [done] = await this.call(ref, COMPONENT, 'GrabFocus');
    return done === true;
  }

  async text(ref: AccessibleRef, maxChars = 100_000): Promise<string | undefined> {
    try {
      const count = Number(await this.property(ref, TEXT, 'CharacterCount'));
      const [text] = await this.call(ref, TEXT, 'GetText', 'ii', [0, Math.min(Number.isFinite(count) ? count : 0, maxChars)]);
      return typeof text === 'string' ? text : undefined;
    } catch {
      return undefined;
    }
  }

  async textState(ref: AccessibleRef, maxChars = 100_000): Promise<{ text: string; caret: number } | undefined> {
    try {
      const [count, caret] = await Promise.all([this.property(ref, TEXT, 'CharacterCount'), this.property(ref, TEXT, 'CaretOffset')]);
      const [text] = await this.call(ref, TEXT, 'GetText', 'ii', [0, Math.min(Number.isFinite(Number(count)) ? Number(count) : 0, maxChars)]);
      return typeof text === 'string' && Number.isInteger(Number(caret)) ? { text, caret: Number(caret) } : undefined;
    } catch {
      return undefined;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.bus.disconnect();
  }
}

function area(rect: Rect): number {
  return rect.width * rect.height;
}
