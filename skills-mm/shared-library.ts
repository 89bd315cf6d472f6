import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { SkillframeError } from '../core/index.ts';
import { SkillName } from '../core/schemas/skill.ts';
import { runProgram } from '../native/process/run.ts';
import type { SkillLibrary } from './library.ts';

/**
 * A shared library is a git repository with one Agent Skills folder per skill at its top level.
 * `pull` clones it and adds every folder through the library's audit gate (a package that fails
 * the audit never lands); `push` copies the library's skills into a clone and pushes. Conflicts
 * go by the skill's version (metadata.version): the newer one wins, an equal or older one is kept
 * where it is and reported. The remote last used is remembered in the library folder.
 */

export interface SyncReport {
  remote: string;
  added: string[];
  updated: string[];
  kept: { name: string; reason: string }[];
  refused: { name: string; reason: string }[];
  pushed?: string[];
  commit?: string;
}

const Remote = z.object({ url: z.string().min(1).max(4096) });
const gitIdentity = ['-c', 'user.name=Skillframe', '-c', 'user.email=skillframe@localhost', '-c', 'init.defaultBranch=main'];

async function git(args: string[], cwd: string | undefined, signal?: AbortSignal): Promise<string> {
  const result = await runProgram('git', [...gitIdentity, ...(cwd ? ['-C', cwd] : []), ...args], { timeoutMs: 120_000, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, ...(signal ? { signal } : {}) }).catch((error: Error) => {
    throw new SkillframeError('unavailable', `git could not be run (${error.message}); install git to share a library`);
  });
  if (result.code !== 0) throw new SkillframeError('unavailable', `git ${args[0]} failed: ${result.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 400)}`);
  return result.stdout.trim();
}

/** A remote is a URL git understands or a local path (made absolute, so it means the same later). */
function normalizeRemote(remote: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(remote) || /^[^/]+@[^:]+:/.test(remote) ? remote : resolve(remote);
}

function remotePath(library: SkillLibrary): string {
  return join(library.root, '.remote.json');
}

export function rememberedRemote(library: SkillLibrary): string | undefined {
  try {
    return Remote.parse(JSON.parse(readFileSync(remotePath(library), 'utf8'))).url;
  } catch {
    return undefined;
  }
}

/** -1, 0, 1 for dotted versions (1 < 1.1 < 1.2.3). */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference) return Math.sign(difference);
  }
  return 0;
}

function versionIn(folder: string): string | undefined {
  try {
    return /^\s*version:\s*"?([0-9.]+)"?\s*$/m.exec(readFileSync(join(folder, 'SKILL.md'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

function skillFolders(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && existsSync(join(root, entry.name, 'SKILL.md')))
    .map((entry) => entry.name)
    .sort();
}

async function clone(remote: string, signal?: AbortSignal): Promise<{ dir: string; dispose(): void }> {
  const work = mkdtempSync(join(tmpdir(), 'sf-shared-'));
  const dir = join(work, 'repo');
  try {
    await git(['clone', '--quiet', remote, dir], undefined, signal);
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
  return { dir, dispose: () => rmSync(work, { recursive: true, force: true }) };
}

/** Pulls every skill of a shared library into this one, each through the audit. */
export async function pullLibrary(library: SkillLibrary, remoteGiven: string | undefined, signal?: AbortSignal): Promise<SyncReport> {
  const remote = remoteGiven ? normalizeRemote(remoteGiven) : rememberedRemote(library);
  if (!remote) throw new SkillframeError('bad_input', 'input.source: give the shared library (a git URL or path); none was pulled from before');
  const checkout = await clone(remote, signal);
  const report: SyncReport = { remote, added: [], updated: [], kept: [], refused: [] };
  try {
    const known = new Map(library.list().map((entry) => [entry.name, entry.version]));
    for (const folder of skillFolders(checkout.dir)) {
      signal?.throwIfAborted();
      const incoming = versionIn(join(checkout.dir, folder)) ?? '0';
      const mine = known.get(folder);
      if (mine !== undefined && compareVersions(incoming, mine) <= 0) {
        report.kept.push({ name: folder, reason: `the library has version ${mine}; the shared one is ${incoming}` });
        continue;
      }
      try {
        const { entry } = await library.add(join(checkout.dir, folder), { replace: mine !== undefined, ...(signal ? { signal } : {}) });
        if (entry.name !== folder) throw new SkillframeError('refused', `the folder ${folder} holds a skill named ${entry.name}`);
        (mine === undefined ? report.added : report.updated).push(entry.name);
      } catch (error) {
        if (signal?.aborted) throw error;
        report.refused.push({ name: folder, reason: (error as Error).message.slice(0, 500) });
      }
    }
  } finally {
    checkout.dispose();
  }
  writeFileSync(remotePath(library), JSON.stringify({ url: remote }));
  return report;
}

/** Pushes the library's skills to the shared library: new ones and newer versions; older ones are kept there. */
export async function pushLibrary(library: SkillLibrary, remoteGiven: string | undefined, signal?: AbortSignal): Promise<SyncReport> {
  const remote = remoteGiven ? normalizeRemote(remoteGiven) : rememberedRemote(library);
  if (!remote) throw new SkillframeError('bad_input', 'input.remote: give the shared library (a git URL or path), or pull from it once');
  const checkout = await clone(remote, signal);
  const report: SyncReport = { remote, added: [], updated: [], kept: [], refused: [], pushed: [] };
  try {
    for (const entry of library.list()) {
      SkillName.parse(entry.name);
      const there = join(checkout.dir, entry.name);
      const theirs = existsSync(there) ? versionIn(there) ?? '0' : undefined;
      if (theirs !== undefined && compareVersions(entry.version, theirs) <= 0) {
        report.kept.push({ name: entry.name, reason: `the shared library has version ${theirs}; this one is ${entry.version}` });
        continue;
      }
      rmSync(there, { recursive: true, force: true });
      cpSync(join(library.root, entry.name), there, { recursive: true });
      (theirs === undefined ? report.added : report.updated).push(entry.name);
    }
    await git(['add', '--all'], checkout.dir, signal);
    const changed = await git(['status', '--porcelain'], checkout.dir, signal);
    if (changed) {
      await git(['commit', '--quiet', '-m', `Skillframe: ${[...report.added, ...report.updated].join(', ')}`.slice(0, 200)], checkout.dir, signal);
      await git(['push', '--quiet', 'origin', 'HEAD'], checkout.dir, signal);
      report.commit = await git(['rev-parse', 'HEAD'], checkout.dir, signal);
    }
    report.pushed = [...report.added, ...report.updated];
  } finally {
    checkout.dispose();
  }
  writeFileSync(remotePath(library), JSON.stringify({ url: remote }));
  return report;
}
