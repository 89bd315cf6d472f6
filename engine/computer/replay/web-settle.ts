import type { Page, Request } from 'playwright-core';
import type { ExpectedPostState } from '../../../core/schemas/skill.ts';
import { elementStateSource, focusedFieldValueSource, interactiveSelector } from '../element-state.ts';
import { invisibleCharacterClass } from '../../../core/text.ts';

/**
 * Page text and what of it APPEARED, as JavaScript source for the page (an object of functions):
 * the arming reads, for each text a step expects, how often it occurs and the lines that hold it;
 * the wait and the checks then count a text as appeared only when it occurs more often than it did
 * before the action, or a line holding it is new (a heading shown where a longer button label held
 * the same words before). Text already on the page proves nothing: the motion fixture's expected
 * "Quarterly report" was matched by the button "Show quarterly report" while the click did nothing.
 * A document the arming never saw (the action navigated) has no baseline: all its text is new.
 * Hidden text that becomes visible appears (innerText leaves out what is not rendered); a field's
 * value counts as a line of its own, so typed text appears too.
 */
const pageTextLibrary = String.raw`({
  // The same normalisation as text-match.ts normalizeLabel.
  normalize: (text) => text.normalize('NFC').replace(/[INVISIBLE]/gu, '').normalize('NFKC').toLowerCase()
    .replace(/[\u2018\u2019\u0060\u00b4]/g, "'").replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-').replace(/\s+/g, ' ').trim(),
  // The document and its open shadow roots (bounded).
  roots: () => {
    const roots = [document];
    for (let index = 0; index < roots.length && roots.length < 500; index += 1) for (const element of roots[index].querySelectorAll('*')) if (element.shadowRoot) roots.push(element.shadowRoot);
    return roots;
  },
  // The rendered text, the text of open shadow roots and every field's value, as normalised lines.
  lines: function (roots) {
    const values = roots.flatMap((root) => Array.from(root.querySelectorAll('input, textarea, select')).map((element) => element.value || ''));
    // A shadow root's text as rendered too (its elements' innerText): text it holds hidden is not
    // on the page yet, and shows as appearing when it is shown (the body's innerText stops at shadow roots).
    // An element with no box answers innerText with all its text: it is left out (its children
    // read for display: contents, which draws them without a box of its own).
    const rendered = (parent) => Array.from(parent.children).map((element) => {
      if (['STYLE', 'SCRIPT', 'TEMPLATE', 'LINK'].includes(element.tagName)) return '';
      if (element.getClientRects().length) return element.innerText || '';
      return getComputedStyle(element).display === 'contents' ? rendered(element) : '';
    }).join('\n');
    const raw = [document.body ? document.body.innerText : ''].concat(roots.slice(1).map(rendered), values);
    return raw.join('\n').split('\n').map(this.normalize).filter(Boolean);
  },
  count: (haystack, needle) => (needle ? haystack.split(needle).length - 1 : 0),
  // For each expected text: how often it occurs and the lines holding it, before the action.
  baseline: function (wanted, lines) {
    const whole = lines.join(' ');
    const baseline = {};
    for (const item of wanted.map(this.normalize).filter(Boolean)) baseline[item] = { count: this.count(whole, item), lines: lines.filter((line) => line.includes(item)) };
    return baseline;
  },
  // The expected texts that have not appeared since the baseline (none taken: present is enough).
  missing: function (wanted, lines, baseline) {
    const whole = lines.join(' ');
    return wanted.filter((text) => {
      const item = this.normalize(text);
      if (!item) return false;
      const before = baseline && baseline[item];
      if (!before) return !whole.includes(item);
      if (this.count(whole, item) > before.count) return false;
      return !lines.some((line) => line.includes(item) && !before.lines.includes(line));
    });
  },
})`.replace('INVISIBLE', invisibleCharacterClass);

/**
 * Runs in the page: the expected texts that have not appeared since the page was armed (see
 * pageTextLibrary). The checks after a step call it; an unarmed document is a new one.
 */
