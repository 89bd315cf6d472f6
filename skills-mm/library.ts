import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { SkillframeError } from '../core/index.ts';
import { LibrarySkill, type SearchHit } from '../core/commands/skills.ts';

export type { SearchHit };
import { PermissionTier, SkillName, type AuditReport } from '../core/schemas/skill.ts';
import { auditLoaded } from './audit.ts';
import { withFileLock } from './lock.ts';
import { loadPackageSource, packageToFiles, parsePackage, writePackageFiles, type PackageFiles, type SkillPackage } from './format.ts';
import { decodeImage } from '../native/image.ts';
import { thumbnailDataUrl } from './images.ts';
import { loadWordVectors, type WordVectors } from '../perception/word-vectors.ts';
import { loadWordNet, type Lexicon } from '../perception/wordnet.ts';
import { hybridTextScores, type SearchDocument } from './search.ts';
import { screenHashes, visualSimilarity, type ScreenHashes } from './visual.ts';
import { writeZip } from './zip.ts';
import { writeFileAtomically } from '../native/files.ts';

/**
 * The library: audited packages under one folder (default `$SKILLFRAME_HOME/skills`), one folder
 * per skill, plus index.json with what list and search need (so neither re-reads every package).
 * The index is a cache: when it is missing or corrupt it is rebuilt from the folders.
 */

/** What the contract shows of a skill (core's LibrarySkill), plus what search needs, kept in the index. */
export const LibraryEntry = LibrarySkill.extend({
  /** One perceptual hash per state (of its `before` view, else `full_frame`), for visual search. */
  keyframes: z.array(z.object({ state_id: z.string(), file: z.string(), hash: z.string(), content_hash: z.string().optional() })),
  /** Text for BM25, kept here so search never opens packages. */
  search_text: z.object({
    name: z.string(),
    description: z.string(),
    cards: z.string(),
    steps: z.string(),
    /** The choices and every value they take ("sort by: Name, Price, Date added"): a task may name a value. */
    choices: z.string().optional(),
  }),
});
export type LibraryEntry = z.infer<typeof LibraryEntry>;

const LibraryIndex = z.object({ version: z.literal(1), skills: z.array(LibraryEntry) });

export class SkillLibrary {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  private indexPath(): string {
    return join(this.root, 'index.json');
  }

  private skillDir(name: string): string {
    SkillName.parse(name);
    return join(this.root, name);
  }

  /** One lock around list → write → index, across processes (two `library add` at once). */
  private lockPath(): string {
    return join(this.root, '.lock');
  }

  private locked<T>(run: () => T): T {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    return withFileLock(this.lockPath(), run);
  }

  /** Keyframe hashes live beside the index (not inside the audited package), so a rebuilt index keeps them. */
  private keyframesPath(name: string): string {
    return join(this.root, '.keyframes', `${SkillName.parse(name)}.json`);
  }

  private savedKeyframes(name: string): LibraryEntry['keyframes'] {
    try {
      const parsed = LibraryEntry.shape.keyframes.safeParse(JSON.parse(readFileSync(this.keyframesPath(name), 'utf8')));
      return parsed.success ? parsed.data : [];
    } catch {
      return [];
    }
  }

  list(): LibraryEntry[] {
    const known = this.readIndex();
    if (known.consistent) return known.entries;
    return this.locked(() => {
      // Another process may have rebuilt it while this one waited.
      const again = this.readIndex();
      return again.consistent ? again.entries : this.reindexSync(again.entries);
    });
  }

  /** The index as stored, and whether it names exactly the skill folders there are. */
  private readIndex(): { entries: LibraryEntry[]; consistent: boolean } {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    let known: LibraryEntry[] = [];
    try {
      const parsed = LibraryIndex.safeParse(JSON.parse(readFileSync(this.indexPath(), 'utf8')));
      if (parsed.success) known = parsed.data.skills;
    } catch {
      /* missing or corrupt: rebuilt below */
    }
    // The folders are the truth: a folder added by hand, or an index lost, rebuilds the index
    // (keeping what it already knew).
    const folders = this.skillFolders();
    return { entries: known, consistent: known.length === folders.length && known.every((entry, index) => entry.name === folders[index]) };
  }

