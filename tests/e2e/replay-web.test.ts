import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pageSurface } from '../../engine/computer/replay/web-surface.ts';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import type { ReplayOptions } from '../../engine/computer/replay/types.ts';
import { launchBrowser, type BrowserSession } from '../../native/browser/browser.ts';
import { serveFixtures } from '../../testkit/fixtures/web/server.ts';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

// Real Chromium, real recordings of the fixture console page, replayed on shifted pages. Ground
// truth is the page's own state (its project list), not what replay reports.

const home = temporaryHome();
let server: Awaited<ReturnType<typeof serveFixtures>>;
let createSkill: string;
let deleteSkill: string;

async function recordAndBuild(name: string, script: object[]): Promise<string> {
  const scriptFile = join(home.path, `${name}.json`);
  writeFileSync(scriptFile, JSON.stringify(script));
  const recording = join(home.path, `${name}-recording`);
  const recorded = await runCli(['record', '--url', `${server.url}dialog.html`, '--out', recording, '--script', scriptFile, '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(recorded.code, 0, recorded.stderr);
  const out = join(home.path, name);
  const built = await runCli(['build', recording, '--out', out, '--name', name, '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(built.code, 0, built.stderr);
  return out;
}

before(async () => {
  server = await serveFixtures();
  createSkill = await recordAndBuild('create-project', [
    { action: 'click', selector: '#new-project' },
    { action: 'click', selector: '#new-name' },
    { action: 'type', text: 'Zeus' },
    { action: 'click', selector: '#create-project' },
  ]);
  deleteSkill = await recordAndBuild('delete-project', [
    { action: 'click', selector: '[data-testid=delete-gemini]' },
    { action: 'click', selector: '#confirm-name' },
    { action: 'type', text: 'Gemini' },
    { action: 'click', selector: '#confirm-delete' },
  ]);
});

after(async () => {
  await server?.close();
  home.dispose();
});

/** Opens the page in a fresh browser, optionally shifted, and replays a skill on it. */
async function replayOn(skillDirectory: string, shift: (session: BrowserSession) => Promise<void>, extra: Partial<ReplayOptions> = {}) {
  const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
  try {
    await shift(session);
    await session.page.goto(`${server.url}dialog.html`);
    const report = await replaySkill({ skillDirectory, surface: pageSurface(session.page), confirm: 'auto', autoApproveTier: 'robot', ...extra });
    const projects = await session.page.locator('#projects li').allInnerTexts();
    return { report, projects: projects.map((text) => text.replace(/\s*Delete$/, '').trim()) };
  } finally {
    await session.dispose();
  }
}

const unchanged = async (): Promise<void> => undefined;
const banner = async (session: BrowserSession): Promise<void> =>
  void (await session.page.addInitScript(() => {
    addEventListener('DOMContentLoaded', () => {
      const bar = document.createElement('div');
      bar.textContent = 'We use cookies. This banner pushes everything down.';
      bar.style.cssText = 'height:140px;background:#ffd;font-size:20px;padding:20px';
      document.body.prepend(bar);
    });
  }));
const darkAndZoomed = async (session: BrowserSession): Promise<void> =>
  void (await session.page.addInitScript(() => {
    addEventListener('DOMContentLoaded', () => {
      document.documentElement.style.filter = 'invert(1) hue-rotate(180deg)';
      (document.body.style as CSSStyleDeclaration & { zoom: string }).zoom = '1.25';
    });
  }));

test('unchanged page: the DOM rung grounds every click, a parameter replaces the typed name', async () => {
  const { report, projects } = await replayOn(createSkill, unchanged, { params: { text_1: 'Hermes' } });
  assert.equal(report.ok, true, JSON.stringify(report, null, 1));
  assert.ok(report.steps.filter((step) => step.action === 'click').every((step) => step.tier === 'dom'));
  assert.ok(projects.some((project) => project.startsWith('Hermes')), JSON.stringify(projects));
  assert.ok(!projects.some((project) => project.startsWith('Zeus')));
});

test('a banner pushes the page down: still the right buttons, the project is created', async () => {
  const { report, projects } = await replayOn(createSkill, banner);
  assert.equal(report.ok, true, JSON.stringify(report.steps, null, 1));
  assert.ok(projects.some((project) => project.startsWith('Zeus')));
});

test('dark theme and zoom 1.25 with the DOM rung switched off: pixels and text alone still find the targets', async () => {
  const { report, projects } = await replayOn(createSkill, darkAndZoomed, { disabledTiers: ['dom'] });
  // Either it finished correctly through template/OCR, or it stopped as unsafe: never a wrong click.
  if (report.ok) assert.ok(projects.some((project) => project.startsWith('Zeus')), JSON.stringify(projects));
  else assert.equal(report.error?.code, 'unsafe', JSON.stringify(report, null, 1));
  assert.deepEqual(projects.filter((project) => /^(Apollo|Gemini)/.test(project)).length, 2, 'nothing was deleted by mistake');
  assert.ok(report.steps.filter((step) => step.tier).every((step) => step.tier !== 'dom'));
});

test('destructive steps: refused with --confirm never (nothing deleted), asked with ask, done with auto', async () => {
  const refused = await replayOn(deleteSkill, unchanged, { confirm: 'never' });
  assert.equal(refused.report.ok, false);
  assert.equal(refused.report.error?.code, 'refused');
  assert.ok(refused.projects.some((project) => project.startsWith('Gemini')));

  const questions: string[] = [];
  const declined = await replayOn(deleteSkill, unchanged, { confirm: 'ask', askConfirmation: async (question) => (questions.push(question), false) });
  assert.equal(declined.report.error?.code, 'refused');
  assert.match(questions[0], /destructive/i);
  assert.ok(declined.projects.some((project) => project.startsWith('Gemini')));

  const done = await replayOn(deleteSkill, banner, { confirm: 'auto' });
  assert.equal(done.report.ok, true, JSON.stringify(done.report.steps, null, 1));
  assert.ok(!done.projects.some((project) => project.startsWith('Gemini')));
  assert.ok(done.projects.some((project) => project.startsWith('Apollo')), 'only Gemini was deleted');
});

test('the CLI: --json prints the report contract; an unknown --param is bad input naming it', async () => {
  const result = await runCli(['replay', createSkill, '--url', `${server.url}dialog.html`, '--confirm', 'auto', '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.ok, true);
  assert.equal(typeof report.totalMs, 'number');
  for (const step of report.steps) {
    assert.ok(Number.isInteger(step.index));
    assert.ok(['done', 'aborted', 'skipped'].includes(step.status));
    assert.equal(typeof step.ms, 'number');
  }
  const bad = await runCli(['replay', createSkill, '--url', `${server.url}dialog.html`, '--param', 'colour=red', '--json'], { env: home.env, timeoutMs: 60_000 });
  assert.equal(bad.code, 2);
  assert.match(JSON.parse(bad.stdout).error.message, /colour/);
});

test('a page that navigates away mid-replay: a clean, coded abort', async () => {
  const session = await launchBrowser({ viewport: { width: 1280, height: 800 }, loopbackOnly: true });
  try {
    await session.page.goto(`${server.url}dialog.html`);
    const surface = pageSurface(session.page);
    setTimeout(() => void session.page.goto(`${server.url}index.html`).catch(() => undefined), 50);
    const report = await replaySkill({ skillDirectory: createSkill, surface, confirm: 'auto', autoApproveTier: 'robot' });
    // Same origin, different page: the targets are gone, so replay must stop rather than click around.
    assert.equal(report.ok, false);
    assert.ok(['unsafe', 'unavailable'].includes(report.error?.code ?? ''), JSON.stringify(report.error));
  } finally {
    await session.dispose();
  }
});
