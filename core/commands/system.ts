import { z } from 'zod';
import { defineCommand, defineEvent } from '../contract.ts';
import { commandMap, eventMap } from '../registry-helpers.ts';
import { RedisUrl } from './fleet.ts';

/** Host-level commands: health, machine facts, settings, confirmations, the kill switch. */

export const DoctorCheck = z.object({
  name: z.string(),
  status: z.enum(['ok', 'missing']),
  detail: z.string(),
  /** The exact command or step that fixes a `missing` check. */
  fix: z.string().optional(),
});
export type DoctorCheck = z.infer<typeof DoctorCheck>;

export const Settings = z.object({
  vlm: z
    .object({
      provider: z.enum(['none', 'openai', 'llama', 'scripted']).default('none'),
      baseUrl: z.string().optional(),
      model: z.string().optional(),
      /** Never echoed back by `settings.get`; replaced by `apiKeySet`. */
      apiKey: z.string().optional(),
      /** The origin (scheme://host:port) the key was entered for; the key is sent nowhere else, and changing the origin drops it. */
      apiKeyOrigin: z.string().optional(),
      modelPath: z.string().optional(),
    })
    .default({ provider: 'none' }),
  permissions: z
    .object({
      /** Highest tier a skill may use without asking. */
      autoApproveTier: z.enum(['read', 'input', 'system', 'robot']).default('read'),
    })
    .default({ autoApproveTier: 'read' }),
  replay: z
    .object({
      confidenceThreshold: z.number().min(0).max(1).default(0.8),
      confirm: z.enum(['ask', 'auto', 'never']).default('ask'),
    })
    .default({ confidenceThreshold: 0.8, confirm: 'ask' }),
});
export type Settings = z.infer<typeof Settings>;

/** scheme://host:port of an http(s) URL, or undefined when it is not one (what an API key is bound to). */
export function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

const PublicSettings = Settings.extend({
  vlm: Settings.shape.vlm.unwrap().omit({ apiKey: true }).extend({ apiKeySet: z.boolean() }),
});

export const commands = commandMap(
  defineCommand({
    name: 'ping',
    summary: 'Check that the host answers.',
    input: z.object({ echo: z.string().max(10_000).optional() }).strict(),
    output: z.object({ pong: z.literal(true), echo: z.string().optional(), version: z.string() }),
    timeoutMs: 5_000,
  }),
  defineCommand({
    name: 'commands',
    summary: 'List every command of the contract with its summary.',
    input: z.object({}).strict(),
    output: z.object({ commands: z.array(z.object({ name: z.string(), summary: z.string() })) }),
  }),
  defineCommand({
    name: 'doctor',
    summary: 'Report what this machine offers (display, Chromium, ffmpeg, robotjs, ONNX providers, serial ports, VLM) and how to fix what is missing.',
    input: z.object({}).strict(),
    output: z.object({ ok: z.boolean(), checks: z.array(DoctorCheck) }),
    timeoutMs: 60_000,
  }),
  defineCommand({
    name: 'settings.get',
    summary: 'Show the settings (secrets are never shown).',
    input: z.object({}).strict(),
    output: PublicSettings,
  }),
  defineCommand({
    name: 'settings.set',
    summary: 'Change settings; takes a partial settings object as JSON.',
    input: z.object({ json: z.string().max(100_000) }).strict(),
    output: PublicSettings,
    cli: { positionals: ['json'] },
  }),
  defineCommand({
    name: 'confirm.answer',
    summary: 'Answer a pending confirmation request (from the UI).',
    input: z.object({ confirmId: z.string().max(100), approve: z.boolean() }).strict(),
    output: z.object({ answered: z.boolean() }),
    cli: { hidden: true },
  }),
  defineCommand({
    name: 'stop',
    summary: 'Kill switch: stop every running recording, replay, exploration and robot motion of this user.',
    input: z
      .object({
        fleet: z.boolean().optional().describe('also cancel every running and waiting job of the fleet queue'),
        redis: RedisUrl.optional(),
      })
      .strict(),
    output: z.object({ stopped: z.number().int().nonnegative(), fleetCancelled: z.array(z.string()).optional() }),
    // Local stops take milliseconds; --fleet talks to Redis, which a loaded machine may answer slowly.
    timeoutMs: 30_000,
  }),
  defineCommand({
    name: 'debug.sleep',
    summary: 'Sleep with progress events (for testing hosts, deadlines and cancellation).',
    input: z.object({ ms: z.coerce.number().int().min(0).max(600_000), steps: z.coerce.number().int().min(1).max(1000).default(10) }).strict(),
    output: z.object({ slept: z.number() }),
    timeoutMs: 0,
    cli: { long: true, hidden: true },
  }),
);

export const events = eventMap(
  defineEvent(
    'progress',
    z.object({
      command: z.string(),
      /** 0..1 when the amount of work is known. */
      fraction: z.number().min(0).max(1).optional(),
      message: z.string().optional(),
    }),
  ),
  defineEvent(
    'confirm.request',
    z.object({
      confirmId: z.string(),
      question: z.string(),
      /** Extra evidence shown beside the question (e.g. a step description, a screenshot path). */
      details: z.unknown().optional(),
    }),
  ),
  defineEvent('log', z.object({ level: z.enum(['debug', 'info', 'warn', 'error']), message: z.string() })),
);
