import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SkillframeError } from '../../core/index.ts';
import type { LibrarySkill } from '../../core/commands/skills.ts';
import type { LibraryEntry } from '../../skills-mm/library.ts';
import type { HandlerTable } from '../dispatcher.ts';
import { homePath, readSettings } from '../home.ts';

/**
 * Handlers of the skills room. Keep this file thin: import heavy modules lazily inside each
 * handler so the CLI starts fast.
 */

const skillsMm = {
  library: () => import('../../skills-mm/library.ts'),
  audit: () => import('../../skills-mm/audit.ts'),
  builder: () => import('../../skills-mm/builder.ts'),
  consult: () => import('../../skills-mm/consult.ts'),
};

async function openLibrary() {
  const { SkillLibrary } = await skillsMm.library();
  return new SkillLibrary(homePath('skills'));
}

function summary(entry: LibraryEntry): LibrarySkill {
  const { keyframes: _keyframes, search_text: _searchText, ...rest } = entry;
  return rest;
}

function readScreen(path: string | undefined): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(resolve(path));
  } catch {
    throw new SkillframeError('not_found', `input.screen: cannot read ${JSON.stringify(path)}`);
  }
}

/** The recordings under $SKILLFRAME_HOME/recordings a skill was built from (by the trajectory ids in metadata.source). */
function sourceRecordings(source: string | undefined, readId: (dir: string) => string | undefined): string[] {
  const ids = (source ?? '').replace(/^(?:trajectory|\d+ recordings:)\s*/, '').split(/,\s*/).filter(Boolean);
  const root = homePath('recordings');
  if (!ids.length || !existsSync(root)) return [];
  const byId = new Map(readdirSync(root).map((folder) => [readId(join(root, folder)), join(root, folder)] as const));
  const found = ids.map((id) => byId.get(id));
  return found.every(Boolean) ? (found as string[]) : [];
}

/**
 * `library add RECORDING`: build it; when a library skill does the same task (same app, most of
 * the new steps' targets among its own), offer to merge the recording into it — rebuilt from all
 * its recordings, one version up — else add it as a skill of its own.
 */
