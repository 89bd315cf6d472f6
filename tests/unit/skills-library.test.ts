import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildSkill } from '../../skills-mm/builder.ts';
import { SkillLibrary } from '../../skills-mm/library.ts';
import { auditSource } from '../../skills-mm/audit.ts';
import { bm25, tokenize } from '../../skills-mm/search.ts';

const trajectories = new URL('../../testkit/fixtures/trajectories/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'sf-library-'));
const library = new SkillLibrary(join(work, 'skills'));
// Search loads word vectors; their cache goes to the run's (scripts/test.js) or here, never ~/.cache.
process.env.SKILLFRAME_CACHE ??= join(work, 'cache');
after(() => rmSync(work, { recursive: true, force: true }));

before(async () => {
  await buildSkill({ trajectoryDir: join(trajectories, 'calculator'), outDir: join(work, 'add-numbers'), name: 'add-numbers' });
  await buildSkill({ trajectoryDir: join(trajectories, 'signup-web'), outDir: join(work, 'create-account'), name: 'create-account' });
  await library.add(join(work, 'add-numbers'));
  await library.add(join(work, 'create-account'));
});

test('list shows both skills with tier, app and audit result', () => {
  const entries = library.list();
  assert.deepEqual(entries.map((entry) => [entry.name, entry.permission_tier, entry.audit.accepted]), [['add-numbers', 'input', true], ['create-account', 'input', true]]);
  assert.equal(entries[0].app, 'galculator');
  assert.ok(entries[0].keyframes.length >= 1);
});

test('text search ranks by BM25 over names, descriptions, cards and steps', async () => {
  assert.equal((await library.search('create an account'))[0]?.name, 'create-account');
  assert.equal((await library.search('galculator add'))[0]?.name, 'add-numbers');
  // A word only in a step ("Wait 0.5 s for the screen to settle") still finds the skill.
  assert.equal((await library.search('settle'))[0]?.name, 'add-numbers');
  assert.deepEqual(await library.search('spreadsheet pivot'), []);
});

test('screen search ranks by perceptual match to state keyframes', async () => {
  const calculatorScreen = readFileSync(join(trajectories, 'calculator/frames/0002.png'));
  const webScreen = readFileSync(join(trajectories, 'signup-web/frames/0001.png'));
  const forCalculator = await library.search('', { screen: calculatorScreen });
  assert.equal(forCalculator[0].name, 'add-numbers');
  assert.ok((forCalculator[0].visual_score ?? 0) > (forCalculator[1].visual_score ?? 0));
  assert.equal((await library.search('', { screen: webScreen }))[0].name, 'create-account');
  // Text and screen together: the screen can outvote a vague query.
  assert.equal((await library.search('click', { screen: webScreen }))[0].name, 'create-account');
});

test('export → remove → import round-trips through a zip that passes the audit', async () => {
  const zip = join(work, 'export', 'add-numbers.zip');
  const exported = library.exportZip('add-numbers', zip);
  assert.ok(exported.bytes > 1000);
  assert.equal(auditSource(zip).accepted, true);
  const plan = readFileSync(join(library.root, 'add-numbers', 'plan.json'), 'utf8');
  library.remove('add-numbers');
  assert.equal(existsSync(join(library.root, 'add-numbers')), false);
  assert.deepEqual(library.list().map((entry) => entry.name), ['create-account']);
  const { entry } = await library.add(zip);
  assert.equal(entry.name, 'add-numbers');
  assert.equal(readFileSync(join(library.root, 'add-numbers', 'plan.json'), 'utf8'), plan);
});

test('adding a skill twice is refused unless replace is asked for', async () => {
  await assert.rejects(library.add(join(work, 'create-account')), (error: Error & { code?: string }) => error.code === 'refused');
  const { entry } = await library.add(join(work, 'create-account'), { replace: true });
  assert.equal(entry.name, 'create-account');
});

test('a lost or corrupt index is rebuilt from the skill folders', () => {
  rmSync(join(library.root, 'index.json'));
  assert.deepEqual(library.list().map((entry) => entry.name), ['add-numbers', 'create-account']);
  writeFileSync(join(library.root, 'index.json'), '{"version": 1, "skills": [');
  assert.deepEqual(library.list().map((entry) => entry.name), ['add-numbers', 'create-account']);
});

test('an index that lost a skill to a concurrent writer is repaired from the folders', () => {
  const index = JSON.parse(readFileSync(join(library.root, 'index.json'), 'utf8'));
  writeFileSync(join(library.root, 'index.json'), JSON.stringify({ ...index, skills: index.skills.filter((entry: { name: string }) => entry.name !== 'add-numbers') }));
  assert.deepEqual(library.list().map((entry) => entry.name), ['add-numbers', 'create-account']);
});

test('show, images as data URLs, and not_found for unknown skills', async () => {
  const skill = library.load('create-account');
  assert.equal(skill.plan.steps.length, 3);
  const view = skill.cards.states[0].available_views[0];
  const image = await library.image('create-account', view.file, 64);
  assert.match(image.data_url, /^data:image\/png;base64,/);
  assert.ok(image.width <= 64 && image.height <= 64);
  await assert.rejects(library.image('create-account', '../plan.json', 64), /not an Images\/ file/);
  assert.throws(() => library.load('no-such-skill'), (error: Error & { code?: string }) => error.code === 'not_found');
});

test('bm25 prefers the document where the rare term is', () => {
  const scores = bm25(
    [
      { id: 'a', fields: [{ text: 'save the note in mousepad', weight: 1 }] },
      { id: 'b', fields: [{ text: 'add numbers in galculator', weight: 1 }] },
    ],
    'saving notes',
  );
  assert.ok((scores.get('a') ?? 0) > 0 && !scores.has('b'));
  assert.deepEqual(tokenize('Saving the Notes!'), tokenize('save note'));
});

test('search reads every value a choice takes: a task naming an option the description does not list finds the skill', async () => {
  const recording = join(work, 'pick-country-recording');
  cpSync(join(trajectories, 'signup-web'), recording, { recursive: true });
  const options = ['Belgium', 'France', 'Spain', 'Italy', 'Greece', 'Portugal'];
  const events = readFileSync(join(recording, 'events.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  events[0] = { ...events[0], kind: 'select', value: 'France', target: { role: 'combobox', name: 'Country', css: '#country', tag: 'select', box: { x: 20, y: 82, width: 200, height: 28 }, options } };
  writeFileSync(join(recording, 'events.jsonl'), events.map((event) => `${JSON.stringify(event)}\n`).join(''));
  const shelf = new SkillLibrary(join(work, 'choices-library'));
  await buildSkill({ trajectoryDir: recording, outDir: join(work, 'pick-country'), name: 'pick-country' });
  await shelf.add(join(work, 'pick-country'));
  await shelf.add(join(work, 'add-numbers'));
  assert.doesNotMatch(shelf.list().find((entry) => entry.name === 'pick-country')!.description, /Portugal/, 'the description lists the first options only');
  assert.equal((await shelf.search('portugal', { text: 'lexical' }))[0]?.name, 'pick-country');
});
