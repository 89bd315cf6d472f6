import { SkillframeError } from '../../../core/index.ts';
import { cleanText } from '../../../core/text.ts';
import { launchBrowser, type BrowserSession } from '../../../native/browser/browser.ts';
import { chordForPlaywright, parseChord } from '../../../native/input/keys.ts';
import { decodeImage } from '../../../native/image.ts';
import type { Surface } from './surface.ts';
import { scrollPlaceAt, scrollStopped, wheelTowards } from '../scroll-place.ts';

/** A web page as a replay surface. Owns the browser when it launched it. */
export function pageSurface(page: import('playwright-core').Page, owned?: BrowserSession): Surface {
  const origin = safeOrigin(page.url());
  const alive = async () => !page.isClosed() && (origin === undefined || safeOrigin(page.url()) === origin);
  return {
    kind: 'web',
    page,
    capture: async () => {
      try {
        return await decodeImage((await fastScreenshot(page)) ?? (await page.screenshot({ type: 'png', animations: 'disabled', caret: 'hide', timeout: 10_000 })));
      } catch (error) {
        // A page mid-navigation or closed cannot be photographed: that is the page going away,
        // a coded condition, not a bug in Skillframe.
        const reason = (error as Error).message.split('\n')[0];
        throw new SkillframeError('unavailable', (await alive()) ? `cannot take a screenshot of the page: ${reason}` : 'the page navigated away or closed');
      }
    },
    click: async (point, options = {}) => {
      await page.mouse.click(point.x, point.y, { button: options.button ?? 'left', clickCount: options.count ?? 1 });
    },
    type: async (text, options = {}) => {
      const characters = Array.from(text);
      // One insertion (the `input` events a fill sends) where the recording showed plain text going
      // into the field and the focus is now in a plain text field; the last character is a real
      // key, so handlers that listen for keys (search as you type) see the whole value once.
      if (options.insert && characters.length > 1 && !/[\u0000-\u001f\u007f]/.test(text) && (await page.evaluate(plainFieldFocused).catch(() => false))) {
        await page.keyboard.insertText(characters.slice(0, -1).join(''));
        await page.keyboard.type(characters.at(-1)!);
        return;
      }
      await page.keyboard.type(text);
    },
    press: async (chord) => {
      const parsed = parseChord(chord);
      if (!parsed) throw new SkillframeError('bad_input', `plan.json: key chord ${JSON.stringify(chord)} is not understood`);
      await page.keyboard.press(chordForPlaywright(parsed));
    },
    scroll: async (point, dx, dy, to) => {
      await page.mouse.move(point.x, point.y);
      if (!to) return page.mouse.wheel(dx, dy);
      // To the place the recording reached, from wherever this container starts (a page that
      // opens scrolled, a step before that scrolled it): the wheel turns by what is left, and
      // turns again while a turn moved it but not yet there (content that grows as it scrolls).
      for (let turn = 0; turn < 4; turn += 1) {
        const live = await scrollPlaceAt(page, point);
        if (!live) {
          if (turn === 0) await page.mouse.wheel(dx, dy);
          return;
        }
        const left = wheelTowards(live, to);
        if (Math.abs(left.dx) <= 1 && Math.abs(left.dy) <= 1) return;
        await page.mouse.wheel(left.dx, left.dy);
        if (!(await scrollStopped(page, point, live))) return;
      }
    },
    hover: async (point) => {
      await page.mouse.move(point.x, point.y);
    },
    select: async (point, value) => {
      // The recorded value is the option's label as the recorder cleaned it; the option is found
      // by that label (an upgrade may renumber values and reorder options), by its value only
      // when no label matches. Through open shadow roots, as the recorder saw the list box.
      const where = `the list box at (${Math.round(point.x)}, ${Math.round(point.y)})`;
      const handle = await page.evaluateHandle(({ x, y }) => {
        let root: Document | ShadowRoot = document;
        let hit = root.elementFromPoint(x, y);
        while (hit?.shadowRoot && hit.shadowRoot !== root) {
          root = hit.shadowRoot;
          const inner: Element | null = root.elementFromPoint(x, y);
          if (!inner || inner === hit) break;
          hit = inner;
        }
        return hit?.closest('select') ?? null;
      }, point);
      const element = handle.asElement() as import('playwright-core').ElementHandle<HTMLSelectElement> | null;
      if (!element) throw new SkillframeError('unsafe', `no list box at (${Math.round(point.x)}, ${Math.round(point.y)}) to choose ${JSON.stringify(value)} in`);
      const options = await element.evaluate((select) => [...select.options].map((option) => ({ label: option.label, value: option.value })));
      let index = options.findIndex((option) => cleanText(option.label) === value);
      if (index < 0) index = options.findIndex((option) => option.value === value);
      if (index < 0) throw new SkillframeError('unsafe', `${where} has no option ${JSON.stringify(value)} (it has ${JSON.stringify(options.slice(0, 12).map((option) => cleanText(option.label)))})`);
      // A person's choice leaves the list box focused; the recorded expectation may say so.
      await element.focus();
      await element.selectOption({ index }, { timeout: 5_000 });
    },
    drag: async (from, to) => {
      await page.mouse.move(from.x, from.y);
      await page.mouse.down();
      await page.mouse.move(to.x, to.y, { steps: 8 });
      await page.mouse.up();
    },
    alive,
    dispose: async () => {
      await owned?.dispose();
    },
  };
}