export const missingTextsSource = `(wanted) => {
  const text = ${pageTextLibrary};
  const watch = window.__skillframeWatch;
  return text.missing(wanted, text.lines(text.roots()), watch && watch.textsBefore);
}`;

/** What the page showed when the wait ended. */
export interface PageWait {
  /** True when the expected post-state (or, with nothing specific expected, a change) was seen. */
  held: boolean;
  /** What ended the wait: the expected text, the URL, a DOM change or event, or the deadline. */
  by: 'state' | 'text' | 'url' | 'change' | 'nothing-expected' | 'timeout';
  ms: number;
}

/** A page watched from just before an action until its expected post-state holds. */
export interface ArmedPage {
  /**
   * What the action lands on paints where the DOM cannot see it (a canvas, video, SVG, a frame,
   * a plugin, a component without an open shadow root): a change there shows only in pixels.
   */
  opaque: boolean;
  /** Starts the count of changes afresh (after a screenshot taken between arming and acting). */
  rearm(): Promise<void>;
  /** `acted`: where a click landed (page pixels), whose element's ARIA state the step expects. */
  wait(expected: ExpectedPostState | undefined, options: { timeoutMs: number; signal?: AbortSignal; acted?: { x: number; y: number } }): Promise<PageWait>;
  dispose(): void;
}

interface PageCondition {
  /** ARIA states (expanded, checked, …) the acted element (or the focused one) must reach. */
  states: Record<string, boolean>;
  acted: { x: number; y: number } | null;
  /** A dialog or region the step shows: checked by role afterwards; here, a DOM change. */
  shown: boolean;
  texts: string[];
  /** A type step: the focused field's value must end with this, case and all (when the focus is on a field). */
  fieldGained?: string;
  url?: string;
  /** With no text or URL to wait for: any DOM mutation or user-visible event counts. */
  change: boolean;
  timeoutMs: number;
}

/**
 * Runs in the page: whether the page at `actual` is where `expected` leads — the same path, and the
 * same hash, or, where the expected hash is a place on the page (not a hash route such as
 * `#/orders`), that place scrolled to: a scroll-spy rewrites the hash as sections pass while the
 * page scrolls, so the hash a link set may be gone while its section is where the link left it.
 * Scrolled to is strict: the place's top at the top of its scrolling area (a sticky header's margin
 * allowed), or in view where the area cannot scroll further; a neighbouring section merely in view
 * is not. Places are looked up in the document and its open shadow roots.
 */
export const sameRouteSource = `(actual, expected) => {
  let a;
  let b;
  try {
    a = new URL(actual);
    b = new URL(expected);
  } catch (error) {
    return actual === expected;
  }
  if (a.pathname.replace(/\\/$/, '') !== b.pathname.replace(/\\/$/, '')) return false;
  if (a.hash === b.hash) return true;
  if (!b.hash || /^#!?\\//.test(b.hash) || typeof document === 'undefined') return false;
  let id = b.hash.slice(1);
  try {
    id = decodeURIComponent(id);
  } catch (error) {}
  const find = (root, depth) => {
    const found = root.getElementById(id) || root.querySelector('a[name="' + CSS.escape(id) + '"]');
    if (found || depth > 3) return found;
    for (const element of root.querySelectorAll('*')) {
      const inner = element.shadowRoot ? find(element.shadowRoot, depth + 1) : null;
      if (inner) return inner;
    }
    return null;
  };
  const place = find(document, 0);
  if (!place) return false;
  const box = place.getBoundingClientRect();
  if (!box.width && !box.height) return false;
  let scroller = place.parentElement || (place.getRootNode && place.getRootNode().host) || null;
  while (scroller && !(scroller.scrollHeight > scroller.clientHeight + 1 && /(auto|scroll)/.test(getComputedStyle(scroller).overflowY))) {
    scroller = scroller.parentElement || (scroller.getRootNode && scroller.getRootNode().host) || null;
  }
  const area = scroller || document.scrollingElement || document.documentElement;
  const port = scroller ? scroller.getBoundingClientRect() : { top: 0, bottom: innerHeight };
  const atEnd = area.scrollTop + area.clientHeight >= area.scrollHeight - 2;
  const offset = box.top - port.top;
  return (offset >= -2 && offset <= 64) || (atEnd && box.top < port.bottom && box.bottom > port.top);
}`;

