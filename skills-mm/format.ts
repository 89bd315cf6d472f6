import { escapeInvisibleInJson } from '../core/text.ts';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SkillframeError, parseOrThrow } from '../core/index.ts';
import {
  PlanFile,
  containsRedactionPlaceholder,
  RuntimeStateCardsFile,
  SKILL_FORMAT_VERSION,
  SkillFrontmatter,
  StateCardsFile,
  type AuditFindingCode,
} from '../core/schemas/skill.ts';
import { parseSkillMarkdown, renderSkillMarkdown, type FrontmatterValue } from './frontmatter.ts';
import { defaultZipLimits, readZip, type ZipLimits } from './zip.ts';

/**
 * Package files in memory. Reading a package never follows links and never writes: the audit
 * and the library work on this map, so an untrusted package cannot make us touch the disk.
 */
export type PackageFiles = Map<string, Buffer>;

export interface LoadProblem {
  code: AuditFindingCode;
  file?: string;
  message: string;
}

export interface LoadedPackage {
  files: PackageFiles;
  problems: LoadProblem[];
  /** Entry names exactly as stored (for path checks), including ones refused while loading. */
  names: string[];
  bytes: number;
}

export const packageLimits: ZipLimits & { maxDepth: number } = { ...defaultZipLimits, maxDepth: 4 };

export const requiredFiles = ['SKILL.md', 'state_cards.json', 'runtime_state_cards.json', 'plan.json'] as const;

/** Reads a package folder or a .zip of one into memory under hard caps. */
export function loadPackageSource(source: string, limits = packageLimits): LoadedPackage {
  let stat;
  try {
    stat = lstatSync(source);
  } catch {
    throw new SkillframeError('not_found', `package ${JSON.stringify(source)} does not exist`);
  }
  if (stat.isSymbolicLink()) {
    return { files: new Map(), names: [basename(source)], bytes: 0, problems: [{ code: 'symlink', message: `${source} is itself a symbolic link` }] };
  }
  if (stat.isDirectory()) return loadDirectory(source, limits);
  if (!stat.isFile()) return { files: new Map(), names: [], bytes: 0, problems: [{ code: 'special_file', message: `${source} is not a file or folder` }] };
  if (stat.size > limits.maxArchiveBytes) {
    return { files: new Map(), names: [], bytes: stat.size, problems: [{ code: 'total_too_large', message: `${source} is ${stat.size} bytes, more than the cap of ${limits.maxArchiveBytes}` }] };
  }
  const archive = readBounded(source, limits.maxArchiveBytes);
  const { entries, problems } = readZip(archive, limits);
  const files: PackageFiles = new Map();
  const names: string[] = [];
  const loadProblems: LoadProblem[] = problems.map((problem) => ({ ...problem }));
  let bytes = 0;
  for (const entry of entries) {
    names.push(entry.name);
    if (entry.directory) continue;
    const key = normalizeEntry(entry.name);
    if (files.has(key)) {
      loadProblems.push({ code: 'duplicate_path', file: entry.name, message: `${entry.name} appears twice in the archive` });
      continue;
    }
    files.set(key, entry.data);
    bytes += entry.data.length;
  }
  for (const problem of problems) if (problem.file && !names.includes(problem.file)) names.push(problem.file);
  return { files: stripCommonRoot(files), names, bytes, problems: loadProblems };
}

function loadDirectory(root: string, limits: typeof packageLimits): LoadedPackage {
  const files: PackageFiles = new Map();
  const names: string[] = [];
  const problems: LoadProblem[] = [];
  let bytes = 0;
  let count = 0;
  const walk = (relative: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(join(root, relative)).sort();
    } catch (error) {
      problems.push({ code: 'special_file', file: relative || '.', message: `cannot list ${relative || '.'}: ${(error as Error).message}` });
      return;
    }
    for (const entry of entries) {
      const name = relative ? `${relative}/${entry}` : entry;
      names.push(name);
      count += 1;
      if (count > limits.maxEntries) {
        if (!problems.some((problem) => problem.code === 'too_many_files')) problems.push({ code: 'too_many_files', message: `more than ${limits.maxEntries} entries` });
        return;
      }
      const stat = lstatSync(join(root, name));
      if (stat.isSymbolicLink()) {
        problems.push({ code: 'symlink', file: name, message: `${name} is a symbolic link` });
      } else if (stat.isDirectory()) {
        if (depth + 1 > limits.maxDepth) problems.push({ code: 'too_many_files', file: name, message: `${name} is nested deeper than ${limits.maxDepth} folders` });
        else walk(name, depth + 1);
      } else if (!stat.isFile()) {
        problems.push({ code: 'special_file', file: name, message: `${name} is a device, pipe or socket` });
      } else if (stat.nlink > 1) {
        problems.push({ code: 'hard_link', file: name, message: `${name} has ${stat.nlink} names (a hard link): it may be a file outside the package` });
      } else if (stat.size > limits.maxEntryBytes) {
        problems.push({ code: 'file_too_large', file: name, message: `${name} is ${stat.size} bytes, more than the cap of ${limits.maxEntryBytes}` });
      } else if (bytes + stat.size > limits.maxTotalBytes) {
        if (!problems.some((problem) => problem.code === 'total_too_large')) problems.push({ code: 'total_too_large', message: `package is more than ${limits.maxTotalBytes} bytes` });
      } else {
        const data = readBounded(join(root, name), limits.maxEntryBytes, stat);
        if (!Buffer.isBuffer(data)) {
          problems.push({ ...data, file: name, message: `${name} ${data.message}` });
          continue;
        }
        bytes += data.length;
        files.set(name, data);
      }
    }
  };
  walk('', 0);
  return { files, names, bytes, problems };
}

