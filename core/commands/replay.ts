import { z } from 'zod';
import { defineCommand, defineEvent } from '../contract.ts';
import { commandMap, eventMap } from '../registry-helpers.ts';
import { exitCodeFor } from '../errors.ts';

/** Replay, skill upkeep and the eyes-and-hands commands other agents use (through MCP too). */

/** The rungs of the grounding ladder, in the order they are tried (engine/computer/replay/rungs/ has one file each). `a11y` is an accessibility-tree lookup (AT-SPI on X11); `window` is the recorded point mapped through the moved/resized window. */
export const GroundingTier = z.enum(['dom', 'a11y', 'window', 'template', 'ocr', 'anchor', 'vlm']);

/** One step of a replay report. `index`, `status`, `tier`, `confidence`, `ms` are a contract. */
export const ReplayStep = z.object({
  /** The step's number in the skill's procedure (plan.json id, 1-based). */
  index: z.number().int().positive(),
  status: z.enum(['done', 'aborted', 'skipped']),
  /** Which rung of the grounding ladder found the target (absent for keyboard and wait steps). */
  tier: GroundingTier.optional(),
  confidence: z.number().min(0).max(1).optional(),
  ms: z.number().nonnegative(),
  /** Time the engine itself spent, excluding waiting for the app to settle. */
  engineMs: z.number().nonnegative().optional(),
  action: z.string().optional(),
  description: z.string().optional(),
  point: z.object({ x: z.number(), y: z.number() }).optional(),
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional(),
  reason: z.string().optional(),
  verified: z.boolean().optional(),
  /** X11: another program's window covered the target, so the app's window was moved clear of it before grounding (from where to where). */
  uncovered: z.string().optional(),
  /** What ended the wait for the app after the action: the expected text or URL, a change then quiet, the deadline. */
  settledBy: z.string().optional(),
  /** Where the step's wall time went, ms: `ms` ≈ their sum (bench replay reads it per step). */
  phases: z
    .object({
      /** Screen captures taken before grounding and acting (X11 always; web only when a rung or check reads pixels). */
      captureMs: z.number().nonnegative(),
      groundMs: z.number().nonnegative(),
      /** Arming the watches before the action: the page's events (web), the accessible's state (X11). */
      armMs: z.number().nonnegative(),
      /** The surface's safety checks right before the input (X11: window in front, not covered, keys to its own window). */
      guardMs: z.number().nonnegative(),
      /** The input itself. */
      actMs: z.number().nonnegative(),
      /** Waiting for the app to show the step's result (the app's time, not the engine's). */
      settleMs: z.number().nonnegative(),
      /** The checks after the wait (and any after-capture, OCR, second looks). */
      checkMs: z.number().nonnegative(),
    })
    .optional(),
});

