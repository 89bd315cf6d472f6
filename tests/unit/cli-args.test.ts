import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs, UsageError } from '../../host/cli/args.ts';

test('the longest run of words names the command; flags become camelCase fields', () => {
  const parsed = parseArgs(['debug', 'sleep', '--ms', '20', '--json']);
  assert.equal(parsed.command?.name, 'debug.sleep');
  assert.deepEqual(parsed.input, { ms: 20 });
  assert.equal(parsed.json, true);
});

test('positionals fill the named fields', () => {
  const parsed = parseArgs(['settings', 'set', '{"a":1}']);
  assert.equal(parsed.command?.name, 'settings.set');
  assert.deepEqual(parsed.input, { json: '{"a":1}' });
});

test('an unknown flag is a usage error naming it', () => {
  assert.throws(() => parseArgs(['ping', '--nope']), (error: Error) => error instanceof UsageError && /--nope/.test(error.message));
});

test('a number flag with text is passed through for the schema to name', () => {
  const parsed = parseArgs(['debug', 'sleep', '--ms', 'soon']);
  assert.deepEqual(parsed.input, { ms: 'soon' });
});

test('unknown words give no command', () => {
  assert.equal(parseArgs(['frobnicate']).command, undefined);
});
