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
