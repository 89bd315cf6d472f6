import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SkillframeError } from '../../../core/index.ts';
import type { ExploreAction } from '../../../core/commands/explore.ts';
import type { InputDriver } from '../../../native/input/index.ts';
import type { ScreenSource } from '../../../native/screen/index.ts';
import type { LaunchedApp, WindowInfo, WindowSystem } from '../../../native/window/index.ts';
import type { Accessibility, ActionableNode } from '../../../native/a11y/index.ts';
import { isEnabled } from '../../../native/a11y/a11y.ts';
import { appOrigin, onScreenFrom } from '../accessibility.ts';
import type { ElementDetector } from '../../../perception/detect.ts';
import { pHash } from '../../../perception/hash.ts';
import { crop, encodePng, type Box, type RgbaImage } from '../../../native/image.ts';
import type { Ocr, OcrLine } from '../../../perception/ocr.ts';
import type { ActionOutcome, ExploreDriver } from './explorer.ts';
import type { Observation } from './graph.ts';
import { accessibleSelectorPrefix, hammingDistance, samePictureTolerance, signatureHash } from './identity.ts';
import { splitBlocked } from './safety.ts';

export interface X11DriverOptions {
  command: string;
  /** The display's environment (DISPLAY, XDG_RUNTIME_DIR); HOME is replaced by a throwaway one. */
  env?: NodeJS.ProcessEnv;
  allow?: RegExp;
  /** Most click targets taken from the detector per state. */
  maxTargets?: number;
  /** Read labels with OCR (once per state); off means detector boxes and grid probes only. */
  ocr?: boolean;
  /** Wait after an action before looking, ms. */
  settleMs?: number;
  /**
   * The accessibility tree client (AT-SPI), owned by the caller; `env` must then carry its bus.
   * With it, candidates are the app's actionable nodes (role, name, extents) and the state is the
   * window titles plus those nodes; without it (or when the app exposes no tree), pixels and OCR.
   */
  accessibility?: Accessibility;
}

/** Top-level roles that take the input while they are open. */
const dialogRoles = new Set(['dialog', 'alert', 'file chooser']);

/** The picture hash of every state read through the tree: there the tree alone tells states apart. */
const treePictureHash = '0'.repeat(16 * 9);

/**
 * Keys worth trying in a desktop app: F10 opens the menu bar; Escape closes what is open, so it is
 * offered only while a menu or a dialog is (the explorer reads a state offering Escape as one
 * that Escape leaves, for its ways back).
 */
const openMenuBar = 'F10';
const closeOverlay = 'Escape';

/**
 * Explores an X11 app under the current DISPLAY. Every reset starts the app afresh with a new
 * throwaway HOME (and XDG dirs inside it), so nothing outside that folder is ever touched.
 * Candidates come from the UI element detector and OCR (perception) over the app's top window,
 * plus a coarse grid where neither saw anything; the state signature is the app's window titles
 * plus the detected layout; the screen gives the pHash (perception).
 */
export class X11Driver implements ExploreDriver {
  readonly kind = 'x11' as const;
  /** Summed over nine tiles with the pointer parked: a changed digit counts, a blinking caret does not. */
  readonly pictureTolerance = 4;
  readonly label: string;
  private readonly options: X11DriverOptions;
  private app: LaunchedApp | undefined;
  private home: string | undefined;
  private windows: WindowSystem | undefined;
  private screen: ScreenSource | undefined;
  private input: InputDriver | undefined;
  private detector: ElementDetector | undefined;
  private window: WindowInfo | undefined;
  private ocr: Ocr | undefined;
  private exitHook: (() => void) | undefined;
  /** Whether the app showed an accessibility tree after its first start (unknown before). */
  private exposesTree: boolean | undefined;

  constructor(options: X11DriverOptions) {
    this.options = options;
    this.label = options.command;
  }

