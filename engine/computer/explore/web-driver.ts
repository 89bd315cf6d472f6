import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { SkillframeError } from '../../../core/index.ts';
import { withDeadline } from '../../../core/abort.ts';
import type { ExploreAction } from '../../../core/commands/explore.ts';
import { keepToLoopback, type OwnedChromium, startOwnedChromium } from '../../../native/browser/browser.ts';
import type { ActionOutcome, ExploreDriver } from './explorer.ts';
import type { Observation } from './graph.ts';
import { routeOf, signatureHash } from './identity.ts';
import { splitBlocked } from './safety.ts';
import { generateValue } from './values.ts';
import { carriedPlace, scrollPlaceAt } from '../scroll-place.ts';
import { changedSince, listenerTracker, type PageScan, pendingWithinMs, type ScannedElement, scanPage, type SettleResult, settleScript, twoFrames } from './web-scan.ts';

/** The parts of one web action: find the target, act, let the pointer rest, settle, check the page's health; and a look's scan. */
export type WebPhase = 'locate' | 'act' | 'rest' | 'settle' | 'health' | 'scan';

export interface WebDriverOptions {
  url: string;
  allow?: RegExp;
  width?: number;
  height?: number;
  /** Longest a single action may take before it counts as an error. */
  actionTimeoutMs?: number;
  /** Only loopback URLs may load (benchmarks and tests: apps served locally, no network). */
  loopbackOnly?: boolean;
  /** Longest Chromium may take to start and answer (default 30 s); past it the launch is killed and fails with `timeout`. */
  launchTimeoutMs?: number;
}

/** Actions that leave the pointer over the page. */
const pointerActions = new Set<ExploreAction['kind']>(['click', 'double_click', 'right_click', 'scroll', 'drag']);

const clickRoles = new Set(['button', 'link', 'tab', 'menuitem', 'menuitemcheckbox', 'menuitemradio', 'checkbox', 'radio', 'option', 'switch', 'treeitem', 'summary']);

/**
 * A link that only reloads the page it is on (its address is this page's, with no fragment)
 * shows nothing new. (Off-site links stay: trying one once records the off-site boundary.)
 */
function reloadsItself(element: ScannedElement, here: URL): boolean {
  if (element.tag !== 'a' || !element.href || element.href.includes('#')) return false;
  try {
    const link = new URL(element.href);
    return link.origin === here.origin && link.pathname === here.pathname && link.search === here.search;
  } catch {
    return false;
  }
}

/** Candidate actions from the DOM and ARIA of one scan. */
export function candidatesFromScan(scan: PageScan): ExploreAction[] {
  const actions: ExploreAction[] = [];
  const dropTargets = scan.elements.filter((element) => element.listeners.includes('drop') && element.actionable);
  const here = new URL(scan.url);
  for (const element of scan.elements) {
    if (!element.actionable || reloadsItself(element, here)) continue;
    const target = { selector: element.selector, role: element.role, name: element.name, x: element.x, y: element.y, width: element.width, height: element.height, ...(element.tag === 'a' && element.href ? { href: element.href } : {}), ...(element.anchor ? { anchor: element.anchor } : {}), ...(element.row ? { row: element.row } : {}), ...(element.opens ? { opens: true } : {}), ...(element.nameInside ? { nameInside: true } : {}) };
    const hears = (type: string) => element.listeners.includes(type);
    const textField = element.field !== undefined;
    // A list that serves its entries through its own listener is clicked on them, each one its own
    // action; its centre is merely the entry its scroll puts there.
    if (!textField && element.tag !== 'select' && !element.delegates && (hears('click') || hears('mousedown') || hears('pointerdown') || clickRoles.has(element.role) || ['button', 'a', 'summary'].includes(element.tag) || (element.tag === 'input' && !textField))) {
      actions.push({ kind: 'click', target });
    }
    if (hears('dblclick')) actions.push({ kind: 'double_click', target });
    if (hears('contextmenu')) actions.push({ kind: 'right_click', target });
    if (hears('mouseenter') || hears('mouseover')) actions.push({ kind: 'hover', target });
    if (element.field) actions.push({ kind: 'type', target, text: generateValue(element.field) });
    for (const option of element.options ?? []) actions.push({ kind: 'select', target, text: option });
    if (element.scrollable) actions.push({ kind: 'scroll', target, deltaY: 2000 });
    if (element.draggable) {
      for (const drop of dropTargets.slice(0, 3)) {
        if (drop.selector === element.selector) continue;
        actions.push({ kind: 'drag', target, to: { selector: drop.selector, role: drop.role, name: drop.name, x: drop.x, y: drop.y } });
      }
    }
  }
  // Shortcuts are advertised (aria-keyshortcuts) by elements that need not be actionable themselves.
  const modal = scan.headings.some((heading) => heading.startsWith('dialog:'));
  // With a dialog or an expanded menu open, Escape is what a person presses to close it again.
  if (modal || scan.elements.some((element) => element.flags.includes('e') && structural(element))) actions.push({ kind: 'shortcut', keys: 'Escape', target: { name: 'Escape' } });
  for (const element of scan.elements) {
    if (!element.keys || modal) continue;
    for (const keys of element.keys.split(/\s+/).slice(0, 2)) actions.push({ kind: 'shortcut', keys, target: { name: element.name } });
  }
  return actions;
}

