import type { Page, Request } from 'playwright-core';
import type { ExpectedPostState } from '../../../core/schemas/skill.ts';
import { elementStateSource, interactiveSelector } from '../element-state.ts';

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
  url?: string;
  /** With no text or URL to wait for: any DOM mutation or user-visible event counts. */
  change: boolean;
  timeoutMs: number;
}

/**
 * Runs in the page: resolves the moment the condition holds, re-checking on every DOM mutation
 * (batched per animation frame) and on URL changes, instead of polling screenshots. The page
 * counts mutations and input events since it was armed, so a click that only checks a radio (a
 * property, not an attribute) or focuses a field still counts as a change. Plain JavaScript in a
 * string: what the TypeScript loader adds to named functions does not exist in the page.
 */
const waitInPage = `(condition) => {
  const host = window;
  // A document that was never armed is a new one: the action navigated, which is a change.
  const watch = host.__skillframeWatch || (host.__skillframeWatch = { changes: 1, listeners: false });
  // The same normalisation as text-match.ts normalizeLabel.
  const normalize = (text) => text.normalize('NFKC').toLowerCase()
    .replace(/[\\u2018\\u2019\\u0060\\u00b4]/g, "'").replace(/[\\u201c\\u201d]/g, '"')
    .replace(/[\\u2010-\\u2015\\u2212]/g, '-').replace(/\\s+/g, ' ').trim();
  const sameUrl = (actual, expected) => {
    try {
      const a = new URL(actual);
      const b = new URL(expected);
      return a.pathname.replace(/\\/$/, '') === b.pathname.replace(/\\/$/, '') && a.hash === b.hash;
    } catch (error) {
      return actual === expected;
    }
  };
  const wanted = condition.texts.map(normalize).filter(Boolean);
  const pageText = () => {
    const values = Array.from(document.querySelectorAll('input, textarea, select')).map((element) => element.value || '');
    return normalize((document.body ? document.body.innerText : '') + '\\n' + values.join('\\n'));
  };
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
    if (wanted.length) {
      const text = pageText();
      return wanted.every((item) => text.includes(item)) ? 'text' : undefined;
    }
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
    observer = new MutationObserver(() => {
      watch.changes += 1;
      recheck();
    });
    observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    addEventListener('hashchange', recheck);
    addEventListener('popstate', recheck);
    document.addEventListener('input', recheck, true);
    document.addEventListener('change', recheck, true);
    timer = setTimeout(() => finish({ held: false, by: 'timeout' }), Math.max(0, condition.timeoutMs));
    check();
  });
}`;

/** Resets the page's change counter before the action, installing its listeners the first time. */
const armInPage = `(() => {
  const watch = window.__skillframeWatch || (window.__skillframeWatch = { changes: 0, listeners: false });
  watch.changes = 0;
  if (!watch.listeners) {
    watch.listeners = true;
    for (const type of ['input', 'change', 'focusin', 'click', 'submit', 'keydown', 'toggle']) {
      document.addEventListener(type, () => { watch.changes += 1; }, true);
    }
  }
})()`;

/**
 * Arms a page before an action: counts the page's own requests that start from now on (from
 * Playwright's side, nothing is patched into the page) and resets the in-page change counter.
 * `wait` then returns the moment the step's expected post-state holds — the expected text, the
 * URL — or, when nothing more specific is expected, once the DOM changed and the requests the
 * action started have finished; bounded by `timeoutMs` either way.
 */
export async function armPage(page: Page): Promise<ArmedPage> {
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
  await page.evaluate(armInPage).catch(() => undefined);
  const dispose = () => {
    page.off('request', started);
    page.off('requestfinished', ended);
    page.off('requestfailed', ended);
    drained?.();
  };
  return {
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
      return { ...result, ms: Date.now() - begun };
    },
  };
}