/**
 * Runs in the page: resolves the moment the condition holds, re-checking on every DOM mutation
 * (batched per animation frame) and on URL changes, instead of polling screenshots. The changes
 * a person could see since the page was armed are counted by the arming (armInPage), so a click
 * that only checks a radio (a property, not an attribute) or focuses a field still counts as a
 * change. Plain JavaScript in a string: what the TypeScript loader adds to named functions does
 * not exist in the page.
 */
const waitInPage = `(condition) => {
  const host = window;
  // A document that was never armed is a new one: the action navigated, which is a change.
  const watch = host.__skillframeWatch || (host.__skillframeWatch = { changes: 1 });
  const text = ${pageTextLibrary};
  const sameUrl = ${sameRouteSource};
  const wanted = condition.texts;
  // The shadow roots the arming found (roots attached since are read by the checks afterwards).
  const roots = [document].concat(watch.shadowRoots || []);
  const readState = ${elementStateSource};
  const stateHolds = () => {
    let element = condition.acted ? document.elementFromPoint(condition.acted.x, condition.acted.y) : document.activeElement;
    element = element && (element.closest(${JSON.stringify(interactiveSelector)}) || element);
    if (!element || element === document.body) return undefined;
    const state = readState(element);
    if (!state.present) return undefined;
    return Object.keys(condition.states).every((key) => state[key] === condition.states[key]);
  };
  const holds = () => {
    if (condition.url && !sameUrl(location.href, condition.url)) return undefined;
    // The action's own effect first (as the checks do); page text only when it cannot be read.
    const stateKnown = Object.keys(condition.states).length ? stateHolds() : undefined;
    if (stateKnown !== undefined) return stateKnown ? 'state' : undefined;
    if (condition.shown) return watch.changes > 0 ? 'change' : undefined;
    if (condition.fieldGained !== undefined) {
      const value = (${focusedFieldValueSource})();
      if (typeof value === 'string' && !value.endsWith(condition.fieldGained)) return undefined;
    }
    if (wanted.length) return text.missing(wanted, text.lines(roots), watch.textsBefore).length ? undefined : 'text';
    if (condition.url) return 'url';
    if (condition.change) return watch.changes > 0 ? 'change' : undefined;
    return 'nothing-expected';
  };
  return new Promise((resolve) => {
    let done = false;
    let scheduled = false;
    let observer;
    let timer;
    const finish = (result) => {
      if (done) return;
      done = true;
      observer.disconnect();
      watch.notify = undefined;
      clearTimeout(timer);
      removeEventListener('hashchange', recheck);
      removeEventListener('popstate', recheck);
      document.removeEventListener('input', recheck, true);
      document.removeEventListener('change', recheck, true);
      resolve(result);
    };
    const check = () => {
      scheduled = false;
      const by = holds();
      if (by) finish({ held: true, by });
    };
    // One check per frame however many mutations arrive: innerText forces a layout.
    const recheck = () => {
      if (scheduled || done) return;
      scheduled = true;
      requestAnimationFrame(check);
      // A hidden or throttled page runs no animation frames: a timer backs the frame up.
      setTimeout(() => { if (scheduled) check(); }, 50);
    };
    // Changes are counted by the watch installed when the page was armed; this only re-checks.
    observer = new MutationObserver(recheck);
    // The arming's watch sees into open shadow roots too.
    watch.notify = recheck;
    observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    addEventListener('hashchange', recheck);
    addEventListener('popstate', recheck);
    document.addEventListener('input', recheck, true);
    document.addEventListener('change', recheck, true);
    timer = setTimeout(() => finish({ held: false, by: 'timeout' }), Math.max(0, condition.timeoutMs));
    check();
  });
}`;

