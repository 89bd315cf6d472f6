import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumFlags, chromiumPath } from '../../native/browser/chromium-path.ts';
import { temporaryHome } from './home.ts';
import { startServe, type ServeProcess } from './serve.ts';

export interface UiSession {
  server: ServeProcess;
  browser: Browser;
  page: Page;
  home: ReturnType<typeof temporaryHome>;
  /** Script errors the page raised; UI tests end by asserting there were none. */
  pageErrors: string[];
  dispose(): Promise<void>;
}

/** The real UI as a person opens it: `skillframe serve` in a throwaway home, Debian Chromium on it. */
export async function openUi(options: { viewport?: { width: number; height: number }; env?: NodeJS.ProcessEnv } = {}): Promise<UiSession> {
  const home = temporaryHome();
  const server = await startServe({ ...home.env, ...options.env });
  const executablePath = chromiumPath();
  assert.ok(executablePath, 'Debian chromium is installed');
  const browser = await chromium.launch({ executablePath, args: chromiumFlags, headless: true });
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return {
    server,
    browser,
    page,
    home,
    pageErrors,
    async dispose() {
      await browser.close();
      await server.stop();
      home.dispose();
    },
  };
}