/** Tags that are controls in their own right; any other element is a control only through an explicit role. */
const semanticTags = new Set(['a', 'button', 'input', 'select', 'textarea', 'summary']);

/**
 * Whether an element is part of what the page shows as its structure: a native control or an
 * element with an explicit ARIA role. A bare div, span or canvas that merely listens for clicks
 * is a place to try, not a view: its text is content (a breadcrumb of the current selection, a
 * cell, a chart), and letting it into the signature splits one view into many.
 */
export function structural(element: ScannedElement): boolean {
  return semanticTags.has(element.tag) || element.role !== element.tag;
}

/**
 * The state signature: what the user sees as the view — its route, direction, headings and dialogs,
 * and the page's structural controls (role, name, state flags, chosen option); no free text, no field
 * contents, no generic clickable containers. Behind an open modal dialog only the choices made
 * (a selected tab, a pressed toggle, an expanded section, a list's chosen value) count: the content there can be neither
 * read nor used, and a dialog that adds a row to a list behind it is the same dialog when it opens
 * again (gentelella's Upload dialog made a new state each time a file was added behind it).
 */
export function signatureOf(scan: PageScan): string[] {
  // Sorted, not in page order: a re-render that moves the same controls around is the same view;
  // duplicates are kept, since three more rows of the same kind are more of the view. Where
  // controls share a role and a name, one carrying a state flag also says which of them it is, in
  // page order: thirteen "EXAMPLE" tabs, one per response, with "SCHEMA" chosen in the fourth
  // response are not the page with it chosen in the sixth (RapiDoc: one state held both).
  // Which one a flagged control is counts among all its look-alikes on the page, those behind a modal
  // included: with a dialog open, the "Parent" expanded behind it is either of two accordion items,
  // and only the expanded one is kept, so counted among the kept ones it was always the first
  // (UIkit's nav behind a modal: one state held both; reproduced in unit explore-identity). Hidden
  // look-alikes count too, as the scan counts them (alikeInPage): RapiDoc hides an operation's
  // example tabs when it shows its response, and counted among the visible ones the chosen tabs read
  // the same whichever operation it was (one state held three views; e2e fixture responses/).
  const controls = scan.elements.filter((element) => structural(element) && !bareTick(element));
  const alike = new Map<string, number>();
  for (const element of controls) alike.set(`${element.role}|${element.name}`, (alike.get(`${element.role}|${element.name}`) ?? 0) + 1);
  const seen = new Map<string, number>();
  return [
    `path:${routeOf(scan.url) ?? ''}`,
    // A page laid out right to left is the page mirrored, every control in another place: another
    // view, though its controls, their names and flags are the same (a direction setting's tick is a
    // native checkbox's, content below). Left to right, the usual, adds nothing.
    ...(scan.direction === 'rtl' ? ['direction:rtl'] : []),
    ...scan.headings.map((heading) => `h:${heading}`).sort(),
    ...controls
      .flatMap((element: ScannedElement) => {
        const same = `${element.role}|${element.name}`;
        const index = seen.get(same) ?? 0;
        seen.set(same, index + 1);
        // A list's chosen value behind a modal is kept: it is a choice made, as a selected tab is
        // (a list of colours applied to the page the dialog lies over); a list whose choice only
        // ever was a field's content reads as its first value here (see viewOf), so it splits nothing.
        if (element.behindModal && viewFlags(element) === '' && element.tag !== 'select') return [];
        // Among all of them in the page, hidden ones too, when the scan counted them (see alikeInPage).
        const place = element.alikeInPage ?? { index, count: alike.get(same) ?? 0 };
        const which = viewFlags(element) !== '' && place.count > 1 ? `|#${place.index}` : '';
        return [`${element.role}|${element.name}|${viewFlags(element)}|${element.value}${element.keys ? `|k:${element.keys}` : ''}${which}`];
      })
      .sort(),
  ];
}

/**
 * A native checkbox or radio button with no name: a value's own widget drawn beside it (a data
 * tree's boolean, a table row's selector), there or not as the data is. Its tick is content (see
 * viewFlags), and so is whether it is drawn: JSONEditor drops a boolean's checkbox once text is
 * typed into the value, and every view after was a second state (e2e fixture booleans/). It is
 * still a control to try; a labelled one ("Remember me", "RTL") is part of the view.
 */
function bareTick(element: ScannedElement): boolean {
  return element.tag === 'input' && (element.type === 'checkbox' || element.type === 'radio') && element.name === '';
}