  private skillFolders(): string[] {
    return readdirSync(this.root)
      .filter((name) => SkillName.safeParse(name).success && existsSync(join(this.root, name, 'SKILL.md')))
      .sort((a, b) => a.localeCompare(b));
  }

  /**
   * Rebuilds the index from the folders (under the lock); entries already known are kept as they
   * are, keyframes come from their sidecar, and a folder that fails the audit is left out.
   */
  private reindexSync(known: LibraryEntry[] = []): LibraryEntry[] {
    const entries: LibraryEntry[] = [];
    for (const name of this.skillFolders()) {
      const previous = known.find((entry) => entry.name === name);
      if (previous) {
        entries.push(previous);
        continue;
      }
      try {
        const loaded = loadPackageSource(join(this.root, name));
        const report = auditLoaded(loaded, join(this.root, name));
        if (!report.accepted) continue; // dropped in by hand or damaged: not served until it passes
        const skill = parsePackage(loaded.files);
        entries.push(entryFor(skill, report, loaded.bytes, new Date().toISOString(), this.savedKeyframes(name)));
      } catch {
        /* a damaged folder is left out of the index, not deleted */
      }
    }
    this.saveIndex(entries);
    return entries;
  }

  private saveIndex(entries: LibraryEntry[]) {
    mkdirSync(this.root, { recursive: true });
    const path = this.indexPath();
    writeFileAtomically(path, `${JSON.stringify({ version: 1, skills: entries }, null, 1)}\n`, { mode: 0o600 });
  }

  /**
   * Adds a package folder or zip. It is read into memory under caps and audited there; only an
   * accepted package is written into the library (refused → `refused` with the report).
   */
  async add(source: string, options: { replace?: boolean; signal?: AbortSignal } = {}): Promise<{ entry: LibraryEntry; report: AuditReport }> {
    const loaded = loadPackageSource(source);
    const report = auditLoaded(loaded, source);
    if (!report.accepted) {
      const reasons = report.findings.filter((finding) => finding.severity === 'refuse').slice(0, 3).map((finding) => `${finding.code}: ${finding.message}`);
      throw new SkillframeError('refused', `package ${source} failed the audit: ${reasons.join('; ')}`, { report });
    }
    const skill = parsePackage(loaded.files);
    const name = skill.frontmatter.name;
    const taken = (entries: LibraryEntry[]) => {
      if (!options.replace && entries.some((entry) => entry.name === name)) {
        throw new SkillframeError('refused', `a skill named ${name} is already in the library; remove it first or pass --replace`);
      }
    };
    taken(this.list()); // early, before the slow part
    options.signal?.throwIfAborted();
    const keyframes = await keyframeHashes(skill);
    const files = packageToFiles(skill); // re-serialized: only what the schemas know is stored
    options.signal?.throwIfAborted();
    const entry = this.locked(() => {
      // Checked again under the lock: of two adds of one name, exactly one writes.
      const { entries, consistent } = this.readIndex();
      const current = consistent ? entries : this.reindexSync(entries);
      taken(current);
      writePackageFiles(this.skillDir(name), files);
      mkdirSync(join(this.root, '.keyframes'), { recursive: true, mode: 0o700 });
      writeFileSync(this.keyframesPath(name), JSON.stringify(keyframes), { mode: 0o600 });
      const added = entryFor(skill, report, [...files.values()].reduce((sum, data) => sum + data.length, 0), new Date().toISOString(), keyframes);
      this.saveIndex([...current.filter((candidate) => candidate.name !== name), added].sort((a, b) => a.name.localeCompare(b.name)));
      return added;
    });
    return { entry, report };
  }

  entry(name: string): LibraryEntry {
    const entry = this.list().find((candidate) => candidate.name === name);
    if (!entry) throw new SkillframeError('not_found', `no skill named ${JSON.stringify(name)} in the library ${this.root}`);
    return entry;
  }

  /** Reads a stored package back (it was audited on the way in). */
  load(name: string): SkillPackage {
    this.entry(name);
    const loaded = loadPackageSource(this.skillDir(name));
    return parsePackage(loaded.files);
  }

  files(name: string): PackageFiles {
    this.entry(name);
    return loadPackageSource(this.skillDir(name)).files;
  }

