import assert from 'node:assert/strict';
import { test } from 'node:test';
import { desktopApps, desktopTasks } from '../../bench/replay/desktop-apps.ts';

// The many-app benchmark's catalogue: the split is part of the benchmark, fixed before tuning.
test('at least 8 apps over at least 4 toolkits, a toolkit without accessibility on both sides of the split', () => {
  assert.ok(desktopApps.length >= 8);
  assert.ok(new Set(desktopApps.map((app) => app.toolkit)).size >= 4);
  for (const split of ['tune', 'unseen'] as const) assert.ok(desktopApps.some((app) => app.split === split && !app.accessible), `${split} has an app without an accessibility tree`);
  // Apps that tuned the engine in earlier rounds can never count as unseen.
  for (const name of ['galculator', 'mousepad']) assert.equal(desktopApps.find((app) => app.name === name)?.split, 'tune');
});

test('at least 30 tasks, each on a listed app, using menus, buttons and text fields', () => {
  assert.ok(desktopTasks.length >= 30, `${desktopTasks.length} tasks`);
  const names = new Set(desktopApps.map((app) => app.name));
  for (const task of desktopTasks) assert.ok(names.has(task.app), task.name);
  const uses = new Set(desktopTasks.flatMap((task) => task.uses));
  for (const use of ['menu', 'buttons', 'text field']) assert.ok(uses.has(use), use);
  assert.equal(new Set(desktopTasks.map((task) => task.name)).size, desktopTasks.length, 'task names are unique');
});

test('a calculator judged by its display: the numbers a run shows along the right way are partial, not wrong', async () => {
  const { displaysAlongTheWay } = await import('../../bench/replay/desktop-run.ts');
  const sum = desktopTasks.find((task) => task.name === 'xcalc-sum')!;
  assert.deepEqual([...displaysAlongTheWay(sum)], ['1', '12', '7']);
  const difference = desktopTasks.find((task) => task.name === 'xcalc-difference')!;
  assert.deepEqual([...displaysAlongTheWay(difference)], ['5', '50', '8']);
});

test('every app of the catalogue has tasks and a launcher: none is listed without being run (Chromium was)', async () => {
  const { desktopLaunchers } = await import('../../bench/replay/desktop-run.ts');
  for (const app of desktopApps) {
    assert.ok(desktopTasks.some((task) => task.app === app.name), `${app.name} has tasks`);
    assert.ok(desktopLaunchers[app.name], `${app.name} has a launcher`);
  }
});

test('the scripted person finds a label inside a row of Xaw buttons read as one word, and an unread key on a calculator grid', async () => {
  const { gridPoint } = await import('../../bench/replay/desktop-run.ts');
  const { splitWordsAtBars } = await import('../../perception/ocr.ts');
  // xedit's "Quit|Save|Load" (14 characters over 140 px): "Save" is characters 5–8.
  assert.deepEqual(splitWordsAtBars([{ text: 'Quit|Save|Load', box: [100, 10, 140, 20] }]).map((word) => [word.text, word.box]), [['Quit', [100, 10, 40, 20]], ['Save', [150, 10, 40, 20]], ['Load', [200, 10, 40, 20]]]);
  assert.deepEqual(splitWordsAtBars([{ text: 'Saved', box: [0, 0, 50, 10] }]), [{ text: 'Saved', box: [0, 0, 50, 10] }]);
  // A 3×3 grid 50 px apart whose "=" OCR cannot read: placed from the digits it did read.
  const layout = [['7', '8', '9'], ['4', '5', '6'], ['1', '2', '=']];
  const read = (text: string, x: number, y: number) => ({ text, confidence: 0.99, box: [x - 5, y - 8, 10, 16] as [number, number, number, number], words: [{ text, box: [x - 5, y - 8, 10, 16] as [number, number, number, number] }] });
  const lines = [read('7', 100, 200), read('8', 150, 200), read('4', 100, 250), read('5', 150, 250), read('6', 200, 250), read('2', 150, 300)];
  assert.deepEqual(gridPoint(lines, layout, '='), { x: 200, y: 300 });
  // Too few distinct reads to fit a grid: no guess.
  assert.equal(gridPoint(lines.slice(0, 2), layout, '='), undefined);
});
