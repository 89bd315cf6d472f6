import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PlanFile, redactionPlaceholders } from '../../core/schemas/skill.ts';
import { builtInPatterns } from '../../engine/computer/recorder/privacy.ts';
import { assertNoPlaceholder, resolveParameters } from '../../engine/computer/replay/params.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { loadPackageSource, parsePackage, secretsFromPlaceholders } from '../../skills-mm/format.ts';

const trajectories = new URL('../../testkit/fixtures/trajectories/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'sf-secrets-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('every placeholder the recorder writes is one replay refuses to type', () => {
  for (const pattern of Object.values(builtInPatterns)) assert.ok((redactionPlaceholders as readonly string[]).includes(pattern.replacement), pattern.replacement);
  assert.throws(() => assertNoPlaceholder('write to [email] today', 3), (error: { code?: string; message: string }) => error.code === 'unsafe' && /step 3/.test(error.message) && /\[email\]/.test(error.message));
  assert.doesNotThrow(() => assertNoPlaceholder('write to [someone] today', 3));
});

test('a typed value the recorder redacted is built as a required secret with no default', async () => {
  const dir = join(work, 'signup-email');
  cpSync(join(trajectories, 'signup-web'), dir, { recursive: true });
  const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  // What the recorder stores for "ada@example.com" typed into the field.
  const edited = events.map((event) => (event.seq === 1 ? { ...event, text: '[email]', value: '[email]', redactions: ['email'] } : event));
  writeFileSync(join(dir, 'events.jsonl'), edited.map((event) => `${JSON.stringify(event)}\n`).join(''));
  const out = join(work, 'built');
  await buildSkill({ trajectoryDir: dir, outDir: out, name: 'sign-up' });
  const skill = parsePackage(loadPackageSource(out).files);
  assert.deepEqual(skill.plan.parameters.map((parameter) => [parameter.name, parameter.default, parameter.secret]), [['secret_1', '', true]]);
  assert.match(readFileSync(join(out, 'SKILL.md'), 'utf8'), /secret_1`: .*required/);
  assert.throws(() => resolveParameters(skill.plan, {}), (error: { code?: string; message: string; details?: unknown }) => error.code === 'bad_input' && /"secret_1"/.test(error.message) && JSON.stringify(error.details) === '{"missing_parameters":["secret_1"]}');
  assert.equal(resolveParameters(skill.plan, { secret_1: 'ada@example.com' }).secret_1, 'ada@example.com');
});

test('old packages: a placeholder or masked default is read as a secret; ordinary defaults stay', () => {
  const raw = {
    parameters: [
      { name: 'text_1', default: '[email]', description: 'Text typed in step 2', steps: [2] },
      { name: 'secret_1', default: '', description: 'Masked when recorded (a password field); pass it with --param secret_1=…', steps: [3] },
      { name: 'text_2', default: 'Ada', description: 'Text typed in step 4', steps: [4] },
    ],
  };
  const upgraded = secretsFromPlaceholders(raw) as { parameters: { name: string; default: string; secret?: boolean }[] };
  assert.deepEqual(upgraded.parameters.map((parameter) => [parameter.name, parameter.default, parameter.secret]), [['text_1', '', true], ['secret_1', '', true], ['text_2', 'Ada', undefined]]);
  // A secret that stores a default breaks the schema: the value would leak into the package.
  const plan = { format_version: 1, skill: 'x', platform: 'web', app: { name: 'x' }, screen: { width: 10, height: 10 }, permission_tier: 'input', parameters: [{ name: 'secret_1', default: 'hunter2', description: '', steps: [1], secret: true }], steps: [{ id: 1, state_id: 's', stage: 's', description: 'Type.', destructive: false, action: 'type', text: '{{secret_1}}' }] };
  assert.equal(PlanFile.safeParse(plan).success, false);
});

test('words typed around a redacted value stay text: only the value is a required secret', async () => {
  const dir = join(work, 'signup-mixed');
  cpSync(join(trajectories, 'signup-web'), dir, { recursive: true });
  const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  // What the recorder stores for "Meeting notes: call ada@example.com".
  const edited = events.map((event) => (event.seq === 1 ? { ...event, text: 'Meeting notes: call [email]', value: 'Meeting notes: call [email]', redactions: ['email'] } : event));
  writeFileSync(join(dir, 'events.jsonl'), edited.map((event) => `${JSON.stringify(event)}\n`).join(''));
  const out = join(work, 'built-mixed');
  await buildSkill({ trajectoryDir: dir, outDir: out, name: 'sign-up-mixed' });
  const skill = parsePackage(loadPackageSource(out).files);
  assert.deepEqual(skill.plan.parameters.map((parameter) => [parameter.name, parameter.default, parameter.secret]), [['secret_1', '', true]]);
  const step = skill.plan.steps.find((candidate) => candidate.action === 'type');
  assert.equal(step?.action === 'type' ? step.text : undefined, 'Meeting notes: call {{secret_1}}');
  assert.doesNotMatch(readFileSync(join(out, 'plan.json'), 'utf8'), /ada@example|\[email\]/);
  assert.throws(() => resolveParameters(skill.plan, {}), (error: { code?: string }) => error.code === 'bad_input');
});