async function addRecording(library: Awaited<ReturnType<typeof openLibrary>>, recording: string, mergeWithoutAsking: boolean, context: Parameters<NonNullable<HandlerTable['library.add']>>[1]) {
  const [{ buildSkill, skillName }, { readTrajectory }, { loadPackageSource, parsePackage }] = await Promise.all([skillsMm.builder(), import('../../skills-mm/trajectory/store.ts'), import('../../skills-mm/format.ts')]);
  const meta = readTrajectory(recording, { repair: false }).meta;
  const work = mkdtempSync(join(tmpdir(), 'sf-add-recording-'));
  try {
    const draft = await buildSkill({ trajectoryDir: recording, outDir: join(work, skillName(undefined, meta)), signal: context.signal });
    const drafted = parsePackage(loadPackageSource(draft.dir).files);
    // A step's target by its label (every option of a choice step counts).
    const targets = (plan: typeof drafted.plan) => new Set(plan.steps.flatMap((step) => [step.target, ...(step.choice?.options.map((option) => option.target) ?? [])].map((target) => `${step.action} ${target?.locator?.name ?? target?.ocr?.text ?? ''}`)));
    const mine = targets(drafted.plan);
    const same = library
      .list()
      .filter((entry) => entry.app === drafted.frontmatter.metadata.app && entry.platform === drafted.plan.platform)
      .map((entry) => {
        const theirs = targets(library.load(entry.name).plan);
        return { entry, overlap: [...mine].filter((key) => theirs.has(key)).length / Math.max(1, Math.min(mine.size, theirs.size)) };
      })
      .filter((candidate) => candidate.overlap >= 0.5)
      .sort((a, b) => b.overlap - a.overlap)[0];
    const readId = (dir: string) => {
      try {
        return readTrajectory(dir, { repair: false }).meta.id;
      } catch {
        return undefined;
      }
    };
    const earlier = same ? sourceRecordings(library.load(same.entry.name).frontmatter.metadata.source, readId) : [];
    if (same && earlier.length && (mergeWithoutAsking || (await context.confirm(`The library already has ${same.entry.name}, a skill of this task (${Math.round(same.overlap * 100)} % of the steps alike). Merge this recording into it?`)))) {
      const [major, minor] = same.entry.version.split('.').map(Number);
      const merged = await buildSkill({ trajectoryDir: earlier[0], moreTrajectoryDirs: [...earlier.slice(1), recording], outDir: join(work, same.entry.name), version: `${major || 1}.${(minor || 0) + 1}.0`, signal: context.signal });
      const { entry, report } = await library.add(merged.dir, { replace: true, signal: context.signal });
      return { skill: summary(entry), audit: report, merged: { into: entry.name, recordings: [...earlier, recording] } };
    }
    const { entry, report } = await library.add(draft.dir, { signal: context.signal });
    return { skill: summary(entry), audit: report };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** OCR lines of a screenshot (for consult's visible-cue check). */
async function readText(png: Buffer, signal: AbortSignal): Promise<string[]> {
  const [{ createOcr }, { decodeImage }] = await Promise.all([import('../../perception/ocr.ts'), import('../../native/image.ts')]);
  const ocr = await createOcr();
  try {
    const { lines } = await ocr.recognize(await decodeImage(png), { signal });
    return lines.map((line) => line.text);
  } finally {
    await ocr.dispose();
  }
}

export const skillsHandlers: HandlerTable = {
  build: async (input, context) => {
    const [{ buildSkill }, { auditSource }, { readTrajectory }] = await Promise.all([skillsMm.builder(), skillsMm.audit(), import('../../skills-mm/trajectory/store.ts')]);
    const trajectoryDir = resolve(input.trajectoryDir);
    const kind = readTrajectory(trajectoryDir, { repair: false }).meta.kind;
    let rewriter;
    let provider: import('../../perception/models/vlm.ts').VlmProvider | undefined;
    if (input.vlm) {
      const settings = readSettings();
      if (settings.vlm.provider === 'none') throw new SkillframeError('unavailable', 'input.vlm: no vision-language model is configured (settings.vlm.provider is "none")');
      const [{ createProvider }, { providerModel }, { modelRewriter }] = await Promise.all([import('../../perception/models/index.ts'), skillsMm.consult(), import('../../skills-mm/rewrite.ts')]);
      provider = await createProvider(settings.vlm);
      rewriter = modelRewriter(providerModel(provider));
    }
    let ocr: Awaited<ReturnType<typeof import('../../perception/ocr.ts')['createOcr']>> | undefined;
    try {
      if (kind === 'x11' && !input.skipOcr) {
        context.progress({ fraction: 0.02, message: 'loading OCR' });
        const { createOcr } = await import('../../perception/ocr.ts');
        ocr = await createOcr();
      }
      const result = await buildSkill({
        ...(rewriter ? { rewriter } : {}),
        trajectoryDir,
        ...(input.moreTrajectoryDirs.length ? { moreTrajectoryDirs: input.moreTrajectoryDirs.map((directory) => resolve(directory)) } : {}),
        outDir: resolve(input.out),
        ...(input.name ? { name: input.name } : {}),
        ...(ocr ? { ocr } : {}),
        signal: context.signal,
        progress: (fraction, message) => context.progress({ fraction, message }),
      });
      const report = auditSource(result.dir);
      return { ...result, ocr: Boolean(ocr), vlm: Boolean(rewriter), audit: { accepted: report.accepted, findings: report.findings } };
    } finally {
      await ocr?.dispose();
      await provider?.dispose();
    }
  },
  audit: async (input) => {
    const { auditSource } = await skillsMm.audit();
    return auditSource(resolve(input.source));
  },
  'library.add': async (input, context) => {
    const library = await openLibrary();
    if (existsSync(join(resolve(input.source), 'trajectory.json'))) return addRecording(library, resolve(input.source), input.merge, context);
    const { entry, report } = await library.add(resolve(input.source), { replace: input.replace, signal: context.signal });
    return { skill: summary(entry), audit: report };
  },
  'library.import': async (input, context) => {
    const library = await openLibrary();
    const { entry, report } = await library.add(resolve(input.source), { replace: input.replace, signal: context.signal });
    return { skill: summary(entry), audit: report };
  },
  'library.list': async () => {
    const library = await openLibrary();
    return { root: library.root, skills: library.list().map((entry) => summary(entry)) };
  },
  'library.show': async (input) => {
    const library = await openLibrary();
    const entry = library.entry(input.name);
    const skill = library.load(input.name);
    return { skill: summary(entry), frontmatter: skill.frontmatter, body: skill.body, state_cards: skill.cards, runtime_state_cards: skill.runtime, plan: skill.plan };
  },
  'library.remove': async (input) => {
    const library = await openLibrary();
    library.remove(input.name);
    return { removed: input.name };
  },
  'library.search': async (input) => {
    const query = input.query.join(' ').trim();
    if (!query && !input.screen) throw new SkillframeError('bad_input', 'input.query: give words to search for, or --screen FILE, or both');
    const library = await openLibrary();
    const screen = readScreen(input.screen);
    return { hits: await library.search(query, { limit: input.limit, ...(screen ? { screen } : {}) }) };
  },
  'library.export': async (input) => {
    const library = await openLibrary();
    if (input.all) {
      const exported = library.exportAll(resolve(input.out));
      return { file: exported.dir, bytes: exported.bytes, skills: exported.skills };
    }
    return library.exportZip(input.name!, resolve(input.out));
  },
  'library.pull': async (input, context) => {
    const [library, { pullLibrary }] = await Promise.all([openLibrary(), import('../../skills-mm/shared-library.ts')]);
    return pullLibrary(library, input.source, context.signal);
  },
  'library.push': async (input, context) => {
    const [library, { pushLibrary }] = await Promise.all([openLibrary(), import('../../skills-mm/shared-library.ts')]);
    return pushLibrary(library, input.remote, context.signal);
  },
  'library.install': async (input) => {
    const library = await openLibrary();
    const installed = library.install(input.name, input.agent, { ...(input.project ? { project: input.project } : {}), replace: input.replace });
    return { name: input.name, agent: input.agent, ...installed };
  },
  'library.image': async (input) => {
    const library = await openLibrary();
    return library.image(input.name, input.file, input.maxSide);
  },
  'skills.consult': async (input, context) => {
    const [library, { ConsultLedger, consultSkill, providerModel, scriptedModel }] = await Promise.all([openLibrary(), skillsMm.consult()]);
    const skill = library.load(input.skill);
    const settings = readSettings();
    // With no VLM configured, consult still answers, deterministically, from the package itself.
    const provider = settings.vlm.provider === 'none' ? undefined : await (await import('../../perception/models/index.ts')).createProvider(settings.vlm);
    const screen = readScreen(input.screen);
    try {
      return await consultSkill({
        skill,
        task: input.task,
        taskId: input.taskId,
        step: input.step,
        model: provider ? providerModel(provider) : scriptedModel(),
        ledger: new ConsultLedger(homePath('consults')),
        signal: context.signal,
        ...(screen ? { screen, readScreenText: () => readText(screen, context.signal) } : {}),
        // What exploration learnt about this app (the same database replay reads).
        boundaries: await (await import('./explore.ts')).knownBoundaries(skill.plan.app.url ?? skill.plan.app.name),
      });
    } finally {
      await provider?.dispose();
    }
  },
};
