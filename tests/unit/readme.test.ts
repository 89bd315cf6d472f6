import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { commands, type CommandSpec } from '../../core/index.ts';
import { repoRoot } from '../support/cli.ts';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

test('the README lists every command of the contract (regenerate with scripts/cli-reference.ts)', () => {
  const missing = (Object.values(commands) as CommandSpec[]).filter((spec) => !spec.cli?.hidden && !readme.includes(`skillframe ${spec.name.replaceAll('.', ' ')}`)).map((spec) => spec.name);
  assert.deepEqual(missing, []);
});

test('the README gives a newcomer exactly two set-up commands: the demo and the tests', () => {
  const block = /## Two commands[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const lines = block.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#'));
  assert.deepEqual(lines.map((line) => line.split('#')[0].trim()), ['npm run demo', 'npm test']);
});
