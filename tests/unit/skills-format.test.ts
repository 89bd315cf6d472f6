import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseSkillMarkdown, renderSkillMarkdown } from '../../skills-mm/frontmatter.ts';
import { loadPackageSource, packageToFiles, parseCards, parsePackage, upgrade, writePackageFiles } from '../../skills-mm/format.ts';
import { readZip, writeZip } from '../../skills-mm/zip.ts';
import { PlanFile, StateCardsFile } from '../../core/schemas/skill.ts';

const base = new URL('../../testkit/fixtures/hostile/base/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'sf-format-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('frontmatter round-trips through render and parse, including quotes, colons and unicode', () => {
  const frontmatter = { name: 'save-note', description: 'Use when: saving "notes" — fast', metadata: { version: '1.0.0', app: 'mousepad', permission_tier: 'input', platform: 'x11', format_version: '1' } };
  const text = renderSkillMarkdown(frontmatter, '# Body\n\n1. Do it.\n');
  const parsed = parseSkillMarkdown(text);
  assert.deepEqual(parsed.frontmatter, frontmatter);
  assert.equal(parsed.body, '# Body\n\n1. Do it.\n');
});

test('frontmatter reads Agent Skills style block scalars and comments', () => {
  const parsed = parseSkillMarkdown('---\nname: a-skill # the name\ndescription: >\n  Folded text\n  on two lines\nmetadata:\n  app: x\n---\nbody');
  assert.equal(parsed.frontmatter.name, 'a-skill');
  assert.equal(parsed.frontmatter.description, 'Folded text on two lines');
  assert.deepEqual(parsed.frontmatter.metadata, { app: 'x' });
});

test('frontmatter refuses YAML features that trick parsers: anchors, aliases, tags, flow maps, duplicates', () => {
  for (const line of ['name: &anchor x', 'name: *alias', 'name: !!python/object x', 'name: {a: 1}', 'name: [1, 2]']) {
    assert.throws(() => parseSkillMarkdown(`---\n${line}\n---\n`), (error: Error & { code?: string }) => error.code === 'bad_input', line);
  }
  assert.throws(() => parseSkillMarkdown('---\nname: a\nname: b\n---\n'), /duplicate key name/);
  assert.throws(() => parseSkillMarkdown('no frontmatter'), /must start with/);
});

test('zip write and bounded read round-trip; a lying size is caught as a bomb', () => {
  const files = [
    { name: 'a/SKILL.md', data: Buffer.from('hello') },
    { name: 'a/Images/x.png', data: Buffer.alloc(5000, 7) },
  ];
  const zip = writeZip(files);
  const { entries, problems } = readZip(zip);
  assert.deepEqual(problems, []);
  assert.deepEqual(entries.map((entry) => [entry.name, entry.data.length]), [['a/SKILL.md', 5], ['a/Images/x.png', 5000]]);
  // Patch the central directory's uncompressed size of the second entry down to 10 bytes.
  const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 1);
  zip.writeUInt32LE(10, central + 24);
  const lied = readZip(zip);
  assert.equal(lied.problems[0]?.code, 'zip_bomb');
});

test('a package folder loads, parses and re-serializes to the same files', () => {
  const loaded = loadPackageSource(base);
  assert.deepEqual(loaded.problems, []);
  const skill = parsePackage(loaded.files);
  assert.equal(skill.frontmatter.name, 'sign-up-account');
  const again = packageToFiles(skill);
  for (const name of ['plan.json', 'state_cards.json', 'runtime_state_cards.json', 'SKILL.md']) assert.equal(again.get(name)!.toString(), loaded.files.get(name)!.toString(), name);
});

test('a zip made with `zip -r skill.zip folder/` (one top folder) loads like the folder', () => {
  const loaded = loadPackageSource(base);
  const zipPath = join(work, 'wrapped.zip');
  const zip = writeZip([...loaded.files].map(([name, data]) => ({ name: `sign-up-account/${name}`, data })));
  writeFileSync(zipPath, zip);
  const fromZip = loadPackageSource(zipPath);
  assert.deepEqual([...fromZip.files.keys()].sort(), [...loaded.files.keys()].sort());
});

test('upgraders: a bare MMSkills card array (version 0) becomes format 1; a future version is refused', () => {
  const cards = JSON.parse(readFileSync(join(base, 'state_cards.json'), 'utf8')).states.map(({ step_ids: _ignored, ...card }: Record<string, unknown>) => card);
  const files = new Map([['state_cards.json', Buffer.from(JSON.stringify(cards))]]);
  const upgraded = parseCards(files, 'sign-up-account');
  assert.equal(StateCardsFile.parse(upgraded).states.length, cards.length);
  assert.equal(upgraded.skill, 'sign-up-account');
  assert.deepEqual(upgraded.states[0].step_ids, []);
  const plan = JSON.parse(readFileSync(join(base, 'plan.json'), 'utf8'));
  assert.throws(() => upgrade({ ...plan, format_version: 2 }, {}, 'x', 'plan.json'), /newer than this Skillframe/);
  assert.equal(PlanFile.safeParse(plan).success, true);
});

test('writePackageFiles replaces a package in one rename and leaves no staging folder behind', () => {
  const target = join(work, 'pkg');
  writePackageFiles(target, new Map([['SKILL.md', Buffer.from('one')]]));
  writePackageFiles(target, new Map([['SKILL.md', Buffer.from('two')], ['Images/a.png', Buffer.from('png')]]));
  assert.equal(readFileSync(join(target, 'SKILL.md'), 'utf8'), 'two');
  assert.deepEqual(readdirSync(work).filter((name) => name.includes('staging')), []);
});
