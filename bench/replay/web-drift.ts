import type { BrowserContext, Page, Route } from 'playwright-core';

/**
 * Generic drift for ANY web page: nothing here knows our fixtures. Each condition is applied when
 * the page loads (an init script, a CSS injection, or a rewrite of the HTML/CSS/JS on the wire),
 * never by editing the page's files.
 */
export const webConditions = ['unchanged', 'reordered', 'banner', 'dark', 'zoom-0.8', 'zoom-1.25', 'renamed'] as const;
export type WebCondition = (typeof webConditions)[number];

/** How far the banner pushes the page down, in CSS pixels. */
export const bannerHeight = 96;

/** The kind of drift, for the targets: layout shift ≥ 95 %, theme/scale ≥ 90 %. */
export function webConditionFamily(condition: WebCondition): 'unchanged' | 'layout' | 'theme-scale' {
  if (condition === 'unchanged') return 'unchanged';
  if (condition === 'dark' || condition.startsWith('zoom')) return 'theme-scale';
  return 'layout';
}

/**
 * Runs in the page before its own scripts. Everything waits for DOMContentLoaded so the page's
 * scripts have bound their listeners (moving an element keeps its listeners).
 */
function driftScript(options: { reorder: boolean; banner: number; dark: boolean; zoom: number }): void {
  const containers =
    'ul, ol, menu, nav, tbody, fieldset, [role=menu], [role=menubar], [role=toolbar], [role=listbox], [role=tablist], [role=radiogroup], [role=list], [role=grid] > [role=rowgroup]';
  const done = new WeakSet<Element>();
  const movable = (element: Element) => !['SCRIPT', 'STYLE', 'TEMPLATE', 'LINK', 'META'].includes(element.tagName);
  const hasControl = (element: Element) => element.matches('input, select, textarea') || element.querySelector('input, select, textarea') !== null;
  /** A form group: two or more same-tag siblings that each hold a form control. */
  const isFormGroup = (element: Element) => {
    const items = [...element.children].filter(movable);
    return items.length >= 2 && items.every((item) => item.tagName === items[0].tagName && hasControl(item)) && !element.matches('form, body');
  };
  const reverse = (element: Element) => {
    if (done.has(element)) return;
    done.add(element);
    const items = [...element.children].filter(movable);
    if (items.length < 2) return;
    const anchor = items[items.length - 1].nextSibling;
    for (const item of items.reverse()) element.insertBefore(item, anchor);
  };
  const reorderWithin = (root: Element) => {
    const candidates = [...(root.matches(containers) ? [root] : []), ...root.querySelectorAll(containers)];
    for (const element of [root, ...root.querySelectorAll('div, section, form > *')]) if (isFormGroup(element)) candidates.push(element);
    for (const element of candidates) reverse(element);
  };
  const apply = () => {
    const root = document.documentElement;
    if (options.zoom !== 1) root.style.setProperty('zoom', String(options.zoom));
    if (options.dark) {
      // The filter mode of dark-theme extensions: works on any page, keeps contrast and layout.
      const style = document.createElement('style');
      style.setAttribute('data-drift', 'dark');
      style.textContent =
        'html { background: #fff !important; filter: invert(0.92) hue-rotate(180deg) !important; }' +
        ' img, video, picture, canvas, svg image { filter: invert(1) hue-rotate(180deg) !important; }';
      (document.head ?? root).appendChild(style);
    }
    if (options.banner > 0 && document.body) {
      const banner = document.createElement('div');
      banner.setAttribute('data-drift', 'banner');
      banner.setAttribute('role', 'note');
      banner.style.cssText = `display:block;box-sizing:border-box;height:${options.banner}px;margin:0;padding:16px 24px;background:#fff4ce;color:#5c4400;border-bottom:2px solid #e0b400;font:16px/1.4 sans-serif;overflow:hidden;`;
      banner.textContent = 'Scheduled maintenance tonight from 22:00 to 23:00 UTC. Some features may be unavailable. Save your work.';
      document.body.insertBefore(banner, document.body.firstChild);
    }
    if (options.reorder && document.body) {
      reorderWithin(document.body);
      // Menus and lists built later are reordered once when they appear.
      new MutationObserver((records) => {
        for (const record of records) for (const node of record.addedNodes) if (node.nodeType === 1 && (node as Element).isConnected) reorderWithin(node as Element);
      }).observe(document.body, { childList: true, subtree: true });
    }
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', apply, { once: true });
  else apply();
}

/** Applies a condition to a fresh context and page, before the first navigation. */
export async function applyWebCondition(context: BrowserContext, page: Page, condition: WebCondition, origin: string): Promise<void> {
  if (condition === 'unchanged') return;
  if (condition === 'renamed') {
    await context.route('**/*', (route) => renameRoute(route, origin));
    return;
  }
  const options = {
    reorder: condition === 'reordered',
    banner: condition === 'banner' ? bannerHeight : 0,
    dark: condition === 'dark',
    zoom: condition === 'zoom-0.8' ? 0.8 : condition === 'zoom-1.25' ? 1.25 : 1,
  };
  // As source text with a no-op `__name`: the TypeScript loader may wrap inner functions in it.
  await page.addInitScript({ content: `(() => { const __name = (target) => target; (${driftScript.toString()})(${JSON.stringify(options)}); })();` });
}

// ---------------------------------------------------------------------------------------------
// Renamed classes and ids: every class and id token is rewritten consistently in the HTML, its
// CSS (selectors only) and its scripts (string literals that name a token or a selector), the way
// a build tool that minifies class names would ship the same app with new names.

/** The new name of a token: stable, so a page and its stylesheet agree without sharing state. */
export function renamedToken(token: string): string {
  let hash = 0x811c9dc5;
  for (const character of token) {
    hash ^= character.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `d${hash.toString(36)}`;
}

const identifier = /-?[_a-zA-Z][\w-]*/;
const tokenPattern = new RegExp(`([.#])(${identifier.source})`, 'g');

/** Class/id tokens named by a page: its class and id attributes and its CSS selectors. */
export function collectTokens(html: string, tokens = new Set<string>()): Set<string> {
  for (const match of html.matchAll(/\s(?:class|id)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)) for (const token of (match[1] ?? match[2]).split(/\s+/)) if (token) tokens.add(token);
  for (const style of html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/gi)) collectCssTokens(style[1], tokens);
  return tokens;
}

export function collectCssTokens(css: string, tokens: Set<string>): Set<string> {
  for (const prelude of css.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/([^{}]+)\{/g)) for (const match of prelude[1].matchAll(tokenPattern)) tokens.add(match[2]);
  return tokens;
}

const referenceAttributes = 'class|id|for|aria-controls|aria-labelledby|aria-describedby|aria-owns|aria-activedescendant|aria-details|aria-errormessage|list|form|headers|popovertarget|anchor';

function renameAttributes(html: string, tokens: Set<string>): string {
  const attribute = new RegExp(`(\\s(?:${referenceAttributes})\\s*=\\s*)("([^"]*)"|'([^']*)')`, 'gi');
  let result = html.replace(attribute, (_all, head: string, quoted: string, double?: string, single?: string) => {
    const value = double ?? single ?? '';
    const renamed = value.replace(/[^\s]+/g, (token) => (tokens.has(token) ? renamedToken(token) : token));
    const quote = quoted[0];
    return `${head}${quote}${renamed}${quote}`;
  });
  result = result.replace(/(\shref\s*=\s*["'])#([^"'\s]+)/gi, (all, head: string, token: string) => (tokens.has(token) ? `${head}#${renamedToken(token)}` : all));
  return result;
}

export function renameCss(css: string, tokens: Set<string>): string {
  return css.replace(/([^{}]+)\{/g, (_all, prelude: string) => `${prelude.replace(tokenPattern, (all, mark: string, token: string) => (tokens.has(token) ? `${mark}${renamedToken(token)}` : all))}{`);
}

/** String literals in a script: a bare token, a selector, or a snippet of HTML. */
export function renameScript(script: string, tokens: Set<string>): string {
  return script.replace(/(['"`])((?:\\.|(?!\1)[^\\\n])*)\1/g, (all, quote: string, content: string) => {
    if (tokens.has(content)) return `${quote}${renamedToken(content)}${quote}`;
    if (content.includes('<') && /\s(?:class|id)\s*=/.test(content)) return `${quote}${renameAttributes(content, tokens)}${quote}`;
    if (/^[\w\s.#[\]=:>+~*(),"'-]+$/.test(content) && /[.#]/.test(content)) {
      return `${quote}${content.replace(tokenPattern, (match, mark: string, token: string) => (tokens.has(token) ? `${mark}${renamedToken(token)}` : match))}${quote}`;
    }
    return all;
  });
}

/** A whole HTML document: attributes, <style> blocks and inline <script> blocks. */
export function renameHtml(html: string, tokens: Set<string>): string {
  const parts = html.split(/(<style[^>]*>[\s\S]*?<\/style>|<script[^>]*>[\s\S]*?<\/script>)/gi);
  return parts
    .map((part) => {
      const style = /^(<style[^>]*>)([\s\S]*?)(<\/style>)$/i.exec(part);
      if (style) return `${style[1]}${renameCss(style[2], tokens)}${style[3]}`;
      const script = /^(<script[^>]*>)([\s\S]*?)(<\/script>)$/i.exec(part);
      if (script) return `${renameAttributes(script[1], tokens)}${renameScript(script[2], tokens)}${script[3]}`;
      return renameAttributes(part, tokens);
    })
    .join('');
}

const tokensByOrigin = new Map<string, Set<string>>();

async function renameRoute(route: Route, origin: string): Promise<void> {
  const request = route.request();
  if (!request.url().startsWith(origin)) return route.continue();
  const type = request.resourceType();
  if (type !== 'document' && type !== 'stylesheet' && type !== 'script') return route.continue();
  const response = await route.fetch();
  const body = await response.text();
  let tokens = tokensByOrigin.get(origin);
  if (!tokens) {
    tokens = new Set();
    tokensByOrigin.set(origin, tokens);
  }
  let rewritten: string;
  if (type === 'document') {
    collectTokens(body, tokens);
    rewritten = renameHtml(body, tokens);
  } else if (type === 'stylesheet') {
    collectCssTokens(body, tokens);
    rewritten = renameCss(body, tokens);
  } else {
    rewritten = renameScript(body, tokens);
  }
  await route.fulfill({ response, body: rewritten, headers: { ...response.headers(), 'content-length': String(Buffer.byteLength(rewritten)) } });
}
