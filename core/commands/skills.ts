import { z } from 'zod';
import { defineCommand } from '../contract.ts';
import { KnownBoundary } from './explore.ts';
import { commandMap, eventMap } from '../registry-helpers.ts';
import { AuditFinding, AuditReport, ConsultMemo, ConsultSelection, PermissionTier, Platform, SkillName } from '../schemas/skill.ts';

/**
 * Commands of the skills room: build a package from a recording, audit untrusted packages, keep
 * a library (add, list, show, remove, search, export, import) and consult a skill on an agent's
 * behalf. Package format: core/schemas/skill.ts.
 */

const path = z.string().min(1).max(4096);

/** Per model, the most of each consult budget any consult used (bench skills). */
export const ConsultBudgetFigures = z.object({
  consults: z.number(),
  maxMemoTokens: z.number(),
  maxRequestedImagesPerState: z.number().describe('skill images the model asked for one state, before the cap'),
  maxSkillImagesPerState: z.number().describe('skill images loaded for one state (one step as the agent meets it)'),
  maxSkillImagesPerPlanStep: z.number(),
  maxImagesPerRequest: z.number().describe('images in one model request, the live screen included'),
  imagesToAgent: z.number().describe('images in what the acting agent receives (the memo is text)'),
});
export const ConsultBudgets = z.object({
  skills: z.number(),
  states: z.number(),
  planSteps: z.number(),
  deterministic: ConsultBudgetFigures,
  greedy: ConsultBudgetFigures.describe('a model that asks for every view of 3 states, 6 in all'),
  baselineGetSkill: z.object({ imagesPerState: z.number(), imagesPerPlanStep: z.number() }).describe('an agent reading every view itself with get_skill'),
});

/** One library search result, best first. */
export const SearchHit = z.object({
  name: z.string(),
  score: z.number(),
  text_score: z.number(),
  semantic_score: z.number().optional().describe('the word-vector meaning part of text_score (0..1); absent when search ran on BM25 alone'),
  visual_score: z.number().optional(),
  best_state: z.string().optional().describe("the state whose keyframe matched the screen best"),
  description: z.string(),
  app: z.string(),
  permission_tier: PermissionTier,
});
export type SearchHit = z.infer<typeof SearchHit>;

export const LibrarySkill = z.object({
  name: SkillName,
  description: z.string(),
  app: z.string(),
  platform: Platform,
  permission_tier: PermissionTier,
  version: z.string(),
  steps: z.number().int().nonnegative(),
  states: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  added_at: z.string(),
  audit: z.object({ accepted: z.boolean(), findings: z.array(AuditFinding) }),
  /** Package path of the image to show on the skill's card (fetch it with library.image). */
  thumbnail: z.string().optional(),
});
export type LibrarySkill = z.infer<typeof LibrarySkill>;

const BuildOutput = z.object({
  name: SkillName,
  dir: z.string(),
  steps: z.number().int(),
  states: z.number().int(),
  parameters: z.array(z.string()),
  permission_tier: PermissionTier,
  files: z.number().int(),
  bytes: z.number().int(),
  ms: z.number(),
  ocr: z.boolean(),
  vlm: z.boolean(),
  warnings: z.array(z.string()),
  audit: z.object({ accepted: z.boolean(), findings: z.array(AuditFinding) }),
  /** With several recordings: the choice parameters and optional branches the merge found. */
  merge: z
    .object({
      recordings: z.number().int(),
      columns: z.number().int(),
      choices: z.array(z.object({ name: z.string(), options: z.array(z.string()) })),
      branches: z.array(z.object({ step: z.number().int(), when: z.string() })),
    })
    .optional(),
});

const AddOutput = z.object({
  skill: LibrarySkill,
  audit: AuditReport,
  /** A recording of a task the library already has, merged into that skill: every recording it now holds. */
  merged: z.object({ into: SkillName, recordings: z.array(z.string()) }).optional(),
});

function formatAudit(report: z.infer<typeof AuditReport>): string {
  const head = `${report.accepted ? 'ACCEPTED' : 'REFUSED'} ${report.name ?? report.source}${report.permission_tier ? ` (tier ${report.permission_tier})` : ''}: ${report.files} files, ${report.bytes} bytes`;
  const lines = report.findings.map((finding) => `  [${finding.severity}] ${finding.code}${finding.file ? ` ${finding.file}` : ''}: ${finding.message}`);
  return [head, ...lines].join('\n');
}