/**
 * The state flags that belong to the view: selected, expanded, pressed, active (by a class) and checked on ARIA
 * widgets (a switch, a checkable menu item). A native checkbox's tick is a field's content (a
 * boolean in a form or a data tree), and whether a button is enabled follows what was typed, not
 * what is shown — a form that became valid says so in its own words, which the signature has.
 */
function viewFlags(element: ScannedElement): string {
  return element.flags.replace(/d/g, '').replace(element.tag === 'input' ? /c/g : /(?!)/g, '');
}

/**
 * Explores a web page in Debian's Chromium through playwright-core. Every reset is a fresh
 * browser context (fresh profile: no cookies, no storage). A page that crashes or freezes is
 * thrown away; a browser that stops answering is relaunched.
 */
export class WebDriver implements ExploreDriver {
  readonly kind = 'web' as const;
  /**
   * On the web the DOM signature is the state: the same controls scrolled differently, or an
   * animation frame, are one view. The picture only tells apart states the DOM cannot (64 bits:
   * never, here).
   */
  readonly pictureTolerance = 64;
  readonly label: string;
  /** The running browser and the switch that marks its processes, to kill it when it will not close. */
  private browser: OwnedChromium<Browser> | undefined;
  private context: BrowserContext | undefined;
  private page: Page | undefined;
  private readonly origin: string;
  private readonly options: WebDriverOptions;
  private pageErrors: string[] = [];
  private crashed = false;
  /** A main-frame navigation was requested and its page has not fired load yet (see `settle`). */
  private navigating = false;
  private lastScreenshot: Buffer | undefined;
  /** The view as last observed, and the control clicked since, with the route it was clicked on (see `ControlNames`). */
  private lastView: string[] | undefined;
  /** The scan behind it, each control named by its first name (see `ControlNames.learnRelabels`). */
  private lastScan: PageScan | undefined;
  private clicked: ClickedControl | undefined;
  /** The list a value was chosen in since the last look, with the route and the count of page loads then (see `viewOf`). */
  private chosen: { role: string; selector: string; route: string | undefined; navigations: number } | undefined;
  /** Main-frame navigations requested so far: a choice that loaded a page is not a field's value. */
  private navigations = 0;
  /** Lists whose chosen value is a field's content, by role and locator, with the first value read for any of theirs. */
  private readonly values = new Map<string, string>();
  /** Other names a clicked control took, read as its first one ("Copied" → "Copy", "Collapse sidebar" → "Open menu"). */
  private readonly names = new ControlNames();
  /** Signatures this driver has given (and the drafts they were read from): a view not among them is seen for the first time. */
  private readonly signed = new Set<string>();
  /** Where each action's time goes (ms per phase, one entry per action or look), for `bench explore` and profiling. */
  readonly phaseMs: Record<WebPhase, number[]> = { locate: [], act: [], rest: [], settle: [], health: [], scan: [] };
  /**
   * How the waits ended, as counts (ms alone say little on a loaded machine): settles by what
   * ended them (`quiet`, or what held them to their bound: see SettleEnd) and the second looks
   * at a view seen first, taken and those that found a late change.
   */
  readonly waitCounts: Record<string, number> = {};
  /**
   * The sources of page timers whose callbacks were seen to change nothing (see listenerTracker),
   * kept across documents and resets: a site's script that sets the same idle timer on every page
   * load is waited for once, not after every link followed.
   */
  private readonly quietTimers = new Set<string>();
  /** Where the waits' time went, ms summed over the run: a page's load after a navigation, each thing a settle waited on, second looks. */
  readonly waitMs: Record<string, number> = {};

  constructor(options: WebDriverOptions) {
    this.options = options;
    this.label = options.url;
    this.origin = new URL(options.url).origin;
  }

  private async launch(): Promise<Browser> {
    if (this.browser?.launched.isConnected()) return this.browser.launched;
    // A browser that dropped its connection may still run: end it before starting another.
    await this.closeBrowser();
    const { chromium } = await import('playwright-core');
    this.browser = await startOwnedChromium((launch) => chromium.launch({ ...launch, headless: true }), this.options.launchTimeoutMs ?? 30_000);
    return this.browser.launched;
  }

  /** Ends the browser: closed when it answers within 5 s, else killed with everything it started. */
  private async closeBrowser(): Promise<void> {
    const browser = this.browser;
    this.browser = undefined;
    await browser?.end((launched) => launched.close());
  }

