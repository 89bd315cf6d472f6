import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../../native/browser/browser.ts';
import { runCli } from './cli.ts';

/**
 * Records a page through the real CLI while a `--script` stands in for the person (written next to
 * the recording as `OUT.script.json`); returns the recording folder.
 */
export async function recordWebScript(options: { url: string; script: object[]; out: string; env: NodeJS.ProcessEnv; stepGapMs?: number }): Promise<string> {
  const scriptFile = `${options.out}.script.json`;
  writeFileSync(scriptFile, JSON.stringify(options.script));
  const gap = options.stepGapMs === undefined ? [] : ['--step-gap', String(options.stepGapMs)];
  const recorded = await runCli(['record', '--url', options.url, '--out', options.out, '--script', scriptFile, ...gap, '--json'], { env: options.env, timeoutMs: 120_000 });
  assert.equal(recorded.code, 0, recorded.stderr);
  return options.out;
}

/** A fresh loopback-only Chromium page on `url` for `use`, closed afterwards. */
export async function withPage<T>(url: string, use: (page: Page) => Promise<T>): Promise<T> {
  const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
  try {
    await session.page.goto(url);
    return await use(session.page);
  } finally {
    await session.dispose();
  }
}
