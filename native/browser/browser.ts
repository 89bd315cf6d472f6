import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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

/**
 * Launches Debian's Chromium through playwright-core (never a downloaded browser) with a fresh
 * temporary profile, so nothing from the person's own browser leaks into a recording.
 */
export async function launchBrowser(options: LaunchBrowserOptions = {}): Promise<BrowserSession> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new SkillframeError('unavailable', 'Chromium not found (apt-get install chromium, or set SKILLFRAME_CHROMIUM)');
  const env = options.env ?? process.env;
  if (options.headed && !env.DISPLAY) throw new SkillframeError('unavailable', 'a headed browser needs an X display: DISPLAY is not set');
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'sf-chromium-'));
  const owner = ownerSwitch();
  const launchMs = options.launchTimeoutMs ?? 60_000;
  let browser: Browser | undefined;
  try {
    // A persistent context on a new temp folder is a fresh profile we can delete afterwards.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      args: [...chromiumFlags, owner],
      timeout: launchMs,
      headless: !options.headed,
      env: env as Record<string, string>,
      viewport: options.viewport ?? { width: 1280, height: 800 },
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    browser = context.browser() ?? undefined;
    if (options.loopbackOnly) await keepToLoopback(context);
    const page = context.pages()[0] ?? (await context.newPage());
    let disposed = false;
    const session: BrowserSession = {
      browser: browser as Browser,
      context,
      page,
      async dispose() {
        if (disposed) return;
        disposed = true;
        // A browser that will not close (frozen, stopped) is killed: a session never outlives its dispose.
        await closeOrKill(() => context.close(), owner, 5_000);
        rmSync(profile, { recursive: true, force: true });
      },
    };
    if (options.signal) {
      if (options.signal.aborted) {
        await session.dispose();
        throw new SkillframeError('aborted', 'browser launch cancelled');
      }
    }
    return session;
  } catch (error) {
    killOwned(owner);
    rmSync(profile, { recursive: true, force: true });
    if (error instanceof SkillframeError) throw error;
    const message = (error as Error).message.split('\n')[0];
    if (/timeout/i.test(message)) throw new SkillframeError('timeout', `Chromium did not start within ${launchMs} ms: ${message}`, { executablePath, ms: launchMs });
    throw new SkillframeError('unavailable', `Chromium failed to start: ${message}`);
  }
}
