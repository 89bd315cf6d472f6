import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocatorDescriptor } from '../../core/schemas/skill.ts';

test('a locator from a skill package names its look-alike place within the count it gives, or is refused naming the field', () => {
  assert.ok(LocatorDescriptor.safeParse({ role: 'button', name: 'Actions', row: { texts: [':'], nth: 1, count: 2 } }).success);
  const past = LocatorDescriptor.safeParse({ role: 'button', name: 'Actions', row: { texts: [':'], nth: 2, count: 2 } });
  assert.equal(past.success, false);
  assert.deepEqual(past.error?.issues[0]?.path, ['row', 'nth']);
  assert.match(past.error?.issues[0]?.message ?? '', /below count/);
});
