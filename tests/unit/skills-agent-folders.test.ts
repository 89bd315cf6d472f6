import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { validate } from 'skills-ref';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

// Every package Skillframe writes must be an Agent Skills folder the reference validator accepts
// (folder name = skill name), and `library install` must put one where each agent looks.

const trajectories = new URL('../../testkit/fixtures/trajectories/', import.meta.url).pathname;
const home = temporaryHome();
const userHome = join(home.path, 'user');
const env = { ...home.env, HOME: userHome };
after(() => home.dispose());

async function cli(args: string[]) {
  const result = await runCli([...args, '--json'], { env, timeoutMs: 120_000 });
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout);
}

test('build --out DIR writes a valid Agent Skills folder named after DIR, with how to run it', async () => {
  const out = join(home.path, 'built', 'add-twelve');
  const built = await cli(['build', join(trajectories, 'calculator'), '--out', out, '--skip-ocr']);
  assert.equal(built.name, 'add-twelve');
  assert.deepEqual(await validate(out), []);
  const body = readFileSync(join(out, 'SKILL.md'), 'utf8');
  assert.match(body, /skillframe replay add-twelve --app "galculator"/);
  assert.match(body, /`replay_skill` with \{"skill": "add-twelve"\}/);
  assert.match(body, /`consult_skill`/);

  const web = join(home.path, 'built', 'sign-up');
  await cli(['build', join(trajectories, 'signup-web'), '--out', web]);
  assert.deepEqual(await validate(web), []);
  // --name that disagrees with the folder still builds (the contract), and says why readers will balk.
  const named = await cli(['build', join(trajectories, 'calculator'), '--out', join(home.path, 'built', 'other-folder'), '--name', 'calc-add', '--skip-ocr']);
  assert.equal(named.name, 'calc-add');
  assert.ok(named.warnings.some((warning: string) => /skills-ref validate/.test(warning)), named.warnings.join('\n'));
});

test('library copies and installs into claude, codex and .agents folders are valid; export --all writes every skill', async () => {
  await cli(['library', 'add', join(home.path, 'built', 'add-twelve')]);
  await cli(['library', 'add', join(home.path, 'built', 'sign-up')]);
  assert.deepEqual(await validate(join(home.path, 'skills', 'add-twelve')), []);

  const claude = await cli(['library', 'install', 'add-twelve', '--agent', 'claude']);
  assert.equal(claude.dir, join(userHome, '.claude', 'skills', 'add-twelve'));
  assert.deepEqual(await validate(claude.dir), []);
  const project = join(home.path, 'project');
  const agents = await cli(['library', 'install', 'sign-up', '--agent', 'agents', '--project', project]);
  assert.equal(agents.dir, join(project, '.agents', 'skills', 'sign-up'));
  assert.deepEqual(await validate(agents.dir), []);
  const codex = await cli(['library', 'install', 'sign-up', '--agent', 'codex', '--project', project]);
  assert.equal(codex.dir, join(project, '.codex', 'skills', 'sign-up'));

  // A second install does not overwrite silently.
  const again = await runCli(['library', 'install', 'add-twelve', '--agent', 'claude'], { env });
  assert.equal(again.code, 3, again.stderr);
  assert.match(again.stderr, /--replace/);
  await cli(['library', 'install', 'add-twelve', '--agent', 'claude', '--replace']);

  const exported = await cli(['library', 'export', '--all', '--out', join(home.path, 'export')]);
  assert.deepEqual(exported.skills.map((skill: { name: string }) => skill.name), ['add-twelve', 'sign-up']);
  for (const skill of exported.skills) assert.ok(existsSync(skill.file));
  const bad = await runCli(['library', 'export', '--out', join(home.path, 'nowhere')], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--all/);
});
