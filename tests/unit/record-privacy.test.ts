import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRedactions, redactDeep, redactText } from '../../engine/computer/recorder/privacy.ts';

const defaults = parseRedactions(undefined);

test('built-in patterns redact emails, API keys and card numbers (Luhn-checked)', () => {
  const input = 'mail alice.smith+x@mail.example.co.uk key sk-proj-abcdefghijklmnopqrstuv AKIAIOSFODNN7EXAMPLE card 4111 1111 1111 1111 order 1234567890123';
  const { text, fired } = redactText(input, defaults);
  assert.equal(text, 'mail [email] key [api-key] [api-key] card [card] order 1234567890123');
  assert.deepEqual(fired.sort(), ['api_key', 'card', 'email']);
});

test('a number that fails the Luhn check is not a card', () => {
  assert.equal(redactText('invoice 4111 1111 1111 1112', defaults).text, 'invoice 4111 1111 1111 1112');
});

test('custom patterns and "none"', () => {
  const custom = parseRedactions(['employee=/EMP-\\d{5}/', 'email']);
  assert.equal(redactText('EMP-12345 wrote to bob@example.com', custom).text, '[employee] wrote to [email]');
  assert.deepEqual(parseRedactions(['none']), []);
  assert.throws(() => parseRedactions(['nope']), /input\.redact\[0\].*"nope"/);
  assert.throws(() => parseRedactions(['/(/']), /not a valid regular expression/);
  assert.throws(() => parseRedactions(['/x*/']), /matches the empty string/);
});

test('redactDeep rewrites every stored string and removes known secrets, but not vocabulary', () => {
  const event = {
    kind: 'type',
    text: 'hunter2 and carol@example.org',
    target: { role: 'textbox', name: 'Password hunter2', tag: 'input' },
    ariaSnapshot: '- textbox "Password": hunter2',
    frames: { after: 'frames/x@y.zz.png' },
  };
  const { value, fired } = redactDeep(event, defaults, ['hunter2']);
  assert.equal(value.text, '•••• and [email]');
  assert.equal(value.target.name, 'Password ••••');
  assert.equal(value.ariaSnapshot, '- textbox "Password": ••••');
  assert.equal(value.frames.after, 'frames/x@y.zz.png');
  assert.equal(value.kind, 'type');
  assert.deepEqual(fired.sort(), ['email', 'password']);
});

test('password values are blanked in aria snapshots by field name, whatever their value', async () => {
  const { hideFieldValues } = await import('../../engine/computer/recorder/web-recorder.ts');
  const snapshot = ['- textbox "Email address": bob', '- textbox "Password": Tr0ub', '- textbox "Password" [disabled]: x1', '- textbox "Notes"', '- textbox "Password":', '  - /placeholder: secret', '  - text: hunter2', '- button "Go"'].join('\n');
  assert.equal(
    hideFieldValues(snapshot, ['Password']),
    ['- textbox "Email address": [value]', '- textbox "Password": ••••', '- textbox "Password" [disabled]: ••••', '- textbox "Notes"', '- textbox "Password":', '  - /placeholder: secret', '  - text: ••••', '- button "Go"'].join('\n'),
  );
});

test('text field values are hidden in aria snapshots (a half-typed secret matches no pattern)', async () => {
  const { hideFieldValues } = await import('../../engine/computer/recorder/web-recorder.ts');
  const snapshot = ['- textbox "API key": sk-live-4f9a', '- textbox "Password": ••••', '- searchbox "Filter":', '  - /placeholder: Customer', '  - text: alice@ex', '- button "Go"', '- textbox "Empty"'].join('\n');
  assert.equal(
    hideFieldValues(snapshot),
    ['- textbox "API key": [value]', '- textbox "Password": ••••', '- searchbox "Filter":', '  - /placeholder: Customer', '  - text: [value]', '- button "Go"', '- textbox "Empty"'].join('\n'),
  );
});
