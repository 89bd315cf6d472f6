import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { judgeState, upgradeTasks } from '../../bench/web-upgrade.ts';
import { packageFolder } from '../../testkit/webapps/index.ts';

const split = JSON.parse(readFileSync(new URL('../../testkit/webapps/upgrade-split.json', import.meta.url), 'utf8')) as {
  apps: { name: string; split: string; old?: { package: string; version: string }; new?: { package: string; version: string }; entry?: string }[];
};

test('web-upgrade: at least 6 apps at two installed releases, 20 tasks, 2 unseen apps with tasks; every task names an app of the split', () => {
  const withTasks = split.apps.filter((app) => upgradeTasks.some((task) => task.app === app.name));
  for (const task of upgradeTasks) assert.ok(withTasks.some((app) => app.name === task.app), `${task.name}: app ${task.app} is not in upgrade-split.json`);
  for (const app of withTasks) {
    assert.ok(app.old && app.new && app.entry, `${app.name}: releases and entry`);
    assert.notEqual(app.old.version, app.new.version);
    // Throws when the installed copy is not the pinned release.
    packageFolder(app.old.package, app.old.version);
    packageFolder(app.new.package, app.new.version);
  }
  assert.ok(withTasks.length >= 6, `${withTasks.length} apps`);
  assert.ok(upgradeTasks.length >= 20, `${upgradeTasks.length} tasks`);
  assert.ok(withTasks.filter((app) => app.split === 'unseen').length >= 2);
  assert.equal(new Set(upgradeTasks.map((task) => task.name)).size, upgradeTasks.length, 'task names are unique');
});

test('web-upgrade state judge: the asked keys must hold the asked values, and any other key that changed counts as unasked', () => {
  const start = { make: 'Toyota', model: '', year: 2008 };
  assert.deepEqual(judgeState(start, { ...start, make: 'Honda' }, { make: 'Honda' }), { ok: true, unasked: 0 });
  assert.deepEqual(judgeState(start, { ...start, make: 'BMW' }, { make: 'Honda' }), { ok: false, unasked: 1 });
  assert.deepEqual(judgeState(start, { ...start, make: 'Honda', year: 1995 }, { make: 'Honda' }), { ok: false, unasked: 1 });
  assert.deepEqual(judgeState(start, start, { make: 'Honda' }), { ok: false, unasked: 0 });
  assert.equal(judgeState(start, undefined, { make: 'Honda' }).ok, false);
  // One level down: an object's keys are judged one by one.
  const editor = { mode: 'tree', json: { string: 'Hello World', number: 123, object: { a: 'b' } } };
  assert.deepEqual(judgeState(editor, { ...editor, json: { ...editor.json, string: 'Skillframe' } }, { 'json.string': 'Skillframe' }), { ok: true, unasked: 0 });
  assert.deepEqual(judgeState(editor, { mode: 'code', json: { ...editor.json, object: { a: 'c' } } }, { mode: 'code' }), { ok: false, unasked: 1 });
});
