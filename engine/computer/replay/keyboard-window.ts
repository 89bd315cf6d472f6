import { redactionPlaceholders, type KeyboardWindow } from '../../../core/schemas/skill.ts';
import type { WindowInfo } from '../../../native/window/index.ts';
import { normalizeLabel } from './text-match.ts';

/**
 * Which window keys may go to, by the part it plays: the app's main window, or one of its dialogs
 * (Save As, Find). A step's recorded window (plan `keyboard_window`) is compared by that part and,
 * for a dialog, by the words of its title — with the words of the document's window title left out
 * (a dialog may name the document: "Save “note.txt” As"), so another document, a theme or a window
 * size changes nothing, while "Save As" and a "Save changes?" prompt stay two dialogs.
 */

/** How long keys wait for the recorded window to be the active one (a dialog still opening, or one still closing). */
export const keyboardWindowWaitMs = 5000;

/**
 * The words of a title that may tell two dialogs apart: letters and digits, two or more; placeholders
 * and paths left out (a file dialog may name the folder it shows, which differs from home to home).
 */
export function titleWords(title: string, leaveOut: ReadonlySet<string> = new Set()): Set<string> {
  let text = title.replace(/\S*[/\\]\S*/g, ' ');
  for (const placeholder of redactionPlaceholders) text = text.split(placeholder).join(' ');
  const words = normalizeLabel(text).match(/[\p{L}\p{N}]{2,}/gu) ?? [];
  return new Set(words.filter((word) => !leaveOut.has(word)));
}

/**
 * Whether a live dialog's title agrees with the recorded one: with the words of the main window's
 * title (the document's name, the app's name) left out of both, at least half of all their words are
 * shared (Jaccard ≥ 0.5). A recorded title with no such words says nothing either way.
 */
export function dialogTitlesAgree(recorded: string, live: string, mainTitles: readonly string[]): boolean {
  const document = new Set(mainTitles.flatMap((title) => [...titleWords(title)]));
  const before = titleWords(recorded, document);
  if (!before.size) return true;
  const now = titleWords(live, document);
  const shared = [...before].filter((word) => now.has(word)).length;
  return shared / (before.size + now.size - shared) >= 0.5;
}

/**
 * Why the active window is not where the step's keys were recorded going, or undefined when it is:
 * `part` says what the active window is to the app (its main window or one of its dialogs).
 */
export function keyboardWindowMismatch(recorded: KeyboardWindow, part: 'main' | 'dialog', active: WindowInfo, mainTitles: readonly string[]): string | undefined {
  if (recorded.role !== part) return recorded.role === 'dialog' ? `the keys were recorded going to the app's dialog ${describeRecorded(recorded)}, and no dialog of the app is active` : `the keys were recorded going to the app's main window, and a dialog of the app is active`;
  if (part === 'dialog' && recorded.title !== undefined && !dialogTitlesAgree(recorded.title, active.title, mainTitles)) return `the keys were recorded going to the app's dialog ${describeRecorded(recorded)}, and the active dialog is another one`;
  return undefined;
}

/** A recorded window as evidence: its title, class and size. */
export function describeRecorded(recorded: KeyboardWindow): string {
  const facts = [recorded.class_name ? `class ${recorded.class_name}` : undefined, recorded.size ? `${recorded.size.width}×${recorded.size.height}` : undefined].filter(Boolean);
  return `${JSON.stringify(recorded.title ?? '')}${facts.length ? ` (${facts.join(', ')})` : ''}`;
}