  async reset(signal: AbortSignal): Promise<void> {
    await this.closeContext();
    signal.throwIfAborted();
    const browser = await this.launch();
    // A browser that started but does not open a page (a renderer that never comes) is ended, and
    // the reset fails as the app not loading does: the caller may start afresh.
    const page = await withDeadline(() => this.openPage(browser), { ms: 15_000, what: 'opening a page' }).catch(async (error: unknown) => {
      await this.closeBrowser();
      throw new SkillframeError('unavailable', `input.url: Chromium did not open a page for ${this.options.url}: ${(error as Error).message.split('\n')[0]}`);
    });
    signal.throwIfAborted();
    // New windows and tabs are not followed: the exploration stays on one page.
    page.context().on('page', (popup) => {
      if (popup !== page) void popup.close().catch(() => undefined);
    });
    this.pageErrors = [];
    this.crashed = false;
    this.lastView = undefined;
    this.lastScan = undefined;
    this.clicked = undefined;
    this.chosen = undefined;
    page.on('pageerror', (error) => this.pageErrors.push(String(error.message ?? error).split('\n')[0].slice(0, 200)));
    this.navigating = false;
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
        this.navigating = true;
        this.navigations += 1;
      }
    });
    // A navigation that never loads (refused off the loopback, aborted) is not waited for.
    page.on('requestfailed', (request) => {
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) this.navigating = false;
    });
    page.on('load', () => {
      this.navigating = false;
    });
    page.on('crash', () => {
      this.crashed = true;
    });
    page.on('dialog', (dialog) => void dialog.dismiss().catch(() => undefined));
    page.setDefaultTimeout(this.options.actionTimeoutMs ?? 3_000);
    try {
      // As long as replay gives a fresh page: on a loaded machine a large app (rapidoc) took over 15 s.
      await page.goto(this.options.url, { waitUntil: 'load', timeout: 30_000 });
    } catch (error) {
      signal.throwIfAborted();
      throw new SkillframeError('unavailable', `input.url: cannot open ${this.options.url}: ${(error as Error).message.split('\n')[0]}`);
    }
    await this.settle();
  }

  /** A fresh context (fresh profile) with the listener tracker, and its page. */
  private async openPage(browser: Browser): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: this.options.width ?? 1280, height: this.options.height ?? 800 }, reducedMotion: 'reduce' });
    this.context = context;
    await context.addInitScript({ content: listenerTracker });
    if (this.options.loopbackOnly) await keepToLoopback(context);
    const page = await context.newPage();
    this.page = page;
    return page;
  }

  private async closeContext(): Promise<void> {
    const context = this.context;
    this.context = undefined;
    this.page = undefined;
    if (!context) return;
    const closed = await Promise.race([context.close().then(() => true, () => false), delay(3_000).then(() => false)]);
    // A frozen renderer can keep its context from closing: end the browser (killed if it will not close); the next reset starts another.
    if (!closed) await this.closeBrowser();
  }

  private requirePage(): Page {
    if (!this.page) throw new SkillframeError('internal', 'explorer used the web driver before reset');
    return this.page;
  }

  private async settle(): Promise<boolean> {
    const page = this.requirePage();
    // A click that loaded another page: the view is that page once its scripts have run (a
    // handler loaded at the end of the body), not the text shown while it still parses.
    // A navigation the action started a moment later (a select whose change handler sets
    // location.href) replaces the document during the wait: that wait ends with the old page's
    // context, so the new page is waited for in turn, else its half-parsed body would be the view.
    // The same when the old page settled before the new one came: a main-frame navigation asked
    // for and not loaded yet is waited for.
    for (let attempt = 0; ; attempt += 1) {
      const loading = performance.now();
      if (this.navigating) {
        this.count('settle_navigation');
        await page.waitForEvent('load', { timeout: 5_000 }).catch(() => undefined);
        this.navigating = false;
      }
      await page.waitForLoadState('load', { timeout: 5_000 }).catch(() => undefined);
      this.addWait('load', performance.now() - loading);
      try {
        const settled = (await withDeadline(() => page.evaluate(settleScript(settleQuietMs, 1_500, true, [...this.quietTimers])), { ms: 2_500, what: 'the page settling' })) as SettleResult;
        for (const [source, quiet] of settled.learned) {
          if (quiet) this.quietTimers.add(source);
          else this.quietTimers.delete(source);
        }
        this.count(`settle_${settled.end}`);
        if (settled.timerWaits > 0) this.count('settle_waited_timer');
        for (const [what, ms] of Object.entries(settled.spent)) this.addWait(`settle_${what}`, ms);
        if (!this.navigating || attempt >= 2) return true;
      } catch (error) {
        if (attempt >= 2 || !navigatedAway(error)) return false;
      }
    }
  }

  async observe(signal: AbortSignal): Promise<Observation> {
    signal.throwIfAborted();
    const page = this.requirePage();
    const scanStarted = performance.now();
    let scan = await scanOf(page);
    // A view seen for the first time on a page with work under way (a timer due, a request in
    // flight) is looked at twice: the page settled again, and scanned again when its DOM changed
    // after the first scan began (an API explorer's start page scanned mid-render made two start
    // states that later scans could not tell apart). A known view, or a page with nothing under
    // way, is not: the second look would cost a round trip per new state.
    for (let look = 0; look < 2 && scan.pending && scan.at !== undefined && !this.signed.has(this.draftSignature(scan)); look += 1) {
      const looked = performance.now();
      const check = changedSince(scan.at, settleQuietMs, pendingWithinMs);
      const changed = await withDeadline(() => page.evaluate(check), { ms: pendingWithinMs + 1_000, what: 'the check for a late change' }).catch(() => false);
      this.count('second_look');
      this.addWait('second_look', performance.now() - looked);
      if (!changed) break;
      this.count('second_look_changed');
      scan = await scanOf(page);
    }
    this.phaseMs.scan.push(performance.now() - scanStarted);
    const { candidates, blocked } = splitBlocked(candidatesFromScan(scan), this.options.allow);
    const signature = signatureHash(this.viewOf(scan));
    this.signed.add(signature).add(this.draftSignature(scan));
    return {
      signature,
      // The DOM signature is the state here (pictureTolerance: any picture matches), so no
      // capture is taken to tell states apart: one is taken, lazily, for a state seen first.
      phash: noPicture,
      title: titleOf(scan),
      url: scan.url,
      capture: async () => {
        this.lastScreenshot = await page.screenshot({ type: 'jpeg', quality: 70, caret: 'hide', animations: 'disabled', timeout: 5_000 });
        return this.lastScreenshot;
      },
      candidates,
      blocked,
      cues: scan.cues,
      dialogs: scan.headings.filter((heading) => heading.startsWith('dialog:')).map((heading) => heading.slice(7)),
    };
  }

  /**
   * The signature with the control names learned in this run applied: a control that took
   * another name when it was clicked ("Copy" → "Copied" for a few seconds, a sidebar toggle's
   * "Open menu" → "Expand sidebar" → "Collapse sidebar") is read by its first name, so its label
   * alone never makes another state; its state flags (pressed, expanded) still do.
   */
  /** The signature of a scan with the names learned so far, before this look learns any (no side effects). */
  private draftSignature(scan: PageScan): string {
    return signatureHash(signatureOf({ ...scan, elements: this.names.apply(scan.elements) }));
  }

  private viewOf(scan: PageScan): string[] {
    const clicked = this.clicked;
    this.clicked = undefined;
    const chosen = this.chosen;
    this.chosen = undefined;
    // The scan with each control named by its first name (and each list known as a field showing its first value), and its signature.
    const named = () => ({ ...scan, elements: this.firstValues(this.names.apply(scan.elements)) });
    let current = named();
    let seen = signatureOf(current);
    if (clicked && routeOf(scan.url) === clicked.route) {
      const control = { role: clicked.role, name: this.names.nameOf(clicked.role, clicked.selector, clicked.name) };
      const feedbackOnly = this.lastView !== undefined && renamedOnly(this.lastView, seen, control) !== undefined;
      const learned = this.names.learn(clicked, scan.elements, feedbackOnly);
      const relabelled = this.lastScan !== undefined && routeOf(this.lastScan.url) === clicked.route && this.names.learnRelabels(this.lastScan, scan);
      if (learned || relabelled) {
        current = named();
        seen = signatureOf(current);
      }
    }
    // A value chosen in a list that changed nothing else, in place (no page loaded, the same route):
    // the list is a field (a parameter's status, available or sold), its value content, as a text
    // field's is — a person sees the same view with another value in it. Its later values are read
    // as the first one. A choice that reloads the page (a theme switcher) or changes anything else is not.
    if (chosen && this.lastView && this.lastScan && this.navigations === chosen.navigations && routeOf(scan.url) === chosen.route) {
      const before = this.lastScan.elements.find((element) => element.selector === chosen.selector && element.role === chosen.role);
      if (before && valueOnly(this.lastView, seen)) {
        this.values.set(`${chosen.role}|${chosen.selector}`, before.value);
        current = named();
        seen = signatureOf(current);
      }
    }
    this.lastView = seen;
    this.lastScan = current;
    return seen;
  }

  /** The elements, each list known as a field showing the first value read there. */
  private firstValues(elements: ScannedElement[]): ScannedElement[] {
    if (!this.values.size) return elements;
    return elements.map((element) => {
      const first = this.values.get(`${element.role}|${element.selector}`);
      return first === undefined || first === element.value ? element : { ...element, value: first };
    });
  }

  private count(what: string): void {
    this.waitCounts[what] = (this.waitCounts[what] ?? 0) + 1;
  }

  private addWait(what: string, ms: number): void {
    this.waitMs[what] = (this.waitMs[what] ?? 0) + Math.round(ms);
  }

  /** The page under exploration (benchmarks read the app's own state from it; the explorer does not). */
  get livePage(): Page | undefined {
    return this.page;
  }

  get screenshot(): Buffer | undefined {
    return this.lastScreenshot;
  }

  async perform(action: ExploreAction, signal: AbortSignal): Promise<ActionOutcome> {
    signal.throwIfAborted();
    const page = this.requirePage();
    const errorsBefore = this.pageErrors.length;
    const timeout = this.options.actionTimeoutMs ?? 3_000;
    let phaseStarted = performance.now();
    const phase = (name: WebPhase) => {
      const now = performance.now();
      this.phaseMs[name].push(now - phaseStarted);
      phaseStarted = now;
    };
    const locator = action.target ? await resolveTarget(page, action.target) : undefined;
    phase('locate');
    if (action.kind !== 'shortcut' && !locator) return { ok: false, reason: 'error', detail: `${describeTarget(action.target)} is not on the page`, needsReset: false };
    const need = () => locator as Locator;
    // Where a scroll's wheel turned: the place it reached there is read once the page settled.
    let wheelAt: { x: number; y: number } | undefined;
    // The action's mark on the page's change clock (the settle counts its quiet from here; a click marks it just before clicking), jQuery animations off.
    if (action.kind !== 'click') await page.evaluate(prepareAction).catch(() => undefined);
    try {
      switch (action.kind) {
        case 'click': {
          if (action.target?.role && action.target.name && action.target.selector) this.clicked = { role: action.target.role, name: action.target.name, selector: action.target.selector, route: routeOf(page.url()) };
          // Playwright's click (a click at a spot found in one round trip, 7f0be3d, scrolled admin-lte's
          // sidebar so that its links were no longer found: 14-16 views where this reaches 21).
          await page.evaluate(prepareAction).catch(() => undefined);
          await need().click({ timeout });
          break;
        }
        case 'double_click':
          await need().dblclick({ timeout });
          break;
        case 'right_click':
          await need().click({ button: 'right', timeout });
          break;
        case 'hover': {
          // The pointer goes there, as a person's does; a control that redraws itself on
          // mouseenter must not make the hover count as failed.
          const box = await need().boundingBox({ timeout });
          if (!box) throw new Error('the hover target has no box on screen');
          await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 2 });
          break;
        }
        case 'type':
          await need().fill(action.text ?? '', { timeout });
          break;
        case 'select':
          if (action.target?.role && action.target.selector) this.chosen = { role: action.target.role, selector: action.target.selector, route: routeOf(page.url()), navigations: this.navigations };
          await need().selectOption(action.text ?? '', { timeout });
          break;
        case 'scroll': {
          await need().hover({ timeout });
          const box = await need().boundingBox({ timeout });
          if (box) wheelAt = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
          await page.mouse.wheel(0, action.deltaY ?? 600);
          break;
        }
        case 'drag': {
          const drop = action.to ? await resolveTarget(page, action.to) : undefined;
          if (!drop) throw new Error('the drop target is not on the page');
          await need().dragTo(drop, { timeout });
          break;
        }
          break;
        case 'shortcut':
          await page.keyboard.press(action.keys ?? 'Escape');
          break;
      }
    } catch (error) {
      const outcome = await this.health(errorsBefore);
      if (!outcome.ok) return outcome;
      return { ok: false, reason: 'error', detail: (error as Error).message.split('\n')[0].slice(0, 300), needsReset: false };
    }
    phase('act');
    if (action.kind !== 'hover') {
      // Where the pointer rests after a click, a scroll or a drop, Chromium updates what is under it
      // at the next frame: an element drawn there by the action gets its mouseenter, as it would
      // under a person's hand and under replay's pointer. Moving on before that frame made the
      // outcome a race (an office chart drawn under a clicked row showed its tooltip in 4 of 5
      // replays), so the page answers the resting pointer first.
      if (pointerActions.has(action.kind)) await withDeadline(() => page.evaluate(twoFrames), { ms: 1_000, what: 'two frames' }).catch(() => undefined);
      // Then the pointer moves on, as a person's does: a control shown only under the pointer is
      // not part of the state the action made. A hover's state is the hover.
      await page.mouse.move(this.options.width ?? 1280, this.options.height ?? 800).catch(() => undefined);
    }
    phase('rest');
    const answered = await this.settle();
    phase('settle');
    // A page whose settle answered is not frozen: the health check need not ask it again.
    const outcome = await this.health(errorsBefore, answered);
    phase('health');
    // A scroll's step replays to the place it reached (scroll-place.ts), not by its wheel distance.
    const place = outcome.ok && wheelAt ? await scrollPlaceAt(page, wheelAt) : undefined;
    return place ? { ok: true, scrolledTo: carriedPlace(place) } : outcome;
  }

  /** After an action: did the page crash, freeze, throw or leave the site? */
  private async health(errorsBefore: number, answered = false): Promise<ActionOutcome> {
    const page = this.requirePage();
    if (this.crashed) return { ok: false, reason: 'crash', detail: 'the page crashed', needsReset: true };
    try {
      if (!answered) await withDeadline(() => page.evaluate('1'), { ms: 1_500, what: 'the page answering' });
    } catch {
      return { ok: false, reason: 'hang', detail: 'the page stopped answering for 1.5 s', needsReset: true };
    }
    let url: URL | undefined;
    try {
      url = new URL(page.url());
    } catch {
      url = undefined;
    }
    if (!url || url.origin !== this.origin) return { ok: false, reason: 'offsite', detail: `navigated off-site to ${page.url().slice(0, 200)}`, needsReset: true };
    if (this.pageErrors.length > errorsBefore) return { ok: false, reason: 'error', detail: `the page threw: ${this.pageErrors.at(-1)}`, needsReset: false };
    return { ok: true };
  }

  /** Ends the page and the browser within about 8 s: a browser that will not close is killed, so none outlives its driver. */
  async dispose(): Promise<void> {
    await this.closeContext();
    await this.closeBrowser();
  }
}

