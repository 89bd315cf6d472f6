import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { fixtureDirectory } from '../../bench/replay/benchmark.ts';
import { serveFolder, type StaticServer } from '../../testkit/static-server.ts';
import { webTasks } from '../../bench/replay/tasks.ts';
import { bannerHeight, renamedToken, type WebCondition } from '../../bench/replay/web-drift.ts';
import { launchBrowser, openTaskPage, readWebTruth } from '../../bench/replay/web-run.ts';
import { launchUnderCondition, placements, windowGeometry } from '../../bench/replay/x11-drift.ts';
import { locateTargets } from '../../bench/replay/x11-run.ts';
import { galculatorValue, mousepadSaved, startClickLog } from '../../bench/replay/x11-truth.ts';
import { createInput } from '../../native/input/index.ts';
// ffmpeg, not robotjs: robotjs would hold an X connection in this process past the display's end.
import { FfmpegScreen } from '../../native/screen/ffmpeg-screen.ts';
import { startDisplay, type VirtualDisplay } from '../support/xvfb.ts';

// Real Chromium on the fixture pages and real galculator/mousepad under Xvfb + openbox: each
// transform must do what it claims, and the ground truth must read what the app really did.

let server: StaticServer;
let browser: Browser;
let display: VirtualDisplay;
let work: string;

before(async () => {
  server = await serveFolder(fixtureDirectory);
  browser = await launchBrowser();
  display = await startDisplay();
  work = mkdtempSync(join(tmpdir(), 'sf-drift-e2e-'));
});

after(async () => {
  await browser?.close();
  await server?.dispose();
  await display?.dispose();
  rmSync(work, { recursive: true, force: true });
});

const task = (kind: string) => webTasks.find((candidate) => candidate.kind === kind)!;

async function boxOf(condition: WebCondition, kind: string, truth: string) {
  const session = await openTaskPage(browser, server.url, task(kind), condition);
  try {
    return await session.page.evaluate((truth) => {
      const rect = document.querySelector(`[data-truth="${truth}"]`)!.getBoundingClientRect();
      return { x: rect.x, y: rect.y, width: rect.width, height: rect.height };
    }, truth);
  } finally {
    await session.dispose();
  }
}

test('web transforms: banner shifts, reorder reverses, zoom scales, dark inverts, renaming keeps the page working', async () => {
  const plain = await boxOf('unchanged', 'form', 'submit');
  const shifted = await boxOf('banner', 'form', 'submit');
  assert.equal(shifted.y - plain.y, bannerHeight, 'the banner pushes the target down by its height');
  assert.equal(shifted.x, plain.x);

  const zoomed = await boxOf('zoom-1.25', 'form', 'submit');
  assert.ok(Math.abs(zoomed.width / plain.width - 1.25) < 0.03, `zoom 1.25 scales the button: ${plain.width} → ${zoomed.width}`);
  const shrunk = await boxOf('zoom-0.8', 'form', 'submit');
  assert.ok(Math.abs(shrunk.width / plain.width - 0.8) < 0.03, `zoom 0.8 scales the button: ${plain.width} → ${shrunk.width}`);

  const reordered = await openTaskPage(browser, server.url, task('menu'), 'reordered');
  try {
    const order = await reordered.page.evaluate(() => [...document.querySelectorAll('[role=menubar] > li > button')].map((button) => button.textContent));
    assert.deepEqual(order, ['Help', 'View', 'Edit', 'File']);
    const rows = await reordered.page.evaluate(() => document.querySelector('[data-truth=menu-file]')!.parentElement!.querySelector('[role=menu] li')!.textContent!.trim());
    assert.equal(rows, 'Print', 'the File menu items are reversed too');
  } finally {
    await reordered.dispose();
  }

  const dark = await openTaskPage(browser, server.url, task('table'), 'dark');
  try {
    const filter = await dark.page.evaluate(() => getComputedStyle(document.documentElement).filter);
    assert.match(filter, /invert/);
  } finally {
    await dark.dispose();
  }

  const renamed = await openTaskPage(browser, server.url, task('menu'), 'renamed');
  try {
    const page = renamed.page;
    const state = await page.evaluate(() => ({
      classes: [...document.querySelectorAll('[class]')].flatMap((element) => [...element.classList]),
      ids: [...document.querySelectorAll('[id]')].map((element) => element.id),
      padding: getComputedStyle(document.querySelector('[data-truth=menu-file]')!).paddingLeft,
    }));
    assert.ok(!state.classes.includes('menu-button') && !state.ids.includes('file-menu'), 'old names are gone');
    assert.ok(state.classes.includes(renamedToken('menu-button')) && state.ids.includes(renamedToken('file-menu')));
    assert.equal(state.padding, '16px', 'the stylesheet follows the new names');
    // The app's own scripts still work after renaming: open File, export.
    await page.click('[data-truth=menu-file]');
    await page.click('[data-truth=file-export]');
    const truth = await readWebTruth(page);
    assert.deepEqual(truth.outcome, { commands: ['export'] });
    assert.deepEqual(
      truth.clicks.map((click) => click.truth),
      ['menu-file', 'file-export'],
    );
  } finally {
    await renamed.dispose();
  }
});