  remove(name: string): boolean {
    return this.locked(() => {
      const { entries: known, consistent } = this.readIndex();
      const entries = consistent ? known : this.reindexSync(known);
      if (!entries.some((entry) => entry.name === name)) throw new SkillframeError('not_found', `no skill named ${JSON.stringify(name)} in the library ${this.root}`);
      rmSync(this.skillDir(name), { recursive: true, force: true });
      rmSync(this.keyframesPath(name), { force: true });
      this.saveIndex(entries.filter((entry) => entry.name !== name));
      return true;
    });
  }

  exportZip(name: string, out: string): { file: string; bytes: number } {
    const files = this.files(name);
    const zip = writeZip([...files].map(([file, data]) => ({ name: `${name}/${file}`, data })));
    mkdirSync(dirname(out), { recursive: true });
    writeFileAtomically(out, zip);
    return { file: out, bytes: zip.length };
  }

  /** Every skill as NAME.zip in one folder (to share or back up the whole library). */
  exportAll(outDir: string): { dir: string; bytes: number; skills: { name: string; file: string; bytes: number }[] } {
    const skills = this.list().map((entry) => ({ name: entry.name, ...this.exportZip(entry.name, join(outDir, `${entry.name}.zip`)) }));
    return { dir: outDir, bytes: skills.reduce((sum, skill) => sum + skill.bytes, 0), skills };
  }

  /**
   * Copies a skill into an agent's skills folder as an Agent Skills folder (folder name = skill
   * name). Another skill already there is kept unless `replace`.
   */
  install(name: string, agent: AgentKind, options: { project?: string; replace?: boolean } = {}): { dir: string; files: number } {
    const files = this.files(name);
    const dir = join(agentSkillsRoot(agent, options.project), name);
    if (existsSync(dir) && !options.replace) throw new SkillframeError('refused', `${dir} already exists; pass --replace to overwrite it`);
    writePackageFiles(dir, files);
    return { dir, files: files.size };
  }

  /** A package image as a small PNG data URL (the UI reaches images only through the contract). */
  async image(name: string, file: string, maxSide: number): Promise<{ data_url: string; width: number; height: number }> {
    if (!/^Images\/[A-Za-z0-9._-]+\.(?:png|webp)$/.test(file)) throw new SkillframeError('bad_input', `input.file: ${JSON.stringify(file)} is not an Images/ file`);
    const data = this.files(name).get(file);
    if (!data) throw new SkillframeError('not_found', `skill ${name} has no ${file}`);
    const url = await thumbnailDataUrl(data, maxSide);
    const decoded = await decodeImage(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
    return { data_url: url, width: decoded.width, height: decoded.height };
  }

  /**
   * BM25 and word-vector meaning over the text, and with a screenshot, perceptual-hash match to
   * each state's keyframe. `text: 'lexical'` is BM25 alone, `'vectors'` leaves WordNet out (the
   * benchmark's baseline and ablation).
   */
  async search(query: string, options: { screen?: Buffer; limit?: number; text?: 'hybrid' | 'vectors' | 'lexical' } = {}): Promise<SearchHit[]> {
    const entries = this.list();
    const documents: SearchDocument[] = entries.map((entry) => ({
      id: entry.name,
      fields: [
        { text: entry.search_text.name.replace(/-/g, ' '), weight: 3 },
        { text: `${entry.search_text.description} ${entry.app}`, weight: 2 },
        { text: entry.search_text.cards, weight: 1 },
        { text: entry.search_text.steps, weight: 1 },
        { text: entry.search_text.choices ?? '', weight: 1 },
      ],
    }));
    const semantic = options.text === 'lexical' || !query.trim() ? undefined : searchVectors();
    const text = hybridTextScores(documents, query, semantic?.vectors, options.text === 'vectors' ? undefined : semantic?.lexicon);
    let screenHash: ScreenHashes | undefined;
    if (options.screen) screenHash = screenHashes(await decodeImage(options.screen));
    const hits: SearchHit[] = [];
    for (const entry of entries) {
      const scores = text.get(entry.name);
      const textScore = scores?.text ?? 0;
      let visual: number | undefined;
      let bestState: string | undefined;
      if (screenHash) {
        for (const keyframe of entry.keyframes) {
          const similarity = visualSimilarity(screenHash, { full: keyframe.hash, ...(keyframe.content_hash ? { content: keyframe.content_hash } : {}) });
          if (visual === undefined || similarity > visual) {
            visual = similarity;
            bestState = keyframe.state_id;
          }
        }
      }
      const hasQuery = query.trim().length > 0;
      const score = screenHash && hasQuery ? 0.5 * textScore + 0.5 * (visual ?? 0) : screenHash ? visual ?? 0 : textScore;
      if (hasQuery && !screenHash && textScore === 0) continue;
      hits.push({
        name: entry.name,
        score: Math.round(score * 1000) / 1000,
        text_score: Math.round(textScore * 1000) / 1000,
        ...(scores?.semantic === undefined ? {} : { semantic_score: Math.round(scores.semantic * 1000) / 1000 }),
        ...(visual === undefined ? {} : { visual_score: Math.round(visual * 1000) / 1000 }),
        ...(bestState ? { best_state: bestState } : {}),
        description: entry.description,
        app: entry.app,
        permission_tier: entry.permission_tier,
      });
    }
    return hits.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name)).slice(0, options.limit ?? 10);
  }
}