/** Opens `url` in a fresh Chromium profile sized like the recording. */
export async function openWebSurface(url: string, options: { viewport: { width: number; height: number }; headed?: boolean; env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<Surface> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SkillframeError('bad_input', `input.url: ${JSON.stringify(url)} is not a URL`);
  }
  if (!['http:', 'https:', 'file:'].includes(parsed.protocol)) throw new SkillframeError('bad_input', `input.url: protocol ${parsed.protocol} is not allowed`);
  const session = await launchBrowser({ viewport: options.viewport, headed: options.headed, env: options.env, signal: options.signal });
  try {
    const response = await session.page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    if (response && response.status() >= 400) throw new SkillframeError('unavailable', `input.url: ${url} answered HTTP ${response.status()}`);
  } catch (error) {
    await session.dispose();
    if (error instanceof SkillframeError) throw error;
    throw new SkillframeError('unavailable', `input.url: cannot open ${url}: ${(error as Error).message.split('\n')[0]}`);
  }
  return pageSurface(session.page, session);
}

/**
 * Prepares the page the way Playwright's `animations: 'disabled', caret: 'hide'` does — finite
 * animations jump to their end, infinite ones to their start, the caret is transparent — then
 * asks Chromium for a PNG encoded for speed (CDP `optimizeForSpeed`): about half the time of a
 * regular screenshot with its decode, the same pixels for every check. Undefined where it cannot
 * (another browser, a scaled page): the caller takes the regular screenshot.
 */
const cdpSessions = new WeakMap<import('playwright-core').Page, Promise<import('playwright-core').CDPSession | undefined>>();
const quietPage = `(() => {
  if (!document.getElementById('__skillframe-quiet')) {
    const style = document.createElement('style');
    style.id = '__skillframe-quiet';
    style.textContent = '*, *::before, *::after { caret-color: transparent !important; }';
    (document.head || document.documentElement).appendChild(style);
  }
  for (const animation of document.getAnimations()) {
    const timing = animation.effect && animation.effect.getComputedTiming ? animation.effect.getComputedTiming() : undefined;
    if (timing && timing.endTime === Infinity) animation.cancel(); else animation.finish();
  }
  return devicePixelRatio;
})()`;

async function fastScreenshot(page: import('playwright-core').Page): Promise<Buffer | undefined> {
  let session = cdpSessions.get(page);
  if (!session) {
    session = page.context().newCDPSession(page).catch(() => undefined);
    cdpSessions.set(page, session);
  }
  const cdp = await session;
  if (!cdp) return undefined;
  try {
    const ratio = await page.evaluate(quietPage);
    if (ratio !== 1) return undefined;
    const shot = (await cdp.send('Page.captureScreenshot', { format: 'png', optimizeForSpeed: true } as { format: 'png' })) as { data: string };
    return Buffer.from(shot.data, 'base64');
  } catch {
    return undefined;
  }
}

/** Whether the focused element (through open shadow roots) is a plain, editable text field: no rich editor, no picker. */
const plainFieldFocused = `(() => {
  let element = document.activeElement;
  while (element && element.shadowRoot && element.shadowRoot.activeElement) element = element.shadowRoot.activeElement;
  if (!element || element.readOnly || element.disabled) return false;
  if (element.tagName === 'TEXTAREA') return true;
  return element.tagName === 'INPUT' && ['text', 'search', 'email', 'url', 'tel', ''].includes((element.getAttribute('type') || '').toLowerCase());
})()`;

function safeOrigin(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'about:' ? undefined : parsed.origin;
  } catch {
    return undefined;
  }
}
