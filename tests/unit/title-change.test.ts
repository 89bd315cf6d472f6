import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTitleLine } from '../../native/window/index.ts';
import { stepTitleChange, titleChange, titleChangeMet } from '../../skills-mm/title-change.ts';

test('xprop -spy lines: _NET_WM_NAME and WM_NAME values, quotes inside kept, other lines ignored', () => {
  assert.deepEqual(parseTitleLine('_NET_WM_NAME(UTF8_STRING) = "*/tmp/a/note.txt - Mousepad"'), { property: '_NET_WM_NAME', title: '*/tmp/a/note.txt - Mousepad' });
  assert.deepEqual(parseTitleLine('WM_NAME(STRING) = "one "two" \\ three"'), { property: 'WM_NAME', title: 'one "two" \\ three' });
  assert.equal(parseTitleLine('_NET_WM_NAME:  not found.'), undefined);
});

test('a title change is what was removed and added, the common start and end kept', () => {
  assert.deepEqual(titleChange('*/tmp/a/note.txt - Mousepad', '/tmp/a/note.txt - Mousepad'), { removed: '*', added: '' });
  assert.deepEqual(titleChange('note.txt - Editor', '*note.txt - Editor'), { removed: '', added: '*' });
  assert.deepEqual(titleChange('*Untitled 1 - Editor', 'report.txt - Editor'), { removed: '*Untitled 1', added: 'report.txt' });
  // IDLE marks a modified file at both ends of its title.
  assert.deepEqual(titleChange('note.txt - /home/a/note.txt (3.11.2)', '*note.txt - /home/a/note.txt (3.11.2)*'), { removed: '', added: '*', removed_end: '', added_end: '*' });
  assert.equal(titleChange('same', 'same'), undefined);
});

test("a step's title change: from its first input to the next step's first input", () => {
  const titles = [
    { at: 100, title: 'note.txt - Editor' },
    { at: 1_050, title: '*note.txt - Editor' },
    { at: 5_300, title: 'note.txt - Editor' },
  ];
  // Typing at 1000 (the mark appears at 1050), the menu opens at 3000, "Save" clicked at 5000.
  assert.deepEqual(stepTitleChange(titles, 1_000, 3_000), { removed: '', added: '*' });
  assert.equal(stepTitleChange(titles, 3_000, 5_000), undefined);
  assert.deepEqual(stepTitleChange(titles, 5_000, undefined), { removed: '*', added: '' });
  assert.equal(stepTitleChange(undefined, 5_000, undefined), undefined);
  assert.equal(stepTitleChange([{ at: 9_000, title: 'late' }], 5_000, undefined), undefined, 'no title known when the step began');
  // The key and the mark it caused stamped in the same millisecond: the mark is the key's doing.
  const same = [{ at: 100, title: 'note.txt - Editor' }, { at: 2_000, title: '*note.txt - Editor' }];
  assert.equal(stepTitleChange(same, 1_000, 2_000), undefined, 'the click before the typing changed nothing');
  assert.deepEqual(stepTitleChange(same, 2_000, 4_000), { removed: '', added: '*' });
});

test('replay: the live title must change as recorded, wherever the file lives', () => {
  const save = { removed: '*', added: '' };
  assert.equal(titleChangeMet(save, '*/home/b/note.txt - Editor', '/home/b/note.txt - Editor').met, true);
  const unsaved = titleChangeMet(save, '*/home/b/note.txt - Editor', '*/home/b/note.txt - Editor');
  assert.equal(unsaved.met, false);
  assert.match(unsaved.how, /stayed .* expected "\*" removed/);
  // Another change (a dialog's name took over the title) is not the recorded one.
  assert.equal(titleChangeMet(save, '*note.txt - Editor', 'Save As - Editor').met, false);
  // Both ends, wherever the file lives: IDLE's save, and a save that did not happen.
  const idleSave = titleChange('*note.txt - /home/a/note.txt (3.11.2)*', 'note.txt - /home/a/note.txt (3.11.2)')!;
  assert.equal(titleChangeMet(idleSave, '*note.txt - /tmp/b/note.txt (3.11.2)*', 'note.txt - /tmp/b/note.txt (3.11.2)').met, true);
  assert.equal(titleChangeMet(idleSave, '*note.txt - /tmp/b/note.txt (3.11.2)*', '*note.txt - /tmp/b/note.txt (3.11.2)*').met, false);
  assert.equal(titleChangeMet(idleSave, '*note.txt - /tmp/b/note.txt (3.11.2)*', 'note.txt - /tmp/b/note.txt (3.11.2)*').met, false, 'one end only is not the recorded change');
  // A mark that was already there before typing: the app was already in that state.
  const typed = { removed: '', added: '*' };
  assert.equal(titleChangeMet(typed, '*note.txt - Editor', '*note.txt - Editor').met, true);
  assert.equal(titleChangeMet(typed, 'note.txt - Editor', 'note.txt - Editor').met, false);
});