/**
 * The word vectors and WordNet, or none when the vectors' package is missing (search is then BM25
 * alone); without WordNet's package, the vectors alone.
 */
function searchVectors(): { vectors: WordVectors; lexicon?: Lexicon } | undefined {
  const optional = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (error instanceof SkillframeError && error.code === 'unavailable') return undefined;
      throw error;
    }
  };
  const vectors = optional(() => loadWordVectors());
  if (!vectors) return undefined;
  const lexicon = optional(() => loadWordNet());
  return { vectors, ...(lexicon ? { lexicon } : {}) };
}

export type AgentKind = 'claude' | 'codex' | 'agents';

/** Where each agent reads skills: the project's folder when one is given, else the user's. */
export function agentSkillsRoot(agent: AgentKind, project?: string): string {
  const folder = { claude: '.claude', codex: '.codex', agents: '.agents' }[agent];
  return join(project ? resolve(project) : homedir(), folder, 'skills');
}

async function keyframeHashes(skill: SkillPackage): Promise<LibraryEntry['keyframes']> {
  const keyframes: LibraryEntry['keyframes'] = [];
  for (const card of skill.cards.states) {
    const view = card.available_views.find((candidate) => candidate.view === 'before') ?? card.available_views.find((candidate) => candidate.view === 'full_frame');
    const data = view ? skill.images.get(view.file) : undefined;
    if (!view || !data) continue;
    try {
      const hashes = screenHashes(await decodeImage(data));
      keyframes.push({ state_id: card.state_id, file: view.file, hash: hashes.full, content_hash: hashes.content });
    } catch {
      /* an undecodable image only costs visual search for that state */
    }
  }
  return keyframes;
}

function entryFor(skill: SkillPackage, report: AuditReport, bytes: number, addedAt: string, keyframes: LibraryEntry['keyframes']): LibraryEntry {
  const { frontmatter, cards, plan } = skill;
  const views = cards.states[0]?.available_views ?? [];
  const thumbnail = (frontmatter.metadata.platform === 'x11' ? views.find((view) => view.view === 'focus_crop') : undefined) ?? views.find((view) => view.view === 'full_frame') ?? views[0];
  return {
    ...(thumbnail ? { thumbnail: thumbnail.file } : {}),
    name: frontmatter.name,
    description: frontmatter.description,
    app: frontmatter.metadata.app,
    platform: frontmatter.metadata.platform,
    permission_tier: frontmatter.metadata.permission_tier,
    version: frontmatter.metadata.version,
    steps: plan.steps.length,
    states: cards.states.length,
    bytes,
    added_at: addedAt,
    audit: { accepted: report.accepted, findings: report.findings },
    keyframes,
    search_text: {
      name: frontmatter.name,
      description: frontmatter.description,
      cards: cards.states.map((card) => [card.stage, card.when_to_use, ...card.visible_cues, card.verification_cue].join(' ')).join('\n').slice(0, 20_000),
      steps: plan.steps.map((step) => step.description).join('\n').slice(0, 20_000),
      choices: plan.parameters
        .filter((parameter) => parameter.kind === 'choice')
        .map((parameter) => `${parameter.name.replace(/_/g, ' ')}: ${(parameter.options ?? []).join(', ')}`)
        .join('\n')
        .slice(0, 20_000),
    },
  };
}
