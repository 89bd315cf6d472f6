// Skills benchmark: builder, audit gate, bounded zip reader and library search, each against a
// same-run baseline (plain file reads, raw inflate, a naive substring scan). Used by
// `skillframe bench skills --json`; run directly: node --import tsx bench/skills.ts
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { auditSource } from '../skills-mm/audit.ts';
import { buildSkill } from '../skills-mm/builder.ts';
import { SkillLibrary } from '../skills-mm/library.ts';
import { createBm25Index, type SearchDocument } from '../skills-mm/search.ts';
import { readZip } from '../skills-mm/zip.ts';
import type { z } from 'zod';
import type { ConsultBudgetFigures, ConsultBudgets } from '../core/commands/skills.ts';
import { ConsultLedger, consultSkill, memoTokens, scriptedModel, type ConsultModel } from '../skills-mm/consult.ts';
import { loadPackageSource, parsePackage, type SkillPackage } from '../skills-mm/format.ts';

export interface SkillsBenchReport {
  build: { trajectories: number; steps: number; msPerStep: number; bytesPerStep: number };
  audit: { msPerPackage: number; baselineReadMs: number; overBaseline: number };
  zip: { msPerArchive: number; baselineInflateMs: number; overBaseline: number; archiveBytes: number };
  search: { documents: number; indexMs: number; bm25Ms: number; baselineScanMs: number; overBaseline: number; topHitCorrect: number };
  consult: ConsultBudgetReport;
}

type BudgetFigures = z.infer<typeof ConsultBudgetFigures>;
export type ConsultBudgetReport = z.infer<typeof ConsultBudgets>;

const round = (value: number) => Math.round(value * 1000) / 1000;
const fixtures = fileURLToPath(new URL('../testkit/fixtures/trajectories/', import.meta.url));

function timed<T>(iterations: number, work: () => T): number {
  const started = performance.now();
  for (let index = 0; index < iterations; index += 1) work();
  return (performance.now() - started) / iterations;
}

function readAll(dir: string): number {
  let bytes = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    bytes += statSync(path).isDirectory() ? readAll(path) : readFileSync(path).length;
  }
  return bytes;
}

