import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseOrThrow } from '../core/index.ts';
import { Settings } from '../core/commands/system.ts';

/**
 * Where Skillframe keeps its state: `$SKILLFRAME_HOME`, else `~/.skillframe`.
 * Tests point SKILLFRAME_HOME at a temp dir so they never touch the user's library.
 */
export function skillframeHome(): string {
  const home = process.env.SKILLFRAME_HOME || join(homedir(), '.skillframe');
  mkdirSync(home, { recursive: true });
  return home;
}

export function homePath(...parts: string[]): string {
  const path = join(skillframeHome(), ...parts);
  return path;
}

/** Folder of live processes that the kill switch (`skillframe stop`) reaches. */
export function runDirectory(): string {
  const dir = homePath('run');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function readSettings(): Settings {
  let raw: unknown = {};
  try {
    raw = JSON.parse(readFileSync(homePath('settings.json'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      // A corrupt settings file must not brick the app; keep it aside and start from defaults.
      try {
        renameSync(homePath('settings.json'), homePath(`settings.corrupt-${Date.now()}.json`));
      } catch {
        /* already gone */
      }
    }
  }
  return parseOrThrow(Settings, raw, 'settings');
}

export function writeSettings(settings: Settings): void {
  const path = homePath('settings.json');
  writeFileSync(`${path}.tmp`, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** Settings as shown to any client: the API key never leaves the host. */
export function publicSettings(settings: Settings) {
  const { apiKey, ...vlm } = settings.vlm;
  return { ...settings, vlm: { ...vlm, apiKeySet: Boolean(apiKey) } };
}
