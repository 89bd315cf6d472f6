import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
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

/** OCR lines of a screenshot (for consult's visible-cue check). */
async function readText(png: Buffer, signal: AbortSignal): Promise<string[]> {
  const [{ createOcr }, { decodeImage }] = await Promise.all([import('../../perception/ocr.ts'), import('../../perception/image.ts')]);
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
      });
    } finally {
      await provider?.dispose();
    }
  },
};
