import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServerClock } from '../../native/input/uiohook-hooks.ts';

// An input heard late (the recorder's thread was busy) keeps the time the X server gave it: frames
// taken between the input and its arrival must not count as before it.

test('an event that arrives late is dated by the server, on the clock of the earliest arrival seen', () => {
  const clock = new ServerClock();
  assert.equal(clock.epochOf(5_000, 1_000_100), 1_000_100, 'the first event sets the offset');
  assert.equal(clock.epochOf(5_500, 1_000_560), 1_000_560, 'a quicker arrival lowers the offset');
  // 2 s late: dated 500 ms after the previous one, as the server saw it.
  assert.equal(clock.epochOf(6_000, 1_003_060), 1_001_060);
});

test('no server time, or the server clock wrapping, falls back to the arrival time and starts over', () => {
  const clock = new ServerClock();
  assert.equal(clock.epochOf(undefined, 42), 42);
  clock.epochOf(2 ** 32 - 100, 1_000_000);
  assert.equal(clock.epochOf(50, 1_000_200), 1_000_200, 'after the wrap the offset starts over');
  assert.equal(clock.epochOf(150, 1_000_350), 1_000_300);
});