function formatSkills(skills: LibrarySkill[]): string {
  if (!skills.length) return 'The library is empty. Add a skill with `skillframe library add SKILL_DIR`.';
  return skills.map((skill) => `${skill.name}  [${skill.permission_tier}, ${skill.app}, ${skill.steps} steps]  ${skill.description.slice(0, 100)}`).join('\n');
}

const SyncReport = z.object({
  remote: z.string(),
  added: z.array(z.string()),
  updated: z.array(z.string()),
  kept: z.array(z.object({ name: z.string(), reason: z.string() })),
  refused: z.array(z.object({ name: z.string(), reason: z.string() })),
  pushed: z.array(z.string()).optional(),
  commit: z.string().optional(),
});

function formatSync(output: z.infer<typeof SyncReport>): string {
  const lines = [`${output.remote}: ${output.added.length} added, ${output.updated.length} updated, ${output.kept.length} kept, ${output.refused.length} refused${output.commit ? ` (commit ${output.commit.slice(0, 10)})` : ''}`];
  for (const name of output.added) lines.push(`  + ${name}`);
  for (const name of output.updated) lines.push(`  ↑ ${name}`);
  for (const kept of output.kept) lines.push(`  = ${kept.name}: ${kept.reason}`);
  for (const refused of output.refused) lines.push(`  ✗ ${refused.name}: ${refused.reason}`);
  return lines.join('\n');
}