/**
 * Runs in the page before the action: installs (once per document) a count of the changes a person
 * could see — DOM mutations of rendered content (in open shadow roots too), a field's value or a
 * box's checked state changing, the focus landing where the page draws it (`:focus-visible`), the
 * URL's fragment or history moving — and resets it. Input events themselves (click, keydown) are not
 * changes: a click on nothing still changes nothing. Records that arrived before arming are
 * dropped. Takes the step's expected `texts` as the page shows them now (the baseline of what
 * appears: see pageTextLibrary). Answers whether what the action lands on (the element at `at`, else the focused one)
 * paints where the DOM cannot see it.
 */
const armInPage = `({ at, texts, scrolls }) => {
  const watch = window.__skillframeWatch || (window.__skillframeWatch = { changes: 0 });
  const shows = (node) => {
    const element = node && (node.nodeType === 1 ? node : node.parentElement);
    if (!element || !element.isConnected) return false;
    return typeof element.checkVisibility === 'function' ? element.checkVisibility() : element.getClientRects().length > 0;
  };
  const hiding = ['class', 'style', 'hidden', 'open'];
  const seen = (record) => {
    if (record.type === 'childList') {
      if (!shows(record.target)) return false;
      return record.removedNodes.length > 0 || Array.from(record.addedNodes).some((node) => (node.nodeType === 3 ? node.data.trim() !== '' : shows(node)));
    }
    if (shows(record.target)) return true;
    // An element hidden by this very change, in a container that shows: something disappeared.
    return record.type === 'attributes' && hiding.includes(record.attributeName) && shows(record.target.parentElement);
  };
  const options = { subtree: true, childList: true, attributes: true, characterData: true };
  if (!watch.observer) {
    watch.roots = new WeakSet();
    // The elements changed since arming (bounded): whether any of them may still be moving decides
    // if the end of a step waits for animations to start (finiteAnimationsEnd).
    watch.handle = (records) => {
      for (const record of records) {
        if (watch.touched.size >= 100) break;
        if (record.type === 'attributes') watch.touched.add(record.target);
        else for (const node of record.addedNodes) watch.touched.add(node.nodeType === 1 ? node : record.target);
      }
      if (records.some(seen)) watch.changes += 1;
      if (watch.notify) watch.notify();
    };
    watch.observer = new MutationObserver((records) => watch.handle(records));
    watch.observer.observe(document, options);
    const count = () => {
      watch.changes += 1;
      if (watch.notify) watch.notify();
    };
    for (const type of ['input', 'change', 'toggle']) document.addEventListener(type, count, true);
    addEventListener('hashchange', count);
    addEventListener('popstate', count);
    // A scroll step's own change is the content moving: a page whose scroll-spy only rewrites the
    // hash (replaceState, no event) shows it by nothing else. Counted only for scroll steps, so a
    // click that merely scrolled the page (a grounding's scroll into view) proves nothing.
    watch.scrolled = () => {
      if (watch.scrolls) count();
    };
    document.addEventListener('scroll', watch.scrolled, true);
    document.addEventListener('focusin', (event) => {
      const target = event.composedPath()[0];
      if (target && target.matches && target.matches(':focus-visible')) count();
    }, true);
  }
  // Open shadow roots attached since the last arming are watched too.
  const text = ${pageTextLibrary};
  const pending = text.roots();
  for (const root of pending.slice(1)) {
    if (!watch.roots.has(root)) {
      watch.roots.add(root);
      watch.observer.observe(root, options);
      // A scroll event is not composed: one inside a shadow root (a web component's panel) stops
      // there and never reaches the document's listener.
      root.addEventListener('scroll', watch.scrolled, true);
    }
  }
  watch.observer.takeRecords();
  watch.changes = 0;
  watch.scrolls = Boolean(scrolls);
  watch.touched = new Set();
  watch.shadowRoots = pending.slice(1);
  // What the step expects to appear, as the page shows it now (only the step's own texts are kept).
  watch.textsBefore = texts.length ? text.baseline(texts, text.lines(pending)) : undefined;
  let element = at ? document.elementFromPoint(at.x, at.y) : document.activeElement;
  while (element && element.shadowRoot) {
    const inner = at ? element.shadowRoot.elementFromPoint(at.x, at.y) : element.shadowRoot.activeElement;
    if (!inner || inner === element) break;
    element = inner;
  }
  if (!element) return false;
  if (element.closest('canvas, svg, video, iframe, frame, embed, object')) return true;
  // The deepest element reached is a custom element without an open shadow root: it may draw
  // from a closed one, whose changes no observer here can see.
  return element.localName.includes('-') && !element.shadowRoot;
}`;

