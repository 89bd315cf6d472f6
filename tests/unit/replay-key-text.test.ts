import assert from 'node:assert/strict';
import { test } from 'node:test';
import { watchKeyText } from '../../engine/computer/replay/a11y-verify.ts';
import { FakeAccessibility } from '../../native/a11y/index.ts';
import { textOfKey } from '../../native/input/keys.ts';

// bench replay desktop, Chromium as a desktop window (unseen): Enter in the note's text area shows
// nothing but a caret that moved to the next line, and carets are no evidence, so every two-lines
// task aborted at Enter. The app's own account is: text "\n" inserted at the caret. That proves a
// key step; a key the field never took still proves nothing (the step's own checks decide).

function editor(text: string, caret: number) {
  const client = new FakeAccessibility();
  client.addApp('Chromium', [{ role: 'frame', name: 'Note', states: ['showing'], children: [{ role: 'entry', name: 'Note text', states: ['showing', 'focused', 'editable'], text, caret }] }]);
  return { client, field: client.find('entry', 'Note text')! };
}

test('the text a key puts into a field: Enter a line break, letters themselves; commands and arrows none', () => {
  assert.equal(textOfKey('Enter'), '\n');
  assert.equal(textOfKey('Return'), '\n');
  assert.equal(textOfKey('a'), 'a');
  assert.equal(textOfKey('shift+a'), 'A');
  assert.equal(textOfKey('ctrl+s'), undefined);
  assert.equal(textOfKey('shift+Enter'), undefined);
  assert.equal(textOfKey('shift+1'), undefined, 'what shift makes of a digit depends on the layout');
  assert.equal(textOfKey('ArrowDown'), undefined);
  assert.equal(textOfKey('Escape'), undefined);
});

test('Enter proven by the app announcing its line break at the caret (Chromium sends the trailing one with it)', async () => {
  const { client, field } = editor('first line', 10);
  const [app] = await client.applications();
  const watch = (await watchKeyText(client, app, '\n'))!;
  assert.ok(watch, 'the fake client hears events and reads carets');
  setTimeout(() => {
    Object.assign(field.spec, { text: 'first line\n\n', caret: 11 });
    client.announce(field.ref, 'Object:TextChanged', { detail: 'insert', value: 10, length: 2, data: '\n\n' });
  }, 100);
  const started = Date.now();
  const result = await watch.wait({ timeoutMs: 20_000 });
  assert.equal(result.changed, true);
  assert.match(result.evidence[0], /at the caret \(offset 10\)/);
  assert.ok(Date.now() - started < 10_000, 'woken by the event');
});

test('no insertion, another text, or a caret elsewhere proves nothing: the wait ends at its bound unproven', async () => {
  // Nothing announced (a field that swallowed the key).
  {
    const { client } = editor('first line', 10);
    const [app] = await client.applications();
    const result = await (await watchKeyText(client, app, '\n'))!.wait({ timeoutMs: 300 });
    assert.equal(result.changed, false);
  }
  // The app announced other text (the key went in as something else).
  {
    const { client, field } = editor('first line', 10);
    const [app] = await client.applications();
    const watch = (await watchKeyText(client, app, '\n'))!;
    Object.assign(field.spec, { text: 'first lineX', caret: 11 });
    client.announce(field.ref, 'Object:TextChanged', { detail: 'insert', value: 10, length: 1, data: 'X' });
    assert.equal((await watch.wait({ timeoutMs: 300 })).changed, false);
  }
  // A line break went in, but not at the caret (the app's own text changed elsewhere, e.g. a reflow).
  {
    const { client, field } = editor('first line', 10);
    const [app] = await client.applications();
    const watch = (await watchKeyText(client, app, '\n'))!;
    Object.assign(field.spec, { text: '\nfirst line', caret: 11 });
    client.announce(field.ref, 'Object:TextChanged', { detail: 'insert', value: 0, length: 1, data: '\n' });
    assert.equal((await watch.wait({ timeoutMs: 300 })).changed, false);
  }
  // An insertion announced by another application on the bus.
  {
    const { client } = editor('first line', 10);
    client.addApp('Other', [{ role: 'frame', name: 'Other', states: ['showing'], children: [{ role: 'entry', name: 'x', states: ['showing'], text: '\n', caret: 1 }] }]);
    const [app] = await client.applications();
    const watch = (await watchKeyText(client, app, '\n'))!;
    const other = client.find('entry', 'x')!;
    client.announce(other.ref, 'Object:TextChanged', { detail: 'insert', value: 0, length: 1, data: '\n' });
    assert.equal((await watch.wait({ timeoutMs: 300 })).changed, false);
  }
});

// bench replay desktop, gnome-text-editor (GTK 4.8, unseen): Enter is announced, but at an offset
// one less than where the line break went (measured: its first character at -1), so the event's
// check never held and two-lines aborted at Enter in all seven conditions. The text node in use,
// read through its Text interface before the key and after it, proves it: the old text with the
// key's text at the old caret, and nothing else changed.
test('Enter proven by the text node in use read before and after the key, whatever offset the app announces', async () => {
  const { client, field } = editor('first line', 10);
  const [app] = await client.applications();
  const watch = (await watchKeyText(client, app, '\n', field.ref))!;
  setTimeout(() => {
    Object.assign(field.spec, { text: 'first line\n', caret: 11 });
    // GTK 4.8's own announcement: one before where the text went.
    client.announce(field.ref, 'Object:TextChanged', { detail: 'insert', value: 9, length: 1, data: '\n' });
  }, 100);
  const result = await watch.wait({ timeoutMs: 20_000 });
  assert.equal(result.changed, true);
  assert.match(result.evidence[0], /took "\\n" at the caret \(offset 10\), the rest as it was/);
  // The same without any event (an app that announces nothing): the reads alone prove it.
  {
    const { client, field } = editor('ab', 1);
    const [app] = await client.applications();
    const watch = (await watchKeyText(client, app, '\n', field.ref))!;
    setTimeout(() => Object.assign(field.spec, { text: 'a\nb', caret: 2 }), 100);
    assert.equal((await watch.wait({ timeoutMs: 20_000 })).changed, true);
  }
});

test('read before and after, a no-op, other text, a line break elsewhere or a changed rest prove nothing', async () => {
  const cases: { text: string; caret: number; why: string }[] = [
    { text: 'first line', caret: 10, why: 'nothing happened (a no-op)' },
    { text: 'first line', caret: 0, why: 'only the caret moved' },
    { text: 'first lineX', caret: 11, why: 'another character went in' },
    { text: '\nfirst line', caret: 1, why: 'a line break went in, not at the caret' },
    { text: 'first Line\n', caret: 11, why: 'the line break went in, but the rest changed too' },
    { text: 'first line\n\n', caret: 12, why: 'two line breaks went in' },
  ];
  for (const after of cases) {
    const { client, field } = editor('first line', 10);
    const [app] = await client.applications();
    const watch = (await watchKeyText(client, app, '\n', field.ref))!;
    Object.assign(field.spec, { text: after.text, caret: after.caret });
    client.announce(field.ref, 'Object:TextChanged', { detail: 'insert', value: 9, length: 1, data: '\n' });
    assert.equal((await watch.wait({ timeoutMs: 300 })).changed, false, after.why);
  }
});
