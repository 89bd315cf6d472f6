import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chordForPlaywright, chordForXdotool, formatChord, keyFromHookCode, parseChord } from '../../native/input/keys.ts';

test('chords normalize modifiers and key names', () => {
  assert.equal(formatChord(parseChord('Control+Shift+S')!), 'ctrl+shift+s');
  assert.equal(formatChord(parseChord('shift+ctrl+tab')!), 'ctrl+shift+Tab');
  assert.equal(formatChord(parseChord('Return')!), 'Enter');
  assert.equal(formatChord(parseChord('ctrl++')!), 'ctrl++');
  assert.equal(formatChord(parseChord('f5')!), 'F5');
  assert.equal(parseChord('hyper+x'), undefined);
  assert.equal(parseChord(''), undefined);
});

test('chords translate for Playwright and xdotool', () => {
  assert.equal(chordForPlaywright(parseChord('ctrl+s')!), 'Control+s');
  assert.equal(chordForPlaywright(parseChord('Enter')!), 'Enter');
  assert.equal(chordForXdotool(parseChord('ctrl+s')!), 'ctrl+s');
  assert.equal(chordForXdotool(parseChord('Enter')!), 'Return');
  assert.equal(chordForXdotool(parseChord('meta+PageDown')!), 'super+Next');
  assert.equal(chordForXdotool(parseChord('+')!), 'plus');
});

test('hook key codes give key names and US-layout text', () => {
  assert.deepEqual(keyFromHookCode(30, false), { key: 'a', text: 'a', isModifier: false });
  assert.deepEqual(keyFromHookCode(30, true), { key: 'a', text: 'A', isModifier: false });
  assert.equal(keyFromHookCode(2, true).text, '!');
  assert.equal(keyFromHookCode(28, false).key, 'Enter');
  assert.equal(keyFromHookCode(28, false).text, undefined);
  assert.equal(keyFromHookCode(42, true).isModifier, true);
  assert.equal(keyFromHookCode(15, false).text, undefined); // Tab is a key, not text
  assert.equal(keyFromHookCode(63, false).key, 'F5');
});
