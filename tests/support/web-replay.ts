import type { Browser } from 'playwright-core';
import { readWebTruth } from '../../bench/replay/web-run.ts';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import { pageSurface } from '../../engine/computer/replay/web-surface.ts';
import type { ReplayOptions } from '../../engine/computer/replay/types.ts';

/**
 * Replays a skill on a fresh page at `url` (with `init` run before the page's own scripts), and
 * reads back what the page itself recorded (truth.js): the report and the world, for the judge.
 * (Apart from support/web.ts, whose users need no replay engine loaded.)
 */
export async function replayOnPage(browser: Browser, skill: string, url: string, init?: string, options: Pick<ReplayOptions, 'disabledTiers'> = {}) {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  try {
    const page = await context.newPage();
    if (init) await page.addInitScript(init);
    await page.goto(url, { waitUntil: 'load' });
    const report = await replaySkill({ skillDirectory: skill, surface: pageSurface(page), confirm: 'auto', autoApproveTier: 'input', ...options });
    return { report, truth: await readWebTruth(page) };
  } finally {
    await context.close();
  }
}