/** The longest replay waits for a page's finite animations to end after a step's effect shows. */
const animationWaitMs = 1_500;

/**
 * Runs in the page: resolves when the animations and transitions that end by themselves have ended
 * (looping ones, spinners, are never waited for), or after `maxMs`, then one frame. A page often
 * starts its transition a frame or two after the change that showed the text (a class added in
 * requestAnimationFrame), so where something changed since arming could still move — it, or an
 * element inside it, declares a transition or an animation — the look is taken after two frames.
 * Where nothing changed could move and nothing runs, it answers at once: two frames on every step
 * (17–33 ms, plus a round trip) was most of web replay's time over a Playwright script (1.2× → 1.5–1.7×).
 * A new document (no arming) is looked at after the frames, as before.
 */
const finiteAnimationsEnd = `(maxMs) => {
  const finite = () => (document.getAnimations ? document.getAnimations() : []).filter((animation) => animation.playState === 'running' && animation.effect && animation.effect.getComputedTiming().endTime !== Infinity);
  const watch = window.__skillframeWatch;
  if (watch && watch.handle && watch.observer) watch.handle(watch.observer.takeRecords());
  const declares = (element) => {
    const style = getComputedStyle(element);
    return (style.animationName && style.animationName !== 'none') || style.transitionDuration.split(',').some((value) => parseFloat(value) > 0);
  };
  const mayMove = () => {
    if (!watch || !watch.touched) return true;
    let looked = 0;
    for (const element of watch.touched) {
      if (!element.isConnected || element.nodeType !== 1) continue;
      if (declares(element)) return true;
      for (const inner of element.querySelectorAll('*')) {
        // Too many to read: assume something may move.
        if ((looked += 1) > 400) return true;
        if (declares(inner)) return true;
      }
    }
    return false;
  };
  if (!finite().length && !mayMove()) return Promise.resolve(true);
  return new Promise((started) => {
    requestAnimationFrame(() => requestAnimationFrame(started));
    // A hidden or throttled page runs no animation frames: a timer backs them up.
    setTimeout(started, 100);
  }).then(() => {
    const running = finite();
    if (!running.length) return true;
    return Promise.race([
      Promise.all(running.map((animation) => animation.finished.catch(() => undefined))),
      new Promise((wake) => setTimeout(wake, maxMs)),
    ]).then(() => new Promise((resolve) => requestAnimationFrame(() => resolve(true))));
  });
}`;

/**
 * Arms a page before an action: counts the page's own requests that start from now on (from
 * Playwright's side, nothing is patched into the page) and resets the in-page change counter.
 * `wait` then returns the moment the step's expected post-state holds — the expected text, the
 * URL — or, when nothing more specific is expected, once the DOM changed and the requests the
 * action started have finished; bounded by `timeoutMs` either way.
 */
