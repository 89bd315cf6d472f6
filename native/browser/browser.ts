import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { withDeadline } from '../../core/abort.ts';
import { SkillframeError } from '../../core/errors.ts';
import { chromiumFlags, chromiumPath } from './chromium-path.ts';
import { closeOrKill, killOwned, ownerSwitch } from './owned-process.ts';

/** One Chromium with one fresh profile and one page; `dispose()` closes all of it. */
export interface BrowserSession {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  dispose(): Promise<void>;
}

export interface LaunchBrowserOptions {
  /** Show the window (needs DISPLAY); default headless. */
  headed?: boolean;
  viewport?: { width: number; height: number };
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Only loopback URLs may load (tests and fixtures); default false. */
  loopbackOnly?: boolean;
  /** Longest Chromium may take to start (default 60 s): past it the launch is killed and fails with `timeout`. */
  launchTimeoutMs?: number;
}

/**
 * Lets only loopback URLs load in a context: a fixture or a packaged app that links a CDN font or
 * image must not wait on a network the machine does not have (an unanswered request for a
 * render-blocking stylesheet holds the whole page back for seconds).
 */
export async function keepToLoopback(context: BrowserContext): Promise<void> {
  await context.route(/.*/, (route) => {
    const url = new URL(route.request().url());
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || url.protocol === 'data:' || url.protocol === 'about:' || url.protocol === 'file:';
    return loopback ? route.continue() : route.abort('blockedbyclient');
  });
}

/** A Chromium that started: what Playwright returned, and the switch its processes carry (owned-process.ts). */
export interface OwnedChromium<T> {
  readonly launched: T;
  readonly owner: string;
  /** Closes through `close` when it answers within 5 s, else kills everything the launch started. */
  end(close: (launched: T) => Promise<unknown>): Promise<'closed' | 'killed'>;
}

/**
 * Starts Debian's Chromium once, through `start` (a plain browser or a persistent context), with
 * an owner switch on its command line, so a browser that will not close or answer can be killed
 * with everything it started. Playwright's own launch timeout is `ms`; a guard 5 s past it ends the
 * wait in case Playwright itself never answers. A start that fails or runs late kills what it
 * started and throws `timeout` (late) or `unavailable`, naming the executable.
 */
export async function startOwnedChromium<T extends { close(): Promise<unknown> }>(start: (launch: { executablePath: string; args: string[]; timeout: number }) => Promise<T>, ms: number): Promise<OwnedChromium<T>> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new SkillframeError('unavailable', 'no Chromium found (install the Debian package chromium, or set SKILLFRAME_CHROMIUM)');
  const owner = ownerSwitch();
  let launching: Promise<T>;
  try {
    launching = start({ executablePath, args: [...chromiumFlags, owner], timeout: ms });
  } catch (error) {
    launching = Promise.reject(error);
  }
  try {
    const launched = await withDeadline(() => launching, { ms: ms + 5_000, what: 'Chromium starting' });
    return { launched, owner, end: (close) => closeOrKill(() => close(launched), owner, 5_000) };
  } catch (error) {
    // One that starts after we gave up is closed when it does; whatever it started so far is killed now.
    void launching.then((late) => late.close()).catch(() => undefined);
    killOwned(owner);
    const message = (error as Error).message.split('\n')[0];
    const late = (error as { code?: string }).code === 'timeout' || /timeout/i.test(message);
    throw new SkillframeError(late ? 'timeout' : 'unavailable', `Chromium (${executablePath}) did not start${late ? ` within ${ms} ms` : ''}: ${message}`, { executablePath, ms });
  }
}

/**
 * Launches Debian's Chromium through playwright-core (never a downloaded browser) with a fresh
 * temporary profile, so nothing from the person's own browser leaks into a recording.
 */
export async function launchBrowser(options: LaunchBrowserOptions = {}): Promise<BrowserSession> {
  const env = options.env ?? process.env;
  if (options.headed && !env.DISPLAY) throw new SkillframeError('unavailable', 'a headed browser needs an X display: DISPLAY is not set');
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'sf-chromium-'));
  let chromiumStarted: OwnedChromium<BrowserContext> | undefined;
  try {
    // A persistent context on a new temp folder is a fresh profile we can delete afterwards.
    chromiumStarted = await startOwnedChromium(
      (launch) =>
        chromium.launchPersistentContext(profile, {
          ...launch,
          headless: !options.headed,
          env: env as Record<string, string>,
          viewport: options.viewport ?? { width: 1280, height: 800 },
          handleSIGINT: false,
          handleSIGTERM: false,
          handleSIGHUP: false,
        }),
      options.launchTimeoutMs ?? 60_000,
    );
    const started = chromiumStarted;
    const context = started.launched;
    if (options.loopbackOnly) await keepToLoopback(context);
    const page = context.pages()[0] ?? (await context.newPage());
    let disposed = false;
    const session: BrowserSession = {
      browser: context.browser() as Browser,
      context,
      page,
      async dispose() {
        if (disposed) return;
        disposed = true;
        // A browser that will not close (frozen, stopped) is killed: a session never outlives its dispose.
        await started.end((launched) => launched.close());
        rmSync(profile, { recursive: true, force: true });
      },
    };
    if (options.signal?.aborted) {
      await session.dispose();
      throw new SkillframeError('aborted', 'browser launch cancelled');
    }
    return session;
  } catch (error) {
    if (chromiumStarted) killOwned(chromiumStarted.owner);
    rmSync(profile, { recursive: true, force: true });
    if (error instanceof SkillframeError) throw error;
    throw new SkillframeError('unavailable', `Chromium failed to start: ${(error as Error).message.split('\n')[0]}`);
  }
}