/** A clicked control: its role, the name it was offered by, its locator, and the route it was clicked on. */
export interface ClickedControl {
  role: string;
  name: string;
  selector: string;
  route: string | undefined;
}

/**
 * The names each control has shown when it was clicked. A control that reads differently after a
 * click on it, at the same place with the same role on the same route, is one control with two
 * labels — feedback ("Copy" → "Copied"), or a toggle that says what it will do next (a sidebar
 * button "Open menu", then "Expand sidebar" while the sidebar is a rail, then "Collapse
 * sidebar"): the label follows the history, not the view. Every later name is read as the first
 * one at that place (another "Cancel" elsewhere keeps its own name); what else the click changed,
 * its flags included, stays in the view. A click whose only change was its own name is feedback
 * the page may show wherever it re-draws that control (a copy button that moved): that name is
 * read as the first one on the whole page.
 */
export class ControlNames {
  private readonly atPlace = new Map<string, string>();
  private readonly onPage = new Map<string, string>();

  /** The first name of a control that shows `name` at `selector`. */
  nameOf(role: string, selector: string, name: string): string {
    return this.atPlace.get(`${role}|${selector}|${name}`) ?? this.onPage.get(`${role}|${name}`) ?? name;
  }

  /**
   * After a click: the name the clicked control shows now (found at its place, with its role) is
   * another name of the one it had; `feedbackOnly` when nothing else in the view changed. True when
   * a name was learned.
   */
  learn(clicked: ClickedControl, elements: readonly ScannedElement[], feedbackOnly = false): boolean {
    const now = elements.find((element) => element.selector === clicked.selector && element.role === clicked.role);
    const first = this.nameOf(clicked.role, clicked.selector, clicked.name);
    if (!now?.name || now.name === first) return false;
    const [place, page] = [`${clicked.role}|${clicked.selector}|${now.name}`, `${clicked.role}|${now.name}`];
    const learned = !this.atPlace.has(place) || (feedbackOnly && !this.onPage.has(page));
    if (!this.atPlace.has(place)) this.atPlace.set(place, first);
    if (feedbackOnly && !this.onPage.has(page)) this.onPage.set(page, first);
    return learned;
  }

