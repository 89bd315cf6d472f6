import { SkillframeError } from '../../../core/index.ts';
import { launchBrowser, type BrowserSession } from '../../../native/browser/browser.ts';
import { chordForPlaywright, parseChord } from '../../../native/input/keys.ts';
import { decodeImage } from '../../../perception/image.ts';
import type { Surface } from './surface.ts';

/** A web page as a replay surface. Owns the browser when it launched it. */
export function pageSurface(page: import('playwright-core').Page, owned?: BrowserSession): Surface {
  const origin = safeOrigin(page.url());
  const alive = async () => !page.isClosed() && (origin === undefined || safeOrigin(page.url()) === origin);
  return {
    kind: 'web',
    page,
    capture: async () => {
      try {
        return await decodeImage(await page.screenshot({ type: 'png', animations: 'disabled', caret: 'hide', timeout: 10_000 }));
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
    type: async (text) => {
      await page.keyboard.type(text);
    },
    press: async (chord) => {
      const parsed = parseChord(chord);
      if (!parsed) throw new SkillframeError('bad_input', `plan.json: key chord ${JSON.stringify(chord)} is not understood`);
      await page.keyboard.press(chordForPlaywright(parsed));
    },
    scroll: async (point, dx, dy) => {
      await page.mouse.move(point.x, point.y);
      await page.mouse.wheel(dx, dy);
    },
    hover: async (point) => {
      await page.mouse.move(point.x, point.y);
    },
    select: async (point, value) => {
      const handle = await page.evaluateHandle(({ x, y }) => document.elementFromPoint(x, y)?.closest('select') ?? null, point);
      const element = handle.asElement();
      if (!element) throw new SkillframeError('unsafe', `no list box at (${Math.round(point.x)}, ${Math.round(point.y)}) to choose ${JSON.stringify(value)} in`);
      const chosen = await element.selectOption(value, { timeout: 5_000 });
      if (!chosen.length) throw new SkillframeError('unsafe', `the list box has no option ${JSON.stringify(value)}`);
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

function safeOrigin(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'about:' ? undefined : parsed.origin;
  } catch {
    return undefined;
  }
}