export async function armPage(page: Page, options: { at?: { x: number; y: number }; texts?: readonly string[]; scrolls?: boolean } = {}): Promise<ArmedPage> {
  const pending = new Set<Request>();
  let drained: (() => void) | undefined;
  const started = (request: Request) => {
    if (request.frame() === page.mainFrame() || request.resourceType() === 'fetch' || request.resourceType() === 'xhr') pending.add(request);
  };
  const ended = (request: Request) => {
    pending.delete(request);
    if (pending.size === 0) drained?.();
  };
  page.on('request', started);
  page.on('requestfinished', ended);
  page.on('requestfailed', ended);
  const navigated = page.mainFrame().url();
  const arm = () => page.evaluate(`(${armInPage})(${JSON.stringify({ at: options.at ?? null, texts: options.texts ?? [], scrolls: options.scrolls ?? false })})`).catch(() => true);
  // A page that cannot be read counts as opaque: its change is then judged by pixels.
  const opaque = (await arm()) !== false;
  const dispose = () => {
    page.off('request', started);
    page.off('requestfinished', ended);
    page.off('requestfailed', ended);
    drained?.();
  };
  return {
    opaque,
    rearm: async () => {
      await arm();
    },
    dispose,
    async wait(expected, { timeoutMs, signal, acted }) {
      const begun = Date.now();
      const effect = expected?.effect;
      const states = Object.fromEntries((['expanded', 'checked', 'selected', 'pressed', 'focused'] as const).filter((key) => effect?.[key] !== undefined).map((key) => [key, effect![key] as boolean]));
      const condition: PageCondition = {
        states,
        acted: acted ?? null,
        shown: Boolean(effect?.shown.length),
        texts: expected?.dom_text_appears ?? [],
        ...(expected?.field_gained !== undefined ? { fieldGained: expected.field_gained } : {}),
        ...(expected?.url ? { url: expected.url } : {}),
        change: Boolean(expected?.changed_region || expected?.ocr_text_appears.length),
        timeoutMs,
      };
      const remaining = () => Math.max(0, timeoutMs - (Date.now() - begun));
      let result: { held: boolean; by: PageWait['by'] } = { held: false, by: 'timeout' };
      while (!signal?.aborted && remaining() > 0) {
        try {
          result = (await page.evaluate(`(${waitInPage})(${JSON.stringify({ ...condition, timeoutMs: remaining() })})`)) as typeof result;
          break;
        } catch (error) {
          // The action navigated: the old document's context is gone. Look again in the new one.
          // Anything else ends the wait; the checks then decide on what the page shows.
          if (page.isClosed() || !/context|navigat|detached/i.test((error as Error).message)) break;
          await page.waitForLoadState('domcontentloaded', { timeout: Math.max(1, remaining()) }).catch(() => undefined);
          if (!condition.texts.length && !condition.url && page.mainFrame().url() !== navigated) {
            result = { held: true, by: 'change' };
            break;
          }
        }
      }
      // A step that loaded another page is done when that page has loaded: the text it expects
      // can show while the page is still parsing, before the scripts at its end (a menu's
      // handlers) have run, and the next step must not act on a half-built page.
      if (page.mainFrame().url() !== navigated) await page.waitForLoadState('load', { timeout: Math.max(1, timeoutMs) }).catch(() => undefined);
      // A change is only the start of one: let the requests the action started finish.
      if (result.by === 'change' && pending.size > 0 && remaining() > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining());
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        drained = undefined;
      }
      // What the step expected shows at the start of a transition (an accordion's links are in the
      // DOM as it begins to slide open); a page that ignores input until it has finished moving
      // (Bootstrap's collapse while another one slides) would drop the next step's click. A
      // person waits for the UI to stop moving, and so does replay: finite animations end first.
      if (result.held && remaining() > 0) await page.evaluate(`(${finiteAnimationsEnd})(${Math.min(remaining(), animationWaitMs)})`).catch(() => undefined);
      return { ...result, ms: Date.now() - begun };
    },
  };
}
