import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes a file so that a reader, a crash or a Ctrl+C never sees half of it: the data goes to a
 * temporary file beside it (named by process, so two processes writing the same file do not
 * share one), which then replaces the file in one rename.
 */
export function writeFileAtomically(path: string, data: string | Uint8Array, options: { mode?: number } = {}): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data, options.mode === undefined ? {} : { mode: options.mode });
  renameSync(temporary, path);
}