test('a save to another folder given as a parameter: the recorded change applied to the live title is met, however the live titles share letters', async () => {
  const { swappedPieces } = await import('../../engine/computer/replay/replay.ts');
  // Recorded on geany: Save As typed /tmp/df/geany/out.txt, the title showed the file and its folder apart.
  const recorded = titleChange('*untitled - Geany (new instance)', 'out.txt - /tmp/df/geany - Geany (new instance)')!;
  assert.deepEqual(recorded, { removed: '*untitled', added: 'out.txt - /tmp/df/geany' });
  // Replayed with --param text_2=/tmp/df/geany/run-unchanged/out.txt: the folder is swapped, not only the whole path.
  const pieces = swappedPieces([['/tmp/df/geany/out.txt', '/tmp/df/geany/run-unchanged/out.txt']]);
  assert.deepEqual(pieces, [['/tmp/df/geany/out.txt', '/tmp/df/geany/run-unchanged/out.txt'], ['/tmp/df/geany', '/tmp/df/geany/run-unchanged']]);
  const swap = (text: string) => pieces.reduce((current, [from, to]) => current.split(from).join(to), text);
  const expected = { removed: swap(recorded.removed), added: swap(recorded.added) };
  assert.equal(expected.added, 'out.txt - /tmp/df/geany/run-unchanged');
  // "untitled" and "unchanged" end alike: the live change read on its own is "*untitl" → "…/run-unchang".
  const met = titleChangeMet(expected, '*untitled - Geany (new instance)', 'out.txt - /tmp/df/geany/run-unchanged - Geany (new instance)');
  assert.equal(met.met, true, met.how);
  assert.equal(titleChangeMet(expected, '*untitled - Geany (new instance)', 'out.txt - /tmp/df/geany - Geany (new instance)').met, false, 'saved in the recorded folder is not the folder given');
  assert.equal(titleChangeMet(expected, '*untitled - Geany (new instance)', '*untitled - Geany (new instance)').met, false);
  // A file name given alone swaps as a whole; a path's pieces only when both are paths.
  assert.deepEqual(swappedPieces([['notes.txt', 'todo.txt']]), [['notes.txt', 'todo.txt']]);
  assert.deepEqual(swappedPieces([['/home/a/notes.txt', '/home/a/todo.txt']]), [['/home/a/notes.txt', '/home/a/todo.txt'], ['notes.txt', 'todo.txt']]);
});

test('an attached window is found by its recorded title as written, brackets and marks included', async () => {
  const { literalTitle, matchesQuery } = await import('../../native/window/window.ts');
  const window = (title: string) => ({ id: '1', title, pid: 1, geometry: { x: 0, y: 0, width: 10, height: 10 } });
  for (const title of ['untitled - Geany (new instance)', '*note.txt - Pluma', 'a+b [1] ^ $ {x} | y?']) {
    assert.equal(matchesQuery(window(title), { title: literalTitle(title) }), true, title);
    assert.equal(new RegExp(literalTitle(title)).test(title), true, title);
  }
  assert.equal(matchesQuery(window('untitled - Geany new instance'), { title: literalTitle('untitled - Geany (new instance)') }), false);
  const { attachTitle } = await import('../../engine/computer/replay/replay.ts');
  const plan = { app: { name: 'geany', window_title: 'untitled - Geany (new instance)' } } as Parameters<typeof attachTitle>[0];
  assert.equal(matchesQuery(window('untitled - Geany (new instance)'), { title: attachTitle(plan)! }), true, 'replay --attach looks for the title as written');
});

// Dogfood, nedit (Motif, in no test): a saved file is titled with the folder the app runs in
// ("out.txt - /tmp/df5/nedit/cwd/"); the recording typed only "out.txt". Replayed from another
// folder, the file was saved and the step was failed: the title's folder was another run's. A
// folder nobody typed is set aside; one the replay typed must be the one shown.
test('a folder the app runs in is set aside; a folder the replay typed is not', () => {
  const recorded = titleChange('Untitled (modified)', 'out.txt - /tmp/df5/nedit/cwd/')!;
  const met = titleChangeMet(recorded, 'Untitled (modified)', 'out.txt - /tmp/df5/nedit/run-unchanged/', 'Hello from nedit dogfood\nout.txt');
  assert.equal(met.met, true, met.how);
  assert.match(met.how, /in the folder this run has/);
  // Another file name, or the mark still there, is another result.
  assert.equal(titleChangeMet(recorded, 'Untitled (modified)', 'other.txt - /tmp/df5/nedit/run-unchanged/', 'out.txt').met, false);
  assert.equal(titleChangeMet(recorded, 'Untitled (modified)', 'Untitled (modified)', 'out.txt').met, false);
  // Home-relative folders alike (pluma: "out.txt (~/notes) - Pluma").
  const pluma = titleChange('*Unsaved Document 1 - Pluma', 'out.txt (~/notes) - Pluma')!;
  assert.equal(titleChangeMet(pluma, '*Unsaved Document 1 - Pluma', 'out.txt (~/work) - Pluma', 'out.txt').met, true);
  // The folder was typed (a path parameter): it must be the one shown.
  const typedPath = titleChange('*untitled - Geany', 'out.txt - /tmp/df/geany/run-a - Geany')!;
  assert.equal(titleChangeMet(typedPath, '*untitled - Geany', 'out.txt - /tmp/df/geany - Geany', '/tmp/df/geany/run-a/out.txt').met, false);
  assert.equal(titleChangeMet(typedPath, '*untitled - Geany', 'out.txt - /tmp/df/geany/run-a - Geany', '/tmp/df/geany/run-a/out.txt').met, true);
});
