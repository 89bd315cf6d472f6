import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseOrThrow } from '../core/index.ts';
import { originOf, Settings } from '../core/commands/system.ts';

/**
 * Where Skillframe keeps its state: `$SKILLFRAME_HOME`, else `~/.skillframe`.
 * Tests point SKILLFRAME_HOME at a temp dir so they never touch the user's library.
 */
export function skillframeHome(): string {
  const home = process.env.SKILLFRAME_HOME || join(homedir(), '.skillframe');
  // Recordings, skills and settings hold screens, keystrokes and keys: the owner's alone. A home
  // made by an older version (0755) is tightened on first use.
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const stat = statSync(home);
  if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) chmodSync(home, 0o700);
  return home;
}

export function homePath(...parts: string[]): string {
  const path = join(skillframeHome(), ...parts);
  return path;
}

/** Folder of live processes that the kill switch (`skillframe stop`) reaches. */
export function runDirectory(): string {
  const dir = homePath('run');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
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

/**
 * Binds the API key to the origin it was entered for: a patch that sets a key records the
 * origin of the base URL it goes with; a patch that moves the base URL to another origin without
 * a new key drops the old one (observed: changing only `baseUrl` sent the stored key to the new host).
 */
export function bindApiKey(previous: Settings, patch: Record<string, unknown>, next: Settings): Settings {
  const vlmPatch = (patch.vlm ?? {}) as Record<string, unknown>;
  const origin = originOf(next.vlm.baseUrl ?? process.env.SKILLFRAME_VLM_BASE_URL);
  const { apiKey, apiKeyOrigin: _stale, ...rest } = next.vlm;
  if (typeof vlmPatch.apiKey === 'string') return { ...next, vlm: { ...rest, apiKey, ...(origin ? { apiKeyOrigin: origin } : {}) } };
  const boundTo = previous.vlm.apiKeyOrigin ?? originOf(previous.vlm.baseUrl ?? process.env.SKILLFRAME_VLM_BASE_URL);
  if (!apiKey || boundTo !== origin) return { ...next, vlm: rest };
  return { ...next, vlm: { ...rest, apiKey, ...(boundTo ? { apiKeyOrigin: boundTo } : {}) } };
}

/** Settings as shown to any client: the API key never leaves the host. */
export function publicSettings(settings: Settings) {
  const { apiKey, ...vlm } = settings.vlm;
  return { ...settings, vlm: { ...vlm, apiKeySet: Boolean(apiKey) } };
}