export const ReplayReport = z.object({
  ok: z.boolean(),
  steps: z.array(ReplayStep),
  totalMs: z.number().nonnegative(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Folder with the evidence (live screenshot, recorded target, what each tier saw) of an aborted step. */
  evidence: z.string().optional(),
  /** Said once per replay: e.g. no accessibility bus (X11 grounding used the visual rungs only). */
  warnings: z.array(z.object({ code: z.string(), message: z.string() })).optional(),
});
export type ReplayReport = z.infer<typeof ReplayReport>;

const exitForReport = (report: ReplayReport): number => (report.ok ? 0 : exitCodeFor(report.error?.code));

export const SkillHealth = z.object({
  skill: z.string(),
  /** healthy: every step grounded on its first rung; drifted: some needed a lower rung; broken: a step could not be done. */
  health: z.enum(['healthy', 'drifted', 'broken']),
  mode: z.enum(['sandbox', 'dry-run']),
  drifted: z.array(z.object({ index: z.number(), tier: GroundingTier.optional() })),
  broken: z.object({ index: z.number(), reason: z.string() }).optional(),
  report: ReplayReport,
});

export const commands = commandMap(
  defineCommand({
    name: 'replay',
    fleet: true,
    summary: 'Replay a skill on a live app or page: ground each step (DOM/a11y → template → OCR → anchors → VLM), act only when confident, verify.',
    input: z
      .object({
        skill: z.string().min(1).max(4096).describe('skill folder, .zip, or the name of a skill in the library'),
        url: z.string().max(4096).optional().describe('web skills: the page to open'),
        app: z.string().max(4096).optional().describe('X11 skills: the command that launches the app'),
        attach: z.boolean().optional().describe('X11 skills: act on the running window instead of launching one'),
        dryRun: z.boolean().optional().describe('ground every step and report, but do not act'),
        confirm: z.enum(['ask', 'auto', 'never']).optional().describe('destructive steps and higher permission tiers: ask, run, or refuse'),
        param: z.array(z.string().max(10_000)).max(50).optional().describe('name=value, repeatable: replace a recorded value'),
        threshold: z.number().min(0.5).max(1).optional().describe('grounding confidence needed to act (default from settings, 0.8)'),
        headed: z.boolean().optional().describe('web skills: show the browser window'),
      })
      .strict()
      .refine((input) => [input.url, input.app, input.attach].filter(Boolean).length <= 1, { message: 'give at most one of --url, --app, --attach', path: ['url'] }),
    output: ReplayReport,
    timeoutMs: 0,
    cli: { positionals: ['skill'], long: true, exitCode: exitForReport as (output: never) => number },
  }),
  defineCommand({
    name: 'library.verify',
    fleet: true,
    summary: 'Check skills against the live app: replay each in a sandbox (a fresh app or page) or dry-run, and mark it healthy, drifted or broken.',
    input: z
      .object({
        skills: z.array(z.string().max(4096)).max(200).optional().describe('skill folders or library names (default: the whole library)'),
        url: z.string().max(4096).optional(),
        app: z.string().max(4096).optional(),
        attach: z.boolean().optional(),
      })
      .strict(),
    output: z.object({ skills: z.array(SkillHealth) }),
    timeoutMs: 0,
    cli: { positionals: ['skills'], long: true },
  }),
  defineCommand({
    name: 'library.repair',
    summary: 'Repair one broken step of a skill from a new recording of just that step (the result must pass the audit again).',
    input: z
      .object({
        skill: z.string().min(1).max(4096).describe('skill folder or library name'),
        step: z.number().int().positive().describe('the step number to replace'),
        recording: z.string().min(1).max(4096).describe('trajectory folder recorded for that step'),
      })
      .strict(),
    output: z.object({ skill: z.string(), step: z.number(), before: z.string(), after: z.string(), images: z.array(z.string()) }),
    timeoutMs: 600_000,
    cli: { positionals: ['skill'], long: true },
  }),
  defineCommand({
    name: 'screen.capture',
    summary: 'Take a screenshot of the X11 screen (PNG, base64) — the eyes other agents use through MCP.',
    input: z.object({ out: z.string().max(4096).optional().describe('also write the PNG here') }).strict(),
    output: z.object({ width: z.number(), height: z.number(), png: z.string(), file: z.string().optional() }),
  }),
  defineCommand({
    name: 'input.click',
    summary: 'Click at screen coordinates (needs the "input" permission tier in settings).',
    input: z.object({ x: z.number().int().min(0).max(100_000), y: z.number().int().min(0).max(100_000), button: z.enum(['left', 'right', 'middle']).optional(), double: z.boolean().optional() }).strict(),
    output: z.object({ clicked: z.object({ x: z.number(), y: z.number() }) }),
  }),
  defineCommand({
    name: 'input.type',
    summary: 'Type text or press a key chord on the focused window (needs the "input" permission tier in settings).',
    input: z.object({ text: z.string().max(10_000).optional(), key: z.string().max(40).optional() }).strict().refine((input) => Boolean(input.text) !== Boolean(input.key), { message: 'give exactly one of text or key', path: ['text'] }),
    output: z.object({ typed: z.number().int().nonnegative() }),
  }),
);

export const events = eventMap(
  defineEvent(
    'replay.step',
    ReplayStep.extend({
      skill: z.string(),
      total: z.number().int().nonnegative(),
      /** A small PNG data URL of the live frame, for the Replay page. */
      screenshot: z.string().optional(),
      frameSize: z.object({ width: z.number(), height: z.number() }).optional(),
    }),
  ),
);