export async function runSkillsBench(options: { iterations?: number; signal?: AbortSignal; onProgress?: (fraction: number, message: string) => void } = {}): Promise<SkillsBenchReport> {
  const iterations = options.iterations ?? 20;
  const progress = options.onProgress ?? (() => undefined);
  const work = mkdtempSync(join(tmpdir(), 'sf-bench-skills-'));
  try {
    // Build every fixture trajectory (without OCR: that is the vision room's benchmark).
    const names = readdirSync(fixtures).filter((name) => statSync(join(fixtures, name)).isDirectory());
    let steps = 0;
    let bytes = 0;
    const started = performance.now();
    const built: string[] = [];
    for (const name of names) {
      options.signal?.throwIfAborted();
      const result = await buildSkill({ trajectoryDir: join(fixtures, name), outDir: join(work, name), name: `bench-${name}`, ...(options.signal ? { signal: options.signal } : {}) });
      steps += result.steps;
      bytes += result.bytes;
      built.push(result.dir);
    }
    const buildMs = performance.now() - started;
    progress(0.3, 'audit');

    const auditMs = timed(iterations, () => built.forEach((dir) => auditSource(dir))) / built.length;
    const readMs = timed(iterations, () => built.forEach((dir) => readAll(dir))) / built.length;
    progress(0.5, 'zip');

    const library = new SkillLibrary(join(work, 'library'));
    for (const dir of built) await library.add(dir);
    const zipPath = join(work, 'export.zip');
    const { bytes: archiveBytes } = library.exportZip(`bench-${names[0]}`, zipPath);
    const archive = readFileSync(zipPath);
    const zipMs = timed(iterations, () => readZip(archive));
    // Baseline: inflate the same entries with no header checks, caps or CRC.
    const deflated = readZip(archive).entries.map((entry) => deflateRawSync(entry.data, { level: 6 }));
    const inflateMs = timed(iterations, () => deflated.forEach((data) => inflateRawSync(data)));
    progress(0.7, 'search');

    // Search over a synthetic library of 1000 skills plus the real ones' text.
    const apps = ['galculator', 'mousepad', 'firefox', 'gimp', 'libreoffice', 'thunderbird', 'inkscape', 'vlc'];
    const verbs = ['save', 'export', 'rename', 'print', 'search', 'sort', 'filter', 'share', 'open', 'close'];
    const objects = ['document', 'image', 'invoice', 'report', 'contact', 'playlist', 'spreadsheet', 'note'];
    const documents: SearchDocument[] = [];
    for (let index = 0; index < 1000; index += 1) {
      const app = apps[index % apps.length];
      const verb = verbs[Math.floor(index / apps.length) % verbs.length];
      const object = objects[Math.floor(index / (apps.length * verbs.length)) % objects.length];
      documents.push({ id: `s${index}`, fields: [{ text: `${verb}-${object}-in-${app}`, weight: 3 }, { text: `Use to ${verb} the ${object} in ${app}. Click the ${verb} button, then confirm.`, weight: 2 }, { text: `When the ${app} window shows the ${object} list.`, weight: 1 }] });
    }
    const queries = documents.slice(0, 50).map((document) => document.fields[0].text.replace(/-/g, ' '));
    const indexStarted = performance.now();
    const index = createBm25Index(documents);
    const indexMs = performance.now() - indexStarted;
    const bm25Ms = timed(3, () => queries.forEach((query) => index.score(query))) / queries.length;
    const scanMs = timed(3, () => queries.forEach((query) => documents.filter((document) => document.fields.some((field) => query.split(' ').some((word) => field.text.includes(word)))))) / queries.length;
    let correct = 0;
    for (const [position, query] of queries.entries()) {
      const best = [...index.score(query)].sort((a, b) => b[1] - a[1])[0]?.[0];
      if (best === documents[position].id) correct += 1;
    }
    progress(0.9, 'consult');
    const consult = await measureConsultBudgets(built.map((dir) => parsePackage(loadPackageSource(dir).files)), join(work, 'ledger'));
    progress(1, 'done');
    return {
      consult,
      build: { trajectories: built.length, steps, msPerStep: round(buildMs / Math.max(1, steps)), bytesPerStep: Math.round(bytes / Math.max(1, steps)) },
      audit: { msPerPackage: round(auditMs), baselineReadMs: round(readMs), overBaseline: round(auditMs / Math.max(readMs, 1e-6)) },
      zip: { msPerArchive: round(zipMs), baselineInflateMs: round(inflateMs), overBaseline: round(zipMs / Math.max(inflateMs, 1e-6)), archiveBytes },
      search: { documents: documents.length, indexMs: round(indexMs), bm25Ms: round(bm25Ms), baselineScanMs: round(scanMs), overBaseline: round(bm25Ms / Math.max(scanMs, 1e-6)), topHitCorrect: round(correct / queries.length) },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Consults each skill once per model with the skill's own first keyframe as the live screen, and
 * counts what each consult loaded (from the model's requests) and handed back.
 */
export async function measureConsultBudgets(skills: SkillPackage[], ledgerDir: string): Promise<ConsultBudgetReport> {
  const greedyModel: ConsultModel = {
    name: 'greedy',
    async complete(request, signal) {
      if (request.purpose !== 'select') return scriptedModel().complete(request, signal);
      const context = JSON.parse(request.prompt.slice(request.prompt.indexOf('CONTEXT:') + 8)) as { ranked_states: string[]; views: Record<string, string[]> };
      const ids = context.ranked_states.slice(0, 3);
      return JSON.stringify({ state_ids: ids, views: ids.flatMap((id) => (context.views[id] ?? []).map((view) => ({ state_id: id, view }))).slice(0, 6) });
    },
  };
  const ledger = new ConsultLedger(ledgerDir);
  const measure = async (model: ConsultModel): Promise<BudgetFigures> => {
    const figures: BudgetFigures = { consults: 0, maxMemoTokens: 0, maxRequestedImagesPerState: 0, maxSkillImagesPerState: 0, maxSkillImagesPerPlanStep: 0, maxImagesPerRequest: 0, imagesToAgent: 0 };
    for (const skill of skills) {
      const first = skill.cards.states[0]?.available_views.find((view) => view.view === 'before') ?? skill.cards.states[0]?.available_views[0];
      const screen = first ? skill.images.get(first.file) : undefined;
      let memoImages: string[] = [];
      const counting: ConsultModel = {
        name: model.name,
        async complete(request, signal) {
          figures.maxImagesPerRequest = Math.max(figures.maxImagesPerRequest, request.images.length);
          if (request.purpose === 'memo') memoImages = request.images.map((image) => image.label);
          const answer = await model.complete(request, signal);
          if (request.purpose === 'select') {
            const asked = (JSON.parse(answer) as { views: { state_id: string }[] }).views.map((view) => view.state_id);
            for (const id of new Set(asked)) figures.maxRequestedImagesPerState = Math.max(figures.maxRequestedImagesPerState, asked.filter((other) => other === id).length);
          }
          return answer;
        },
      };
      const result = await consultSkill({ skill, task: skill.frontmatter.description, taskId: `bench-${model.name}`, step: 0, ...(screen ? { screen } : {}), model: counting, ledger });
      figures.consults += 1;
      figures.maxMemoTokens = Math.max(figures.maxMemoTokens, memoTokens(result.memo));
      const skillImages = memoImages.filter((label) => label.startsWith('State '));
      for (const id of result.selection.state_ids) figures.maxSkillImagesPerState = Math.max(figures.maxSkillImagesPerState, skillImages.filter((label) => label.startsWith(`State ${id},`)).length);
      const planSteps = skill.plan.steps.filter((step) => result.selection.state_ids.includes(step.state_id)).length;
      figures.maxSkillImagesPerPlanStep = Math.max(figures.maxSkillImagesPerPlanStep, round(skillImages.length / Math.max(1, planSteps)));
      figures.imagesToAgent += (JSON.stringify(result).match(/data:image\//g) ?? []).length;
    }
    return figures;
  };
  const states = skills.reduce((sum, skill) => sum + skill.cards.states.length, 0);
  const planSteps = skills.reduce((sum, skill) => sum + skill.plan.steps.length, 0);
  const views = skills.reduce((sum, skill) => sum + skill.cards.states.reduce((count, card) => count + card.available_views.length, 0), 0);
  return {
    skills: skills.length,
    states,
    planSteps,
    deterministic: await measure(scriptedModel()),
    greedy: await measure(greedyModel),
    baselineGetSkill: { imagesPerState: round(views / Math.max(1, states)), imagesPerPlanStep: round(views / Math.max(1, planSteps)) },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(await runSkillsBench()));
}
