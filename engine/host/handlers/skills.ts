import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SkillframeError } from '../../../core/index.ts';
import type { LibrarySkill } from '../../../core/commands/skills.ts';
import type { LibraryEntry } from '../../../skills-mm/library.ts';
import type { HandlerTable } from '../dispatcher.ts';
import { homePath, readSettings } from '../home.ts';

/**
 * Handlers of the skills room. Keep this file thin: import heavy modules lazily inside each
 * handler so the CLI starts fast.
 */

const skillsMm = {
  library: () => import('../../../skills-mm/library.ts'),
  audit: () => import('../../../skills-mm/audit.ts'),
  builder: () => import('../../../skills-mm/builder.ts'),
  consult: () => import('../../../skills-mm/consult.ts'),
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

export const skillsHandlers: HandlerTable = {
  build: async (input, context) => {
    const [{ buildSkill }, { auditSource }, { readTrajectory }] = await Promise.all([skillsMm.builder(), skillsMm.audit(), import('../../../native/trajectory/store.ts')]);
    const trajectoryDir = resolve(input.trajectoryDir);
    const kind = readTrajectory(trajectoryDir, { repair: false }).meta.kind;
    let rewriter;
    if (input.vlm) {
      const settings = readSettings();
      if (settings.vlm.provider !== 'openai' || !settings.vlm.baseUrl || !settings.vlm.model) {
        throw new SkillframeError('unavailable', `input.vlm: needs settings.vlm.provider "openai" with baseUrl and model (now ${JSON.stringify(settings.vlm.provider)})`);
      }
      const [{ openAiCompatibleModel }, { modelRewriter }] = await Promise.all([skillsMm.consult(), import('../../../skills-mm/rewrite.ts')]);
      rewriter = modelRewriter(openAiCompatibleModel({ baseUrl: settings.vlm.baseUrl, model: settings.vlm.model, ...(settings.vlm.apiKey ? { apiKey: settings.vlm.apiKey } : {}) }));
    }
    let ocr: Awaited<ReturnType<typeof import('../../../engine/vision/ocr.ts')['createOcr']>> | undefined;
    if (kind === 'x11' && !input.skipOcr) {
      context.progress({ fraction: 0.02, message: 'loading OCR' });
      const { createOcr } = await import('../../../engine/vision/ocr.ts');
      ocr = await createOcr();
    }
    try {
      const result = await buildSkill({
        ...(rewriter ? { rewriter } : {}),
        trajectoryDir,
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
    return library.exportZip(input.name, resolve(input.out));
  },
  'library.image': async (input) => {
    const library = await openLibrary();
    return library.image(input.name, input.file, input.maxSide);
  },
  'bench.skills': async (input, context) => {
    const { runSkillsBench } = await import('../../../bench/skills.ts');
    return runSkillsBench({ iterations: input.iterations, signal: context.signal, onProgress: (fraction, message) => context.progress({ fraction, message }) });
  },
  'skills.consult': async (input, context) => {
    const [library, { ConsultLedger, consultSkill, openAiCompatibleModel, scriptedModel }] = await Promise.all([openLibrary(), skillsMm.consult()]);
    const skill = library.load(input.skill);
    const settings = readSettings();
    let model;
    if (settings.vlm.provider === 'openai') {
      if (!settings.vlm.baseUrl || !settings.vlm.model) throw new SkillframeError('unavailable', 'settings.vlm: the openai provider needs baseUrl and model (skillframe settings set \'{"vlm":{"baseUrl":"…","model":"…"}}\')');
      model = openAiCompatibleModel({ baseUrl: settings.vlm.baseUrl, model: settings.vlm.model, ...(settings.vlm.apiKey ? { apiKey: settings.vlm.apiKey } : {}) });
    } else if (settings.vlm.provider === 'llama') {
      throw new SkillframeError('unavailable', 'settings.vlm.provider "llama" is not wired to consult yet; use "openai" (any OpenAI-compatible server) or "scripted"');
    } else {
      model = scriptedModel();
    }
    const screen = readScreen(input.screen);
    return consultSkill({
      skill,
      task: input.task,
      taskId: input.taskId,
      step: input.step,
      model,
      ledger: new ConsultLedger(homePath('consults')),
      signal: context.signal,
      ...(screen ? { screen } : {}),
    });
  },
};