export const commands = commandMap(
  defineCommand({
    name: 'build',
    summary: 'Build an MMSkills package (SKILL.md, state cards, plan.json, Images/) from a recorded trajectory folder, or from several recordings of one task merged into one skill.',
    input: z
      .object({
        trajectoryDir: path,
        moreTrajectoryDirs: z.array(path).max(19).default([]).describe('more recordings of the same task: merged into one skill (differing values and choices become parameters, extra steps optional branches)'),
        out: path.describe('folder to write the package to (replaced if it exists)'),
        name: z.string().max(64).optional().describe('skill name (lowercase words and hyphens)'),
        skipOcr: z.boolean().default(false).describe('build X11 skills without OCR labels and anchors (faster)'),
        vlm: z.boolean().default(false).describe('let the configured VLM (settings.vlm, openai provider) reword descriptions and fill when_to_use / visual_risk'),
      })
      .strict(),
    output: BuildOutput,
    timeoutMs: 15 * 60_000,
    cli: {
      positionals: ['trajectoryDir', 'moreTrajectoryDirs'],
      long: true,
      format: (output: z.infer<typeof BuildOutput>) =>
        `Built ${output.name} in ${output.dir}: ${output.steps} steps, ${output.states} states, tier ${output.permission_tier}, ${output.files} files, ${output.bytes} bytes, ${output.ms} ms${output.ocr ? ' (with OCR)' : ''}. Audit: ${output.audit.accepted ? 'accepted' : 'REFUSED'}.${output.warnings.length ? `\nWarnings:\n  ${output.warnings.join('\n  ')}` : ''}`,
    },
  }),
  defineCommand({
    name: 'audit',
    summary: 'Audit a skill package folder or zip (untrusted input): exit 0 accepted, exit 3 refused, with coded findings.',
    input: z.object({ source: path }).strict(),
    output: AuditReport,
    timeoutMs: 120_000,
    cli: {
      positionals: ['source'],
      exitCode: (output: z.infer<typeof AuditReport>) => (output.accepted ? 0 : 3),
      format: formatAudit,
    },
  }),
  defineCommand({
    name: 'library.add',
    summary: 'Add a skill package folder (or zip) to the library; it must pass the audit. A recording (trajectory folder) is built first, and when the library has a skill of the same task, merging it in is offered (--merge: merge without asking).',
    input: z.object({ source: path, replace: z.boolean().default(false), merge: z.boolean().default(false).describe('a recording of a task the library has: merge it into that skill without asking') }).strict(),
    output: AddOutput,
    timeoutMs: 120_000,
    cli: { positionals: ['source'], format: (output: z.infer<typeof AddOutput>) => `${output.merged ? `Merged into ${output.merged.into} (${output.merged.recordings.length} recordings)` : `Added ${output.skill.name}`} (tier ${output.skill.permission_tier}).\n${formatAudit(output.audit)}` },
  }),
  defineCommand({
    name: 'library.import',
    summary: 'Import a skill zip (from library export or elsewhere) into the library; it must pass the audit.',
    input: z.object({ source: path, replace: z.boolean().default(false) }).strict(),
    output: AddOutput,
    timeoutMs: 120_000,
    cli: { positionals: ['source'], format: (output: z.infer<typeof AddOutput>) => `Imported ${output.skill.name} (tier ${output.skill.permission_tier}).\n${formatAudit(output.audit)}` },
  }),
  defineCommand({
    name: 'library.list',
    summary: 'List the skills in the library.',
    input: z.object({}).strict(),
    output: z.object({ root: z.string(), skills: z.array(LibrarySkill) }),
    cli: { format: (output: { skills: LibrarySkill[] }) => formatSkills(output.skills) },
  }),
  defineCommand({
    name: 'library.show',
    summary: 'Show one skill: frontmatter, procedure, state cards and plan.',
    input: z.object({ name: SkillName }).strict(),
    output: z.object({
      skill: LibrarySkill,
      frontmatter: z.record(z.string(), z.unknown()),
      body: z.string(),
      state_cards: z.unknown(),
      runtime_state_cards: z.unknown(),
      plan: z.unknown(),
    }),
    cli: { positionals: ['name'], format: (output: { body: string }) => output.body },
  }),
  defineCommand({
    name: 'library.remove',
    summary: 'Remove a skill from the library.',
    input: z.object({ name: SkillName }).strict(),
    output: z.object({ removed: z.string() }),
    cli: { positionals: ['name'] },
  }),
  defineCommand({
    name: 'library.search',
    summary: 'Search the library by text (BM25 plus GloVe word-vector meaning over names, descriptions, state cards, steps) and/or by a screenshot (--screen FILE: perceptual match to keyframes).',
    input: z
      .object({
        query: z.array(z.string().max(500)).max(50).default([]),
        screen: path.optional().describe('screenshot file to match against keyframes'),
        limit: z.number().int().min(1).max(100).default(10),
      })
      .strict(),
    output: z.object({ hits: z.array(SearchHit) }),
    cli: {
      positionals: ['query'],
      format: (output: { hits: { name: string; score: number; description: string }[] }) =>
        output.hits.length ? output.hits.map((hit) => `${hit.score.toFixed(3)}  ${hit.name}  ${hit.description.slice(0, 90)}`).join('\n') : 'No skill matches.',
    },
  }),
  defineCommand({
    name: 'library.export',
    summary: 'Export a skill from the library as a zip file, or with --all every skill as NAME.zip into the folder --out.',
    input: z
      .object({ name: SkillName.optional(), out: path, all: z.boolean().default(false).describe('export every skill (then --out is a folder)') })
      .strict()
      .refine((input) => input.all !== Boolean(input.name), { message: 'give a skill name or --all (not both)', path: ['name'] }),
    output: z.object({ file: z.string(), bytes: z.number().int(), skills: z.array(z.object({ name: z.string(), file: z.string(), bytes: z.number().int() })).optional() }),
    cli: { positionals: ['name'] },
  }),
  defineCommand({
    name: 'library.pull',
    summary: 'Pull a shared library (a git repository of skill folders, by URL or path) into yours: every package is audited before it lands; a newer version replaces yours, an equal or older one is kept.',
    input: z.object({ source: z.string().min(1).max(4096).optional().describe('git URL or path (default: the shared library used last)') }).strict(),
    output: SyncReport,
    timeoutMs: 10 * 60_000,
    cli: { positionals: ['source'], format: formatSync },
  }),
  defineCommand({
    name: 'library.push',
    summary: 'Push your library to the shared one (a git repository): new skills and newer versions; where the shared copy is as new or newer it is kept.',
    input: z.object({ remote: z.string().min(1).max(4096).optional().describe('git URL or path (default: the shared library used last)') }).strict(),
    output: SyncReport,
    timeoutMs: 10 * 60_000,
    cli: { format: formatSync },
  }),
  defineCommand({
    name: 'library.install',
    summary: "Install a library skill into an agent's skills folder (an Agent Skills folder: ~/.claude/skills/NAME, ~/.codex/skills/NAME, ~/.agents/skills/NAME, or under --project DIR).",
    input: z
      .object({
        name: SkillName,
        agent: z.enum(['claude', 'codex', 'agents']).describe('which agent: claude, codex or agents (the shared .agents folder)'),
        project: path.optional().describe("install into this project's folder instead of your home"),
        replace: z.boolean().default(false).describe('overwrite a skill already installed there'),
      })
      .strict(),
    output: z.object({ name: SkillName, agent: z.string(), dir: z.string(), files: z.number().int() }),
    cli: { positionals: ['name'], format: (output: { name: string; dir: string; files: number }) => `Installed ${output.name} in ${output.dir} (${output.files} files).` },
  }),
  defineCommand({
    name: 'library.image',
    summary: 'One image of a library skill as a small PNG data URL (for the UI).',
    input: z.object({ name: SkillName, file: z.string().max(200), maxSide: z.number().int().min(16).max(1280).default(320) }).strict(),
    output: z.object({ data_url: z.string(), width: z.number().int(), height: z.number().int() }),
    cli: { hidden: true },
  }),
  defineCommand({
    name: 'skills.consult',
    summary: 'Consult a library skill for a task (MMSkills branch-loaded consult): picks ≤ 3 states / ≤ 6 views (≤ 2 of one state) and returns a memo; ≤ 2 consults per skill per task, memo valid 5 steps.',
    input: z
      .object({
        skill: SkillName,
        task: z.string().min(1).max(2000),
        taskId: z.string().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/).default('default'),
        step: z.number().int().min(0).max(1_000_000).default(0).describe("the agent's current step in its task"),
        screen: path.optional().describe('current screenshot file'),
      })
      .strict(),
    output: z.object({
      skill: z.string(),
      memo: ConsultMemo,
      selection: ConsultSelection,
      cached: z.boolean(),
      consults_used: z.number().int(),
      valid_until_step: z.number().int(),
      model: z.string(),
      outside_boundary: z
        .array(z.object({ step: z.number().int(), description: z.string(), reason: KnownBoundary.shape.reason, detail: z.string() }))
        .optional()
        .describe("plan steps on controls exploration saw crash, freeze, leave the app or keep failing (the action-primitive database); also in the memo's do_not_do"),
    }),
    timeoutMs: 180_000,
    cli: { positionals: ['skill'] },
  }),
  defineCommand({
    name: 'bench.skills',
    summary: 'Benchmark the skills room: build ms/step, audit vs plain reads, bounded zip reader vs raw inflate, BM25 search vs a substring scan (same-run baselines).',
    input: z.object({ iterations: z.number().int().min(1).max(1000).default(20), selection: z.boolean().default(false).describe('also run skill selection: 60 built web skills, search by a task sentence (tuned/unseen split, names-only baseline)') }).strict(),
    output: z.object({
      build: z.object({ trajectories: z.number(), steps: z.number(), msPerStep: z.number(), bytesPerStep: z.number() }),
      audit: z.object({ msPerPackage: z.number(), baselineReadMs: z.number(), overBaseline: z.number() }),
      zip: z.object({ msPerArchive: z.number(), baselineInflateMs: z.number(), overBaseline: z.number(), archiveBytes: z.number() }),
      search: z.object({ documents: z.number(), indexMs: z.number(), bm25Ms: z.number(), baselineScanMs: z.number(), overBaseline: z.number(), topHitCorrect: z.number() }),
      consult: ConsultBudgets.describe('consult over the fixture skills: memo tokens and skill images per step (targets ≤ 500, ≤ 2)'),
      selection: z
        .object({
          skills: z.number(),
          queries: z.number(),
          tuned: z.object({ topHit: z.number(), inTopFive: z.number().describe('the right skill among the first five hits'), queries: z.number() }),
          unseen: z.object({ topHit: z.number(), inTopFive: z.number().describe('the right skill among the first five hits'), queries: z.number() }),
          baselineNamesOnly: z.object({ tuned: z.number(), unseen: z.number() }),
          baselineLexical: z.object({ tuned: z.number(), unseen: z.number() }).describe('BM25 over all the skill text, no word vectors (same run)'),
          ablationWithoutWordNet: z.object({ tuned: z.number(), unseen: z.number() }).describe('word vectors and BM25, no WordNet (same run)'),
          withAppNamed: z.object({ tuned: z.number(), unseen: z.number(), baselineLexicalUnseen: z.number() }).describe('the same sentences with "in APP" appended (the app name from its page title), supplementary'),
          instructions: z
            .object({
              unseen: z.object({ topHit: z.number(), inTopFive: z.number() }),
              tuned: z.object({ topHit: z.number(), inTopFive: z.number() }),
              baselineLexical: z.object({ unseen: z.number(), tuned: z.number() }).describe('BM25 over all the skill text (same run)'),
              misses: z.array(z.string()),
            })
            .describe('the second query set: the instruction a person gives an agent (may name the app and use its words), written before it was measured; supplementary to the paraphrases'),
          wordVectors: z.string().describe('the word-vector table (and lexicon) search used'),
          consult: ConsultBudgets.describe('consult over the same 60 skills'),
          misses: z.array(z.string()),
        })
        .optional(),
    }),
    timeoutMs: 300_000,
    cli: { long: true },
  }),
);

export const events = eventMap();
