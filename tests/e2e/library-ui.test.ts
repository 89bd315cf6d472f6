import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { validate as validateAgentSkill } from 'skills-ref';
import { buildSkill } from '../../skills-mm/builder.ts';
import { SkillLibrary } from '../../skills-mm/library.ts';
import { openUi, type UiSession } from '../support/ui.ts';

// The Library page in real Chromium against `skillframe serve`: Replay, Verify, Export and Install
// for agent on every skill; Remove is secondary and asks first. Checked on disk, not on the page.

const trajectories = new URL('../../testkit/fixtures/trajectories/', import.meta.url).pathname;
const userHome = mkdtempSync(join(tmpdir(), 'sf-user-'));
let ui: UiSession;

before(async () => {
  ui = await openUi({ env: { HOME: userHome } });
  const built = join(userHome, 'built', 'add-twelve');
  await buildSkill({ trajectoryDir: join(trajectories, 'calculator'), outDir: built });
  await new SkillLibrary(join(ui.home.path, 'skills')).add(built);
});

after(async () => {
  await ui?.dispose();
  rmSync(userHome, { recursive: true, force: true });
});

test('library page: Replay opens the replay page on the skill; Install and Export write real files; Remove asks first and is secondary', async () => {
  const { page, server, home } = ui;
  await page.goto(`${server.url}?token=${server.token}#/library`);
  const card = page.locator('[data-skill="add-twelve"]');
  await card.waitFor({ timeout: 30_000 });
  for (const action of ['replay', 'verify', 'export', 'install', 'remove']) assert.equal(await card.locator(`[data-action="${action}"]`).count(), 1, action);
  assert.match((await card.locator('[data-action="remove"]').getAttribute('class')) ?? '', /secondary/);

  await card.getByLabel('Agent to install add-twelve for').selectOption('agents');
  await card.locator('[data-action="install"]').click();
  await card.getByRole('status').filter({ hasText: 'Installed for agents' }).waitFor({ timeout: 20_000 });
  const installed = join(userHome, '.agents', 'skills', 'add-twelve');
  assert.deepEqual(await validateAgentSkill(installed), []);

  const zip = join(home.path, 'exported', 'add-twelve.zip');
  page.once('dialog', (dialog) => void dialog.accept(zip));
  await card.locator('[data-action="export"]').click();
  await card.getByRole('status').filter({ hasText: 'Exported to' }).waitFor({ timeout: 20_000 });
  assert.ok(existsSync(zip));

  // Dismissing the question keeps the skill; accepting removes it.
  page.once('dialog', (dialog) => void dialog.dismiss());
  await card.locator('[data-action="remove"]').click();
  await page.waitForTimeout(500);
  assert.ok(existsSync(join(home.path, 'skills', 'add-twelve', 'SKILL.md')), 'removed without asking');
  page.once('dialog', (dialog) => {
    assert.match(dialog.message(), /Remove add-twelve/);
    void dialog.accept();
  });
  await card.locator('[data-action="remove"]').click();
  await page.locator('[data-skill="add-twelve"]').waitFor({ state: 'detached', timeout: 20_000 });
  assert.equal(existsSync(join(home.path, 'skills', 'add-twelve')), false);
  assert.ok(existsSync(installed), 'the agent copy stays');
  assert.deepEqual(ui.pageErrors, []);
});

test('Replay on the library page preselects the skill on the replay page', async () => {
  const { page, server, home } = ui;
  await new SkillLibrary(join(home.path, 'skills')).add(join(userHome, 'built', 'add-twelve'));
  await page.goto(`${server.url}?token=${server.token}#/library`);
  await page.locator('[data-skill="add-twelve"] [data-action="replay"]').click();
  await page.waitForURL(/#\/replay\/add-twelve$/);
  await page.locator('select#skill').waitFor({ timeout: 20_000 });
  assert.equal(await page.locator('select#skill').inputValue(), 'add-twelve');
  assert.deepEqual(ui.pageErrors, []);
});