  /**
   * After a click whose only change was the names of controls that stayed in their places (the
   * same controls, roles, flags and headings; a button's click turned eight "CLEAR" buttons into
   * "SEARCH", or a sort relabelled the rows): the labels follow what was done, the view is the
   * same. Each new name is read as the first one at its place. `before` has its names read so
   * already. True when a name was learned.
   */
  learnRelabels(before: PageScan, after: PageScan): boolean {
    const shown = (scan: PageScan) => scan.elements.filter(structural);
    const [previous, next] = [shown(before), shown(after)];
    if (previous.length !== next.length || before.headings.join('\n') !== after.headings.join('\n')) return false;
    const bySelector = new Map(previous.map((element) => [element.selector, element]));
    if (bySelector.size !== previous.length) return false;
    const renamed: [ScannedElement, ScannedElement][] = [];
    for (const element of next) {
      const was = bySelector.get(element.selector);
      if (!was || was.role !== element.role || viewFlags(was) !== viewFlags(element) || was.value !== element.value || was.keys !== element.keys) return false;
      if (was.name !== this.nameOf(element.role, element.selector, element.name)) renamed.push([was, element]);
    }
    for (const [was, element] of renamed) this.atPlace.set(`${element.role}|${element.selector}|${element.name}`, was.name);
    return renamed.length > 0;
  }