/**
 * Reads at most `max` bytes from a regular file. It is opened without following a symlink and
 * without blocking on a pipe, and when `seen` (the lstat the walk judged) is given, the opened file
 * must still be that same single-named regular file: a swap between the check and the open
 * (symlink, FIFO, hard link to a secret) is refused, not read.
 */
function readBounded(path: string, max: number): Buffer;
function readBounded(path: string, max: number, seen: Stats): Buffer | LoadProblem;
function readBounded(path: string, max: number, seen?: Stats): Buffer | LoadProblem {
  let fd: number;
  try {
    // The archive a person names may be a symlink to it; entries of a folder package may not.
    fd = openSync(path, seen ? constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK : constants.O_RDONLY);
  } catch (error) {
    if (!seen) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    return { code: code === 'ELOOP' ? 'symlink' : 'special_file', message: `changed while it was audited (${code})` };
  }
  try {
    const opened = fstatSync(fd);
    if (seen) {
      if (opened.dev !== seen.dev || opened.ino !== seen.ino) return { code: 'special_file', message: 'was replaced while it was audited' };
      if (!opened.isFile()) return { code: 'special_file', message: 'is not a regular file' };
      if (opened.nlink > 1) return { code: 'hard_link', message: `has ${opened.nlink} names (a hard link)` };
    }
    const size = Math.min(fstatSync(fd).size, max);
    const buffer = Buffer.alloc(size);
    let offset = 0;
    while (offset < size) {
      const read = readSync(fd, buffer, offset, size - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return buffer.subarray(0, offset);
  } finally {
    closeSync(fd);
  }
}

function normalizeEntry(name: string): string {
  return name.replace(/^\.\//, '');
}

/** Zips made by `zip -r skill.zip my-skill/` put everything under one folder; look inside it. */
function stripCommonRoot(files: PackageFiles): PackageFiles {
  if (files.has('SKILL.md')) return files;
  const roots = new Set([...files.keys()].map((name) => name.split('/')[0]));
  if (roots.size !== 1) return files;
  const [root] = roots;
  if (!files.has(`${root}/SKILL.md`)) return files;
  return new Map([...files].map(([name, data]) => [name.slice(root.length + 1), data]));
}

// ---------------------------------------------------------------------------------------------
// Versioned parsing. Upgraders take the raw JSON of version n and return version n+1.

type Upgrader = (raw: Record<string, unknown>, skill: string) => Record<string, unknown>;

/**
 * Version 0 is the bare MMSkills runtime layout: state_cards.json / runtime_state_cards.json as a
 * plain array of cards without a wrapper, and cards without `step_ids`. Version 1 wraps them.
 */
const cardUpgraders: Record<number, Upgrader> = {
  0: (raw, skill) => {
    const states = (Array.isArray(raw.states) ? raw.states : []).map((card) =>
      card && typeof card === 'object' && !Array.isArray(card) && !('step_ids' in card) && 'available_views' in card ? { ...card, step_ids: [] } : card,
    );
    return { format_version: 1, skill, states };
  },
};
const planUpgraders: Record<number, Upgrader> = {};

export function upgrade(raw: unknown, upgraders: Record<number, Upgrader>, skill: string, file: string): unknown {
  let current: Record<string, unknown>;
  if (Array.isArray(raw)) current = { format_version: 0, states: raw };
  else if (raw && typeof raw === 'object') current = raw as Record<string, unknown>;
  else return raw;
  let version = typeof current.format_version === 'number' ? current.format_version : 0;
  if (version > SKILL_FORMAT_VERSION) {
    throw new SkillframeError('bad_input', `${file}: format_version ${version} is newer than this Skillframe reads (${SKILL_FORMAT_VERSION}); update Skillframe`);
  }
  while (version < SKILL_FORMAT_VERSION) {
    const step = upgraders[version];
    if (!step) throw new SkillframeError('bad_input', `${file}: no upgrader from format_version ${version}`);
    current = step(current, skill);
    version += 1;
  }
  return current;
}

export interface SkillPackage {
  frontmatter: SkillFrontmatter;
  body: string;
  cards: StateCardsFile;
  runtime: RuntimeStateCardsFile;
  plan: PlanFile;
  /** Images/… files by package path. */
  images: Map<string, Buffer>;
}

export function parseJsonFile(files: PackageFiles, name: string): unknown {
  const data = files.get(name);
  if (!data) throw new SkillframeError('bad_input', `${name} is missing`);
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw new SkillframeError('bad_input', `${name}: not valid JSON (${(error as Error).message})`);
  }
}

export function parseFrontmatter(files: PackageFiles): { frontmatter: SkillFrontmatter; body: string } {
  const data = files.get('SKILL.md');
  if (!data) throw new SkillframeError('bad_input', 'SKILL.md is missing');
  const document = parseSkillMarkdown(data.toString('utf8'));
  return { frontmatter: parseOrThrow(SkillFrontmatter, document.frontmatter, 'SKILL.md'), body: document.body };
}

export function parseCards(files: PackageFiles, skill: string): StateCardsFile {
  return parseOrThrow(StateCardsFile, upgrade(parseJsonFile(files, 'state_cards.json'), cardUpgraders, skill, 'state_cards.json'), 'state_cards.json');
}

export function parseRuntimeCards(files: PackageFiles, skill: string): RuntimeStateCardsFile {
  return parseOrThrow(RuntimeStateCardsFile, upgrade(parseJsonFile(files, 'runtime_state_cards.json'), cardUpgraders, skill, 'runtime_state_cards.json'), 'runtime_state_cards.json');
}

export function parsePlan(files: PackageFiles, skill: string): PlanFile {
  return parseOrThrow(PlanFile, secretsFromPlaceholders(upgrade(parseJsonFile(files, 'plan.json'), planUpgraders, skill, 'plan.json')), 'plan.json');
}

/**
 * Packages built before secret parameters stored the redaction placeholder ("[email]") or an
 * empty masked value as the default, and replay typed it. Such a parameter is read as a secret:
 * required, with no default.
 */
export function secretsFromPlaceholders(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || !Array.isArray((raw as { parameters?: unknown }).parameters)) return raw;
  const plan = raw as { parameters: unknown[] };
  const parameters = plan.parameters.map((parameter) => {
    if (!parameter || typeof parameter !== 'object') return parameter;
    const { default: value, description, secret } = parameter as { default?: unknown; description?: unknown; secret?: unknown };
    if (secret !== undefined || typeof value !== 'string') return parameter;
    const masked = value === '' && typeof description === 'string' && /masked when recorded/i.test(description);
    return containsRedactionPlaceholder(value) || masked ? { ...parameter, default: '', secret: true } : parameter;
  });
  return { ...plan, parameters };
}

/** Parses a package already loaded (and, for untrusted ones, audited). Throws bad_input. */
export function parsePackage(files: PackageFiles): SkillPackage {
  const { frontmatter, body } = parseFrontmatter(files);
  const images = new Map([...files].filter(([name]) => name.startsWith('Images/')));
  return {
    frontmatter,
    body,
    cards: parseCards(files, frontmatter.name),
    runtime: parseRuntimeCards(files, frontmatter.name),
    plan: parsePlan(files, frontmatter.name),
    images,
  };
}

/** The package as the files it is made of (what `writePackage` and export store). */
export function packageToFiles(skill: SkillPackage): PackageFiles {
  const files: PackageFiles = new Map();
  files.set('SKILL.md', Buffer.from(renderSkillMarkdown(skill.frontmatter as unknown as Record<string, FrontmatterValue>, skill.body)));
  // Invisible characters (only ever in a locator's raw_name / raw_text) are written as \u escapes,
  // so no file holds one a reviewer's editor would not show.
  const json = (value: unknown) => Buffer.from(`${escapeInvisibleInJson(JSON.stringify(value, null, 2))}\n`);
  files.set('state_cards.json', json(skill.cards));
  files.set('runtime_state_cards.json', json(skill.runtime));
  files.set('plan.json', json(skill.plan));
  for (const [name, data] of [...skill.images].sort(([a], [b]) => a.localeCompare(b))) files.set(name, data);
  return files;
}

/**
 * Writes files into `dir` all at once: into a sibling temp folder first, then one rename, so a
 * reader never sees half a package and a crash leaves the old one intact.
 */
export function writePackageFiles(dir: string, files: PackageFiles): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  const staging = join(parent, `.${basename(dir)}.staging-${process.pid}-${Date.now()}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    for (const [name, data] of files) {
      if (name.includes('..') || name.startsWith('/') || name.includes('\\')) throw new SkillframeError('internal', `refusing to write package path ${JSON.stringify(name)}`);
      // Screens and typed text are private: only the owner reads a stored package.
      mkdirSync(dirname(join(staging, name)), { recursive: true, mode: 0o700 });
      writeFileSync(join(staging, name), data, { mode: 0o600 });
    }
    const previous = `${staging}.old`;
    let hadPrevious = false;
    try {
      renameSync(dir, previous);
      hadPrevious = true;
    } catch {
      /* nothing there yet */
    }
    renameSync(staging, dir);
    if (hadPrevious) rmSync(previous, { recursive: true, force: true });
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
