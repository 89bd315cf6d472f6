import type { ExpectedPostState } from '../core/schemas/skill.ts';
import type { TrajectoryMeta } from '../core/schemas/trajectory.ts';
import { lastAtOrBefore } from '../core/timeline.ts';

export type TitleChange = NonNullable<ExpectedPostState['title_change']>;

/** The longest run of characters both texts contain (the first such run when several tie). */
function sharedRun(a: string, b: string): { a: number; b: number; length: number } {
  let best = { a: 0, b: 0, length: 0 };
  let previous = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i += 1) {
    const current = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j += 1) {
      if (a[i - 1] !== b[j - 1]) continue;
      current[j] = previous[j - 1] + 1;
      if (current[j] > best.length) best = { a: i - current[j], b: j - current[j], length: current[j] };
    }
    previous = current;
  }
  return best;
}

/**
 * What changed between two titles, around the longest part they share: what was removed and
 * added before it and after it. "*note.txt - Editor" → "note.txt - Editor": "*" removed at the start;
 * "note.txt (3.11)" → "*note.txt (3.11)*": "*" added at both ends.
 */
export function titleChange(before: string, after: string): TitleChange | undefined {
  if (before === after) return undefined;
  const shared = sharedRun(before, after);
  const change: TitleChange = { removed: before.slice(0, shared.a), added: after.slice(0, shared.b) };
  const removedEnd = before.slice(shared.a + shared.length);
  const addedEnd = after.slice(shared.b + shared.length);
  if (removedEnd || addedEnd) Object.assign(change, { removed_end: removedEnd, added_end: addedEnd });
  return change;
}

/**
 * How much earlier than an input's hook time its effect on the title may be stamped: the title's
 * change notice and the input hook reach the recorder by two paths, and under load the hook can be
 * the later one (observed: a typed key and the "*" it caused stamped in the same millisecond).
 */
const inputLagMs = 250;

/** The recorded title at `at` (the last value taken at or before it). */
function titleAt(titles: NonNullable<TrajectoryMeta['titles']>, at: number): string | undefined {
  return lastAtOrBefore(titles, at)?.title;
}

/**
 * What one step did to the recorded window's title: the title just before its first input
 * against the title just before the next step's first input (the end of the recording for the
 * last step). Anything the title did between two inputs is the earlier one's doing. Undefined when
 * the title did not change or was not followed; changes longer than 300 characters are not kept.
 */
export function stepTitleChange(titles: TrajectoryMeta['titles'], startAt: number, nextAt: number | undefined): TitleChange | undefined {
  if (!titles?.length) return undefined;
  const before = titleAt(titles, startAt - inputLagMs);
  const after = titleAt(titles, (nextAt ?? Number.POSITIVE_INFINITY) - inputLagMs);
  if (before === undefined || after === undefined) return undefined;
  const change = titleChange(before, after);
  return change && [change.removed, change.added, change.removed_end ?? '', change.added_end ?? ''].every((part) => part.length <= 300) ? change : undefined;
}

/**
 * Whether a live title changed as recorded. A change that only adds (a modified mark appearing)
 * is also met when the live title already showed the addition before the step — the app was
 * already in that state — and says so.
 */
export function titleChangeMet(expected: TitleChange, liveBefore: string, liveAfter: string, typed?: string): { met: boolean; how: string } {
  const live = titleChange(liveBefore, liveAfter);
  const same = (a: TitleChange, b: TitleChange) => a.removed === b.removed && a.added === b.added && (a.removed_end ?? '') === (b.removed_end ?? '') && (a.added_end ?? '') === (b.added_end ?? '');
  if (live && same(live, expected)) return { met: true, how: `the window title changed as recorded (${describe(expected)})` };
  // The same change told apart differently: where the live title shares more with itself than the
  // recorded one did (a saved file's folder ending in "ed" like "untitled"), the longest shared run
  // moves; the recorded change applied to the live title before must still give the title after.
  const wanted = live ? applyChange(expected, liveBefore) : undefined;
  if (wanted === liveAfter) return { met: true, how: `the window title changed as recorded (${describe(expected)})` };
  // A folder nobody typed is where the app happened to run (nedit titles a saved file "out.txt -
  // /its/working/folder/"): another run's folder is not another result. A folder the replay typed
  // (a path parameter) must be the one shown. Without the typed text, every folder counts.
  if (wanted !== undefined && typed !== undefined && foldersAside(wanted, typed) === foldersAside(liveAfter, typed)) return { met: true, how: `the window title changed as recorded (${describe(expected)}), in the folder this run has` };
  const addsOnly = !expected.removed && !expected.removed_end && (expected.added || expected.added_end);
  if (!live && addsOnly && liveBefore.startsWith(expected.added) && liveBefore.endsWith(expected.added_end ?? '')) return { met: true, how: `the window title already showed ${describe(expected)}` };
  return { met: false, how: `the window title ${live ? `changed by ${describe(live)}` : `stayed ${JSON.stringify(liveBefore.slice(0, 120))}`}, expected ${describe(expected)}` };
}

/** Absolute and home-relative paths in a title: "/tmp/notes/", "~/notes", "/home/me/out.txt". */
const pathInTitle = /(?<![\w.~-])~?\/[^\s()[\]"']*/g;

/**
 * The title with each path nobody typed written as {folder}: a path the typed text holds, or whose
 * folder it holds, stays as it is; of any other only a file name that was typed stays.
 */
function foldersAside(title: string, typed: string): string {
  return title.replace(pathInTitle, (path) => {
    const trimmed = path.replace(/(.)\/+$/, '$1');
    const cut = trimmed.lastIndexOf('/');
    const folder = trimmed.slice(0, cut);
    const name = trimmed.slice(cut + 1);
    if (typed.includes(trimmed) || (folder.length > 1 && folder !== '~' && typed.includes(folder))) return path;
    return name.length >= 3 && typed.includes(name) ? `{folder}/${name}` : '{folder}';
  });
}

/** The title a change makes of `before`, or undefined when `before` does not hold what it removes. */
function applyChange(change: TitleChange, before: string): string | undefined {
  const removedEnd = change.removed_end ?? '';
  if (!before.startsWith(change.removed) || !before.endsWith(removedEnd) || before.length < change.removed.length + removedEnd.length) return undefined;
  return change.added + before.slice(change.removed.length, before.length - removedEnd.length) + (change.added_end ?? '');
}

function describe(change: TitleChange): string {
  const part = (removed: string, added: string, where: string) => [removed ? `${JSON.stringify(removed)} removed${where}` : '', added ? `${JSON.stringify(added)} added${where}` : ''];
  return [...part(change.removed, change.added, ''), ...part(change.removed_end ?? '', change.added_end ?? '', ' at the end')].filter(Boolean).join(', ');
}
