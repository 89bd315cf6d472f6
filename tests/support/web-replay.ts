import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { fixtureDirectory } from '../../bench/replay/benchmark.ts';
import type { WebTask } from '../../bench/replay/tasks.ts';
import { launchBrowser, readWebTruth, recordWebTaskWithRecorder } from '../../bench/replay/web-run.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { serveFolder, type StaticServer } from '../../testkit/static-server.ts';
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

/**
 * What a web replay test starts from: `pages` (file name → HTML) served from a folder under `home`
 * with the drift fixtures' truth.js (the page's own record of clicks and outcome), a browser, and
 * `task` recorded there by the real recorder and built into a skill.
 */
export async function recordedWebSkill(home: string, pages: Record<string, string>, task: WebTask): Promise<{ browser: Browser; server: StaticServer; skill: string; dispose(): Promise<void> }> {
  const site = join(home, 'site');
  mkdirSync(site, { recursive: true });
  copyFileSync(join(fixtureDirectory, 'truth.js'), join(site, 'truth.js'));
  for (const [file, html] of Object.entries(pages)) writeFileSync(join(site, file), html);
  const server = await serveFolder(site);
  const browser = await launchBrowser();
  const dispose = async () => {
    await browser.close();
    await server.dispose();
  };
  try {
    const trajectory = await recordWebTaskWithRecorder(server.url, task, join(home, 'recording'));
    const skill = (await buildSkill({ trajectoryDir: trajectory, outDir: join(home, 'skill'), name: task.name })).dir;
    return { browser, server, skill, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
