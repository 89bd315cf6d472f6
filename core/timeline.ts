/**
 * The entry in force at `at` in a list of timed values kept oldest first (a window title, the
 * active window): the last one taken at or before it; undefined before the first. Shared by the
 * live watchers and by the builder reading what they stored.
 */
export function lastAtOrBefore<Entry extends { at: number }>(entries: readonly Entry[], at: number): Entry | undefined {
  let found: Entry | undefined;
  for (const entry of entries) {
    if (entry.at > at) break;
    found = entry;
  }
  return found;
}