  /** The elements, each control named by its first name. */
  apply(elements: readonly ScannedElement[]): ScannedElement[] {
    return elements.map((element) => {
      const name = this.nameOf(element.role, element.selector, element.name);
      return name === element.name ? element : { ...element, name };
    });
  }
}

/** The entries of one signature gone and come in the next (as multisets). */
function signatureChange(before: readonly string[], after: readonly string[]): { removed: string[]; added: string[] } {
  const counts = new Map<string, number>();
  for (const entry of before) counts.set(entry, (counts.get(entry) ?? 0) + 1);
  const added: string[] = [];
  for (const entry of after) {
    const left = counts.get(entry) ?? 0;
    if (left > 0) counts.set(entry, left - 1);
    else added.push(entry);
  }
  return { removed: [...counts.entries()].flatMap(([entry, count]) => Array<string>(count).fill(entry)), added };
}

/** Whether the only difference between two views is one control's value (role, name and flags the same). */
export function valueOnly(before: readonly string[], after: readonly string[]): boolean {
  const { removed, added } = signatureChange(before, after);
  if (removed.length !== 1 || added.length !== 1) return false;
  const [gone, come] = [removed[0].split('|'), added[0].split('|')];
  return gone.slice(0, 3).join('|') === come.slice(0, 3).join('|') && gone.slice(4).join('|') === come.slice(4).join('|') && gone[3] !== come[3];
}