  private get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  private async tools(): Promise<void> {
    if (!this.env.DISPLAY) throw new SkillframeError('unavailable', 'exploring an X11 app needs a display: set DISPLAY (e.g. run under xvfb-run)');
    this.windows ??= await (await import('../../../native/window/index.ts')).createWindows(this.env);
    this.screen ??= new (await import('../../../native/screen/ffmpeg-screen.ts')).FfmpegScreen(this.env);
    this.input ??= await (await import('../../../native/input/index.ts')).createInput('xdotool', { env: this.env });
    this.detector ??= (await import('../../../perception/detect.ts')).createClassicalDetector();
  }

  async reset(signal: AbortSignal): Promise<void> {
    await this.stopApp();
    await this.tools();
    signal.throwIfAborted();
    this.home = mkdtempSync(join(tmpdir(), 'sf-explore-home-'));
    const { withAccessibility } = await import('../../../native/a11y/index.ts');
    const env = {
      ...(this.options.accessibility ? withAccessibility(this.env) : this.env),
      HOME: this.home,
      XDG_CONFIG_HOME: join(this.home, '.config'),
      XDG_DATA_HOME: join(this.home, '.local/share'),
      XDG_CACHE_HOME: join(this.home, '.cache'),
      XDG_STATE_HOME: join(this.home, '.local/state'),
    };
    // A blinking caret and GTK animations would make one state look like two: switch them off, in this HOME only.
    mkdirSync(join(env.XDG_CONFIG_HOME, 'gtk-3.0'), { recursive: true });
    writeFileSync(join(env.XDG_CONFIG_HOME, 'gtk-3.0', 'settings.ini'), '[Settings]\ngtk-cursor-blink = false\ngtk-enable-animations = false\n');
    const { launchApp } = await import('../../../native/window/index.ts');
    this.app = await launchApp(this.options.command, { env, signal });
    // Ctrl+C ends the process without awaiting dispose(): the app and its HOME must still go.
    if (!this.exitHook) {
      this.exitHook = () => {
        try {
          if (this.app) process.kill(-this.app.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        if (this.home) rmSync(this.home, { recursive: true, force: true });
      };
      process.on('exit', this.exitHook);
    }
    this.window = await (this.windows as WindowSystem).waitFor({ pid: this.app.pid }, { timeoutMs: 15_000, signal });
    await (this.windows as WindowSystem).focus(this.window.id as string).catch(() => undefined);
    await this.input?.move(1, 1).catch(() => undefined);
    await delay(this.options.settleMs ?? 400);
    // The toolkit's bridge registers on the accessibility bus a moment after the window maps: a
    // first look before that would read the start state through pixels, and every later visit of
    // it through the tree, as another state.
    // An app that never showed a tree (Xaw, Tk) is not waited for again.
    if (this.options.accessibility && this.exposesTree !== false) {
      let attempt = 0;
      while (!(await this.actionableNodes()) && attempt < 25) {
        attempt += 1;
        await delay(200);
      }
      this.exposesTree = attempt < 25;
    }
  }

  private async stopApp(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    this.window = undefined;
    await app?.dispose();
    if (this.home) rmSync(this.home, { recursive: true, force: true });
    this.home = undefined;
  }

  /** The process of the app as last started (benchmarks read its state by it), or undefined between runs. */
  get appPid(): number | undefined {
    return this.app?.pid;
  }

  /** Titles of the app's visible windows, main first (benchmarks read them as ground truth). */
  async windowTitles(): Promise<string[]> {
    return (await this.appWindows()).map((window) => window.title);
  }

  /** The app's visible windows, main window first; dialogs and menus are extra windows. */
  private async appWindows(): Promise<WindowInfo[]> {
    if (!this.app || !this.windows) return [];
    // Tooltips come and go with the pointer; they are not states.
    const found = (await this.windows.find({ pid: this.app.pid })).filter((window) => window.id === this.window?.id || window.geometry.height >= 50);
    return found.sort((a, b) => (a.id === this.window?.id ? -1 : b.id === this.window?.id ? 1 : 0));
  }

  async observe(signal: AbortSignal): Promise<Observation> {
    signal.throwIfAborted();
    if (!this.app || !this.screen || !this.detector) throw new SkillframeError('internal', 'explorer used the X11 driver before reset');
    const windows = await this.appWindows();
    // The top-most window (a dialog, when one is open) is where the person can act. Read through
    // the tree, the main window is the frame instead: a popup menu's window reports no true
    // position (GTK 3 under Xvfb: 0,0), and the tree's extents are on the screen anyway.
    const main = windows[0] ?? this.window;
    const focus = (this.options.accessibility ? main : windows[windows.length - 1]) ?? this.window;
    if (!focus || !main) throw new SkillframeError('unavailable', `${this.options.command} has no window`);
    // Settled = two captures in a row look alike (a slow redraw must not be blamed on the next action).
    const grab = async () => {
      const capture = await (this.screen as ScreenSource).capture(focus.geometry);
      const image: RgbaImage = capture;
      return { capture, image, hash: tiledHash(image) };
    };
    let shot = await grab();
    for (let attempt = 0; attempt < 4; attempt += 1) {
      await delay(150);
      const next = await grab();
      const settled = next.capture.width === shot.capture.width && next.capture.height === shot.capture.height && hammingDistance(next.hash, shot.hash) <= 2;
      shot = next;
      if (settled) break;
    }
    const { capture, image } = shot;
    let nodes = await this.actionableNodes(main);
    // A read that failed (a bus call timing out under load) is tried again: read through pixels
    // instead, a state would look like another one than when read through the tree.
    for (let attempt = 0; !nodes && this.exposesTree && attempt < 3; attempt += 1) {
      await delay(300);
      nodes = await this.actionableNodes(main);
    }
    if (nodes) return this.observeByTree(nodes, windows, main, capture);
    if (this.exposesTree) throw new SkillframeError('timeout', `${this.options.command}: its accessibility tree could not be read`);
    const detected = (await this.detector.detect(image, { signal })).filter((element) => element.kind === 'button' || element.kind === 'input' || element.kind === 'link');
    const boxes = detected
      .map((element) => element.box)
      .sort((a, b) => a[1] - b[1] || a[0] - b[0])
      .slice(0, this.options.maxTargets ?? 40);
    const offset = { x: focus.geometry.x, y: focus.geometry.y };
    const place = windows.length > 1 ? 'dialog' : 'main';
    const layout = boxes.map((box) => box.map((value) => Math.round(value / 8)).join(','));
    const signature = signatureHash([`windows:${windows.map((window) => window.title).join('|')}`, `size:${capture.width}x${capture.height}`, ...layout]);
    const phash = shot.hash;
    const lines = await this.readText(image, signature, phash, signal);
    const inside = (box: Box, x: number, y: number) => x >= box[0] && x <= box[0] + box[2] && y >= box[1] && y <= box[1] + box[3];
    const actions: ExploreAction[] = boxes.map((box, index) => {
      const label = lines
        .filter((line) => inside(box, line.box[0] + line.box[2] / 2, line.box[1] + line.box[3] / 2))
        .map((line) => line.text)
        .join(' ');
      const kind = detected.find((element) => element.box === box)?.kind ?? 'button';
      const x = Math.round(box[0] + box[2] / 2);
      const y = Math.round(box[1] + box[3] / 2);
      // Window-relative: the window may open elsewhere on a fresh start.
      return { kind: 'click', target: { role: kind, name: label || `${kind} ${index + 1} at ${x},${y}`, x, y, width: box[2], height: box[3], selector: `window:${place}@${x},${y}` } };
    });
    // Text the OCR read outside any detected box is a label of a flat control (GTK draws many without borders).
    for (const line of lines) {
      const x = Math.round(line.box[0] + line.box[2] / 2);
      const y = Math.round(line.box[1] + line.box[3] / 2);
      if (boxes.some((box) => inside(box, x, y)) || !line.text.trim()) continue;
      actions.push({ kind: 'click', target: { role: 'text', name: line.text.trim(), x, y, width: line.box[2], height: line.box[3], selector: `text:${place}@${x},${y}` } });
    }
    // Where neither saw anything, probe a coarse grid.
    const columns = 5;
    const rows = 6;
    const covered = [...boxes, ...lines.map((line) => line.box)];
    for (let row = 0; row < rows; row += 1) {
      for (let column = 0; column < columns; column += 1) {
        const x = Math.round(((column + 0.5) * capture.width) / columns);
        const y = Math.round(((row + 0.5) * capture.height) / rows);
        if (covered.some((box) => inside(box, x, y))) continue;
        actions.push({ kind: 'click', target: { role: 'region', name: `cell ${row + 1}:${column + 1}`, x, y, width: capture.width / columns, height: capture.height / rows, selector: `grid:${place}@${row},${column}` } });
      }
    }
    // Editors and fields take text where the focus is; typing is a primitive worth knowing per app.
    actions.push({ kind: 'type', text: 'Hello 42', target: { role: 'window', name: 'focused field', x: capture.width / 2, y: capture.height / 2, selector: `focus:${windows.length > 1 ? 'dialog' : 'main'}` } });
    return this.observation({ actions, windows, offset, capture, signature, phash, texts: lines.map((line) => line.text), overlay: windows.length > 1 });
  }

  /** The observation both ways of reading the app end in: shortcuts added, blocklist applied, screenshot kept. */
  private async observation(seen: { actions: ExploreAction[]; windows: WindowInfo[]; offset: { x: number; y: number }; capture: RgbaImage; signature: string; phash: string; texts: string[]; overlay: boolean }): Promise<Observation> {
    const { actions, windows, capture } = seen;
    for (const keys of seen.overlay ? [openMenuBar, closeOverlay] : [openMenuBar]) actions.push({ kind: 'shortcut', keys, target: { name: keys } });
    const screenshot = await encodePng(capture, { compressionLevel: 1 });
    const { candidates, blocked } = splitBlocked(actions, this.options.allow);
    this.focusOffset = seen.offset;
    return {
      signature: seen.signature,
      phash: seen.phash,
      title: windows.map((window) => window.title).join(' › ') || this.options.command,
      screenshot,
      candidates,
      blocked,
      cues: [...new Set([...windows.map((window) => window.title), ...seen.texts])].filter(Boolean),
      dialogs: windows.slice(1).map((window) => window.title),
    };
  }

  /**
   * The app's actionable nodes from its accessibility tree, or undefined when it exposes none; their
   * extents on the screen. GTK 4 answers them in its window's own space (`appOrigin`): they are
   * taken to the screen's with `window` (the main window as it is now), as record and replay do.
   */
  private async actionableNodes(window?: WindowInfo): Promise<ActionableNode[] | undefined> {
    const a11y = this.options.accessibility;
    if (!a11y || !this.app) return undefined;
    try {
      const { actionableNodes } = await import('../../../native/a11y/index.ts');
      const app = (await a11y.applications()).find((entry) => entry.pid === this.app?.pid);
      if (!app) return undefined;
      const tree = await a11y.tree(app.ref, { maxNodes: 3000, timeoutMs: 5000 });
      // Greyed-out controls too: they are part of what shows (a Save button that turns sensitive
      // once a name is typed is not another view); only the enabled ones become targets.
      const nodes = actionableNodes(tree, [], { disabled: true });
      if (!nodes.some(isEnabled)) return undefined;
      const origin = window ? await appOrigin(a11y, app, window) : { x: 0, y: 0 };
      return nodes.map((node) => onScreenFrom(node, origin));
    } catch {
      return undefined;
    }
  }

  /**
   * State and candidates from the accessibility tree: the windows' titles plus the tree's
   * structure (see `treeSignature`) is the state; each node on the screen is a click at its
   * centre, relative to the main window (see `treeTargets`). Focus is left out: it moves without
   * the view changing; so is the picture: what the tree shows is the state, and a calculator's
   * display or an editor's text changing is not a new one.
   */
  private async observeByTree(nodes: ActionableNode[], windows: WindowInfo[], main: WindowInfo, capture: RgbaImage): Promise<Observation> {
    const signature = signatureHash([`windows:${windows.map((window) => window.title).join('|')}`, ...treeSignature(await this.hangMenusFromOwners(nodes))]);
    const actions = treeTargets(nodes, main.geometry, await (this.screen as ScreenSource).size());
    const overlay = treeOverlay(nodes);
    return this.observation({ actions, windows, offset: { x: main.geometry.x, y: main.geometry.y }, capture, signature, phash: treePictureHash, texts: nodes.map((node) => node.name), overlay: Boolean(overlay.dialog || overlay.menuOpen) });
  }

  /**
   * A list that drops from a control (a combo box's) lives in a popup window of its own, and a
   * walk from the application root finds it there first; the control it drops from is its parent
   * in the tree (AT-SPI's Parent), the one the person clicked. The nodes of such a menu get that
   * path for the state, so two controls offering the same items open two states, not one. Targets
   * keep the path the walk found (replay grounds them by it).
   */
  private async hangMenusFromOwners(nodes: readonly ActionableNode[]): Promise<ActionableNode[]> {
    const a11y = this.options.accessibility;
    if (!a11y) return [...nodes];
    const owners = new Map<string, ActionableNode['path'] | undefined>();
    const hung: ActionableNode[] = [];
    for (const node of nodes) {
      // A menu right under a top-level window: the window is the popup, not where the menu hangs from.
      if (node.path.length < 2 || node.path[1]?.role !== 'menu') {
        hung.push(node);
        continue;
      }
      const popup = pathKey(node.path.slice(0, 2));
      if (!owners.has(popup)) {
        // The parents of this node up to the root; the steps below the menu are the same both ways.
        const logical = await a11y.pathOf(node.ref).catch(() => undefined);
        const prefix = logical?.slice(0, logical.length - (node.path.length - 2));
        owners.set(popup, prefix?.at(-1)?.role === 'menu' && prefix.length > 1 ? prefix : undefined);
      }
      const owner = owners.get(popup);
      hung.push(owner ? { ...node, path: [...owner, ...node.path.slice(2)] } : node);
    }
    return hung;
  }

  private focusOffset = { x: 0, y: 0 };
  private readonly textCache: { signature: string; phash: string; lines: OcrLine[] }[] = [];

  /** OCR of a state, read once per state (it costs seconds on a CPU) and reused when the state comes back. */
  private async readText(image: RgbaImage, signature: string, phash: string, signal: AbortSignal): Promise<OcrLine[]> {
    if (this.options.ocr === false) return [];
    const cached = this.textCache.find((entry) => entry.signature === signature && hammingDistance(entry.phash, phash) <= samePictureTolerance);
    if (cached) return cached.lines;
    try {
      this.ocr ??= await (await import('../../../perception/ocr.ts')).createOcr();
      const { lines } = await this.ocr.recognize(image, { signal });
      this.textCache.push({ signature, phash, lines });
      return lines;
    } catch (error) {
      signal.throwIfAborted();
      // No OCR models: the detector and the grid still give candidates.
      this.options.ocr = false;
      void error;
      return [];
    }
  }

  async perform(action: ExploreAction, signal: AbortSignal): Promise<ActionOutcome> {
    signal.throwIfAborted();
    if (!this.app || !this.input) throw new SkillframeError('internal', 'explorer used the X11 driver before reset');
    if (this.app && (await Promise.race([this.app.exited.then(() => true), delay(0).then(() => false)]))) {
      return { ok: false, reason: 'crash', detail: `${this.options.command} exited`, needsReset: true };
    }
    const windows = await this.appWindows();
    // Points read from the tree are relative to the main window, the others to the top-most one.
    const fromTree = action.target?.selector?.startsWith(accessibleSelectorPrefix);
    const focus = (fromTree ? windows[0] : windows[windows.length - 1]) ?? this.window;
    const origin = focus ? { x: focus.geometry.x, y: focus.geometry.y } : this.focusOffset;
    const at = action.target?.x !== undefined && action.target.y !== undefined ? { x: origin.x + action.target.x, y: origin.y + action.target.y } : undefined;
    const need = () => {
      if (!at) throw new Error(`${action.kind} needs a target point`);
      return at;
    };
    switch (action.kind) {
      case 'click':
        await this.input.click(need().x, need().y);
        break;
      case 'double_click':
        await this.input.click(need().x, need().y, { double: true });
        break;
      case 'right_click':
        await this.input.click(need().x, need().y, { button: 'right' });
        break;
      case 'hover':
        await this.input.move(need().x, need().y);
        break;
      case 'type':
        // Type where the focus already is: a click could move the caret or press a button.
        await this.input.type(action.text ?? '');
        break;
      case 'shortcut':
        await this.input.press((action.keys ?? 'Escape').replace('Control', 'ctrl'));
        break;
      case 'scroll':
        await this.input.scroll(0, Math.sign(action.deltaY ?? 1) * 3, at);
        break;
      default:
        return { ok: false, reason: 'error', detail: `${action.kind} is not offered on X11`, needsReset: false };
    }
    // Park the pointer off the app so hover effects and tooltips do not leak into the next look.
    if (action.kind !== 'hover') await this.input.move(1, 1).catch(() => undefined);
    await delay(this.options.settleMs ?? 200);
    if (await Promise.race([this.app.exited.then(() => true), delay(0).then(() => false)])) {
      return { ok: false, reason: 'crash', detail: `${this.options.command} exited`, needsReset: true };
    }
    if ((await this.appWindows()).length === 0) return { ok: false, reason: 'hang', detail: `${this.options.command} has no window left`, needsReset: true };
    return { ok: true };
  }

  async dispose(): Promise<void> {
    await this.stopApp();
    if (this.exitHook) process.off('exit', this.exitHook);
    this.exitHook = undefined;
    this.input?.dispose();
    this.screen?.dispose();
    this.windows?.dispose();
    await this.detector?.dispose();
    await this.ocr?.dispose();
    this.ocr = undefined;
    this.input = undefined;
    this.screen = undefined;
    this.windows = undefined;
    this.detector = undefined;
  }
}

/** Roles whose name is content (a cell's text, a field's value, a list row): they are not what tells views apart. */
const contentRoles = new Set(['text', 'entry', 'password text', 'spin button', 'slider', 'table cell', 'list item', 'tree item']);

/** Containers of menu items: while one of their menus is open, it holds the pointer grab. */
const menuRoles = new Set(['menu bar', 'menu', 'popup menu']);

/** States that change what a view shows: a selected tab shows its page, an expanded node its children. */
const viewStates = ['selected', 'expanded'];

/**
 * The state signature of an app read through its tree: each control as role, name and the flags
 * that change what shows (selected, expanded). A check box's tick, a pressed toggle, a field's value,
 * a cell's or a row's text are content, not view (as on the web): a content role counts once, by
 * role, so a list that scrolls or a cell that changes is the same state.
 *
 * Two things a set of controls cannot tell apart are views apart all the same:
 * - which menu is open, when two openers offer the same items (two combo boxes with one list):
 *   each open menu (a menu with actionable nodes showing below it) is named by the node it hangs
 *   from, as the person sees the list drop from that control;
 * - how many pages show: a control that shows a page or children (selected, expanded) counts
 *   each time it shows — two notebooks both on their "page 3" show two pages, not one.
 */
export function treeSignature(nodes: readonly ActionableNode[]): string[] {
  const parts = new Set<string>();
  const showing = new Map<string, number>();
  for (const node of nodes) {
    if (contentRoles.has(node.role)) parts.add(`${node.role}|content`);
    else {
      const flags = node.states.filter((state) => viewStates.includes(state)).sort();
      const key = `${node.role}|${node.name}|${flags.join(',')}`;
      if (flags.length) showing.set(key, (showing.get(key) ?? 0) + 1);
      else parts.add(key);
    }
    // The path ends at the node itself: a menu above it holds it showing, so that menu is open.
    node.path.slice(0, -1).forEach((step, index) => {
      if (step.role !== 'menu') return;
      const opener = node.path[index - 1];
      parts.add(`open menu|${opener ? `${opener.role}|${opener.name}` : ''}>${step.name}`);
    });
  }
  for (const [key, count] of showing) parts.add(count > 1 ? `${key}|x${count}` : key);
  return [...parts].sort();
}

const pathKey = (path: readonly { role: string; index: number }[]) => path.map((step) => `${step.role}#${step.index}`).join('/');

/** What takes the input over the main window: the top-most dialog, and whether a menu is open (a menu node whose items show). */
export function treeOverlay(nodes: readonly ActionableNode[]): { dialog: ActionableNode['path'][number] | undefined; menuOpen: boolean; showsItems: (index: number) => boolean } {
  const dialog = nodes.map((node) => node.path[0]).filter((top) => top && dialogRoles.has(top.role)).pop();
  const keys = nodes.map((node) => pathKey(node.path));
  // A node with actionable nodes below it in the tree shows them: a menu with its items is open.
  const showsItems = (index: number) => keys.some((key, other) => other !== index && key.startsWith(`${keys[index]}/`));
  return { dialog, menuOpen: nodes.some((node, index) => node.role === 'menu' && showsItems(index)), showsItems };
}

/**
 * Click targets from the app's actionable nodes: each node whose centre is on the screen, at that
 * centre relative to `frame` (the main window). What takes the input narrows the offer: while a
 * dialog is open, only the dialog's nodes (the window under a modal dialog takes no input); while
 * a menu is open, only the nodes inside menus and the menu bar (an open menu grabs the pointer: a
 * click elsewhere only closes it, which Escape does too). A popup menu's items lie outside the
 * main window and are offered all the same.
 *
 * A target the tree says shows something hidden now is marked `opens` (the explorer's
 * "announced" prediction): a menu whose items are not showing, a node that is expandable and not
 * expanded, one with a popup that is not open, a combo box, a tab page not selected.
 */
export function treeTargets(nodes: readonly ActionableNode[], frame: { x: number; y: number }, screen: { width: number; height: number }): ExploreAction[] {
  const { dialog, menuOpen, showsItems } = treeOverlay(nodes);
  const insideMenus = (node: ActionableNode) => node.path.slice(0, -1).some((step) => menuRoles.has(step.role));
  const actions: ExploreAction[] = [];
  for (const [index, node] of nodes.entries()) {
    if (!isEnabled(node)) continue;
    // An open menu grabs the pointer even over a dialog (a combo box's popup is a window of its own).
    if (menuOpen ? !insideMenus(node) : dialog && (node.path[0]?.role !== dialog.role || node.path[0]?.index !== dialog.index)) continue;
    const centre = { x: Math.round(node.extents.x + node.extents.width / 2), y: Math.round(node.extents.y + node.extents.height / 2) };
    if (centre.x < 0 || centre.y < 0 || centre.x >= screen.width || centre.y >= screen.height) continue;
    const x = centre.x - frame.x;
    const y = centre.y - frame.y;
    const has = (state: string) => node.states.includes(state);
    const opens =
      (node.role === 'menu' && !showsItems(index)) ||
      (!has('expanded') && (has('expandable') || has('has-popup') || node.role === 'combo box')) ||
      (node.role === 'page tab' && !has('selected'));
    // An unnamed node is named by its place in the tree, not on the screen: a layout that moves
    // (a menu bar hidden) must not make it another control to learn about.
    const name = node.name || `${node.role} ${node.path.map((step) => step.index).join('.')}`;
    // The node's path from the application root, whole (names may hold any character): an
    // exported step carries it as its accessible target for replay's a11y rung.
    actions.push({ kind: 'click', target: { role: node.role, name, x, y, width: node.extents.width, height: node.extents.height, selector: `${accessibleSelectorPrefix}${JSON.stringify(node.path)}`, ...(opens ? { opens: true } : {}) } });
  }
  return actions;
}

/**
 * A pHash per tile of a 3×3 grid, joined: one hash of a whole desktop window cannot see a
 * calculator's display or a status line change, a tile can. Distances add up over the tiles, so
 * the explorer's tolerance still forgives a blinking caret.
 */
export function tiledHash(image: RgbaImage): string {
  const parts: string[] = [];
  for (let row = 0; row < 3; row += 1) {
    for (let column = 0; column < 3; column += 1) {
      const x = Math.floor((column * image.width) / 3);
      const y = Math.floor((row * image.height) / 3);
      const width = Math.max(1, Math.floor(((column + 1) * image.width) / 3) - x);
      const height = Math.max(1, Math.floor(((row + 1) * image.height) / 3) - y);
      parts.push(pHash(crop(image, [x, y, width, height])));
    }
  }
  return parts.join('');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
