import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway SKILLFRAME_HOME, so tests never touch the user's library or settings. */
export function temporaryHome(): { path: string; env: NodeJS.ProcessEnv; dispose(): void } {
  const path = mkdtempSync(join(tmpdir(), 'sf-home-'));
  return {
    path,
    env: { ...process.env, SKILLFRAME_HOME: path },
    dispose: () => rmSync(path, { recursive: true, force: true }),
  };
}