test('x11 transforms on real apps: moved and resized windows, dark theme; ground truth reads the app', async () => {
  const clicks = await startClickLog(display.env);
  const moved = await launchUnderCondition(display, 'galculator', 'moved', work);
  try {
    const { geometry } = await windowGeometry(moved.env, moved.windowId);
    assert.equal(geometry.x, placements.galculator.moved.x);
    assert.equal(geometry.y, placements.galculator.moved.y);
    const screen = new FfmpegScreen(moved.env);
    try {
      const { boxes } = await locateTargets(moved, screen);
      const seven = boxes.buttons!.get('7')!;
      assert.ok(seven.x > geometry.x && seven.x + seven.width < geometry.x + geometry.width, 'buttons found inside the moved window');
      const input = await createInput('xdotool', { env: moved.env });
      try {
        for (const label of ['7', '*', '6', '=']) {
          const box = boxes.buttons!.get(label)!;
          await input.click(box.x + box.width / 2, box.y + box.height / 2);
          await new Promise((resolve) => setTimeout(resolve, 120));
        }
      } finally {
        input.dispose();
      }
    } finally {
      screen.dispose();
    }
    assert.equal(await galculatorValue(moved), '42', 'galculator computed 7*6 from clicks on the located buttons');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(clicks.clicks.length, 4, 'the click log heard every real click');
  } finally {
    await moved.dispose();
    await clicks.dispose();
  }

  const resized = await launchUnderCondition(display, 'galculator', 'dark-theme', work);
  try {
    const screen = new FfmpegScreen(resized.env);
    try {
      const { capture, boxes } = await locateTargets(resized, screen);
      const centre = boxes.buttons!.get('5')!;
      const offset = ((centre.y + 2) * capture.width + centre.x + Math.floor(centre.width / 2)) * 4;
      assert.ok(capture.data[offset] < 100, `dark theme: button fill is dark (${capture.data[offset]})`);
    } finally {
      screen.dispose();
    }
  } finally {
    await resized.dispose();
  }

  const wide = await launchUnderCondition(display, 'mousepad', 'resized', work);
  try {
    const { geometry } = await windowGeometry(wide.env, wide.windowId);
    assert.equal(geometry.width, Math.round(placements.mousepad.base.width! * placements.mousepad.resize.width));
    const input = await createInput('xdotool', { env: wide.env });
    try {
      await input.click(geometry.x + geometry.width / 2, geometry.y + geometry.height / 2);
      await input.type('drift check');
      await input.press('ctrl+s');
    } finally {
      input.dispose();
    }
    let saved = '';
    for (let attempt = 0; attempt < 20 && saved !== 'drift check'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      saved = mousepadSaved(wide);
    }
    assert.equal(saved, 'drift check');
  } finally {
    await wide.dispose();
  }
  writeFileSync(join(work, 'done'), 'ok');
});
