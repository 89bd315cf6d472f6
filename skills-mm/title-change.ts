import type { ExpectedPostState } from '../core/schemas/skill.ts';
import type { TrajectoryMeta } from '../core/schemas/trajectory.ts';

export type TitleChange = NonNullable<ExpectedPostState['title_change']>;

/** What changed between two titles: the part removed and the part added, the common start and end kept. */
export function titleChange(before: string, after: string): TitleChange | undefined {
  if (before === after) return undefined;
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start += 1;
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end += 1;
  return { removed: before.slice(start, before.length - end), added: after.slice(start, after.length - end) };
}

/** The recorded title at `at` (the last value taken at or before it). */
function titleAt(titles: NonNullable<TrajectoryMeta['titles']>, at: number): string | undefined {
  let found: string | undefined;
  for (const entry of titles) {
    if (entry.at > at) break;
    found = entry.title;
  }
  return found;
}

/**
 * What one step did to the recorded window's title: the title when its first input happened
 * against the title when the next step's first input happened (the end of the recording for the
 * last step). Anything the title did between two inputs is the earlier one's doing. Undefined when
 * the title did not change or was not followed; changes longer than 300 characters are not kept.
 */
export function stepTitleChange(titles: TrajectoryMeta['titles'], startAt: number, nextAt: number | undefined): TitleChange | undefined {
  if (!titles?.length) return undefined;
  const before = titleAt(titles, startAt);
  const after = titleAt(titles, nextAt ?? Number.POSITIVE_INFINITY);
  if (before === undefined || after === undefined) return undefined;
  const change = titleChange(before, after);
  return change && change.removed.length <= 300 && change.added.length <= 300 ? change : undefined;
}

/**
 * Whether a live title changed as recorded. A change that only adds (a modified mark appearing)
 * is also met when the live title already showed the addition before the step — the app was
 * already in that state — and says so.
 */
export function titleChangeMet(expected: TitleChange, liveBefore: string, liveAfter: string): { met: boolean; how: string } {
  const live = titleChange(liveBefore, liveAfter);
  if (live && live.removed === expected.removed && live.added === expected.added) return { met: true, how: `the window title changed as recorded (${describe(expected)})` };
  if (!live && !expected.removed && expected.added && liveBefore.includes(expected.added)) return { met: true, how: `the window title already showed ${JSON.stringify(expected.added)}` };
  return { met: false, how: `the window title ${live ? `changed by ${describe(live)}` : `stayed ${JSON.stringify(liveBefore.slice(0, 120))}`}, expected ${describe(expected)}` };
}

function describe(change: TitleChange): string {
  return [change.removed ? `${JSON.stringify(change.removed)} removed` : '', change.added ? `${JSON.stringify(change.added)} added` : ''].filter(Boolean).join(', ');
}