/**
 * The new name of the clicked control when it is the only difference between two views (one
 * entry of its role and name gone, one of its role with another name and the same flags come),
 * else undefined.
 */
export function renamedOnly(before: readonly string[], after: readonly string[], clicked: { role: string; name: string }): string | undefined {
  const { removed, added } = signatureChange(before, after);
  if (removed.length !== 1 || added.length !== 1) return undefined;
  const [gone, come] = [removed[0].split('|'), added[0].split('|')];
  if (gone[0] !== clicked.role || gone[1] !== clicked.name || come[0] !== clicked.role || gone.slice(2).join('|') !== come.slice(2).join('|')) return undefined;
  return come[1];
}

/**
 * The element an action means, found without waiting: the recorded locator when it still shows a
 * visible element, else the one visible element with the recorded role and name (a re-render can
 * move a control, so a positional locator goes stale while its role and name hold).
 */
async function resolveTarget(page: Page, target: NonNullable<ExploreAction['target']>): Promise<Locator | undefined> {
  const visible = async (locator: Locator) => (await locator.isVisible().catch(() => false)) ? locator : undefined;
  const bySelector = target.selector ? await visible(page.locator(target.selector).first()) : undefined;
  if (bySelector) return bySelector;
  if (!target.role || !target.name) return undefined;
  const byRole = page.getByRole(target.role as Parameters<Page['getByRole']>[0], { name: target.name, exact: true });
  return (await byRole.count().catch(() => 0)) === 1 ? visible(byRole) : undefined;
}

function describeTarget(target: ExploreAction['target']): string {
  return target?.name ? `${target.role ?? 'element'} ${JSON.stringify(target.name)}` : (target?.selector ?? 'the target');
}

function titleOf(scan: PageScan): string {
  const dialog = scan.headings.find((heading) => heading.startsWith('dialog:'))?.slice(7);
  const heading = scan.headings.find((entry) => entry.startsWith('h1:'))?.slice(3);
  return [heading || scan.title || scan.url, dialog].filter(Boolean).join(' — ');
}

/** Whether a page call failed because the page it ran in was replaced by a navigation. */
export function navigatedAway(error: unknown): boolean {
  return /context was destroyed|navigat|frame was detached/i.test((error as Error)?.message ?? '');
}

/**
 * How long the DOM must stay unchanged after an action before the page counts as settled. What
 * comes later than that is waited for by name: the page's timers, its requests, finite animations
 * (see settleScript), and a change in the frame after the quiet. 120 ms cost sb-admin-2 and
 * jsoneditor (tune) a settle p50 of 83-113 ms at load 20; 60 ms, 21-37 ms, with the same states.
 */
const settleQuietMs = 60;

/**
 * Before an action: marks its moment on the page's change clock (listenerTracker), and turns off
 * jQuery's animations (`jQuery.fx.off`, jQuery's own switch: each one jumps to its end, its
 * callbacks run). jQuery animates from script, a style change per frame, and ignores the reduced
 * motion the context asks for; the settle cannot play it to its end as it does CSS and Web
 * Animations, so it waited out every frame of it plus the quiet after (sb-admin-2's scroll-to-top
 * fade after a scroll, a slideDown of 400 ms by default).
 */
const prepareAction = '(() => { if (window.__sfChanges) window.__sfChanges.acted = performance.now(); if (window.jQuery && window.jQuery.fx) window.jQuery.fx.off = true; })()';

/**
 * The scan comes back as one JSON string: Playwright's own serializer walks a returned object node
 * by node on both sides, and a scan of 130 controls (56 KB) took 204-409 ms to come back as an
 * object, 132-223 ms as text (load ~22); swagger-ui (tune) 44 -> 19 ms. Both give the same scan.
 */
const scanAsText = `JSON.stringify(${scanPage})`;

async function scanOf(page: Page): Promise<PageScan> {
  return JSON.parse((await withDeadline(() => page.evaluate(scanAsText), { ms: 5_000, what: 'the page scan' })) as string) as PageScan;
}

/** The picture hash of every web observation: states are told apart by their DOM signature alone. */
const noPicture = '0'.repeat(16);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

