import type { Job } from 'bullmq';
import { z } from 'zod';
import { commands, findCommand, SkillframeError, showValue, type CommandSpec, type ErrorBody } from '../../core/index.ts';
import { FleetJobState, type FleetJob } from '../../core/commands/fleet.ts';
import { SkillName } from '../../core/schemas/skill.ts';

/**
 * The fleet's queue: names, connections and the job format shared by `fleet submit/status/wait/
 * cancel` (host/handlers/fleet.ts) and `skillframe worker` (host/fleet/worker.ts).
 */

export const queueName = 'skillframe';
/** Pub/sub channel a `fleet cancel` publishes on; every worker aborts the named (or every) running job. */
export const cancelChannel = 'skillframe:fleet:cancel';
/** Job ids cancelled before a worker took them: a worker skips them instead of running them. */
export const cancelledKey = 'skillframe:fleet:cancelled';
/** The parent of a library-wide `library.verify`: fans out one child job per skill. */
export const verifyAllJob = 'library.verify:all';

export function redisUrl(given: string | undefined): string {
  return given ?? process.env.SKILLFRAME_REDIS ?? 'redis://127.0.0.1:6379';
}

/** What travels in Redis for one job: a command name and its input, nothing else. */
export const JobData = z
  .object({ command: z.string(), input: z.record(z.string(), z.unknown()), parent: z.string().optional(), step: z.enum(['collect']).optional() })
  .strict();
export type JobData = z.infer<typeof JobData>;

/** What a finished job leaves in Redis (BullMQ's returnvalue). */
export const JobResult = z.object({ value: z.unknown(), evidence: z.string(), worker: z.string(), attempt: z.number().int() });
export type JobResult = z.infer<typeof JobResult>;

/** Fields a worker fills in itself: a job may not name paths on the worker's machine. */
const workerOwnedFields = ['out', 'keep', 'skills', 'attach', 'headed', 'recording', 'from', 'file', 'policy', 'layouts', 'spec'];

/**
 * Checks a job before it is queued: the command must be marked `fleet` in the contract, its input
 * must parse, and it may carry library skill names but never code, paths or a running window.
 */
export function checkJob(command: string, rawInput: unknown): JobData {
  const spec = findCommand(command);
  if (!spec) throw new SkillframeError('not_found', `input.command: no command ${showValue(command)}`);
  if (!spec.fleet) throw new SkillframeError('refused', `input.command: ${command} may not run on a fleet (fleet commands: ${fleetCommands().join(', ')})`);
  if (!rawInput || typeof rawInput !== 'object' || Array.isArray(rawInput)) throw new SkillframeError('bad_input', `input.input: expected a JSON object, got ${showValue(rawInput)}`);
  const input = rawInput as Record<string, unknown>;
  for (const field of workerOwnedFields) {
    if (field === 'skills' && command === 'library.verify') continue;
    if (input[field] !== undefined) throw new SkillframeError('refused', `input.input.${field}: a fleet job may not set ${field} (${showValue(input[field])}); the worker chooses paths and windows`);
  }
  const names = command === 'replay' ? [input.skill] : command === 'library.verify' ? ((input.skills as unknown[] | undefined) ?? []) : [];
  for (const name of names) {
    if (!SkillName.safeParse(name).success) throw new SkillframeError('refused', `input.input: fleet jobs name library skills, ${showValue(name)} is not a skill name (paths and zips are refused)`);
  }
  const parsed = spec.input.safeParse(input);
  if (!parsed.success) throw new SkillframeError('bad_input', `input.input: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  return { command, input };
}

/** The commands the contract marks as able to run on a fleet. */
export function fleetCommands(): string[] {
  return Object.values(commands as Record<string, CommandSpec>).filter((spec) => spec.fleet).map((spec) => spec.name);
}

const stateOf = (state: string): FleetJob['state'] => FleetJobState.catch('unknown').parse(state);

function errorOf(job: Job): ErrorBody | undefined {
  if (!job.failedReason) return undefined;
  const match = /^(bad_input|not_found|refused|unsafe|timeout|aborted|unavailable|internal): ([\s\S]*)$/.exec(job.failedReason);
  return match ? { code: match[1] as ErrorBody['code'], message: match[2] } : { code: 'internal', message: job.failedReason };
}

/** A BullMQ job as the contract shows it. */
export async function viewJob(job: Job): Promise<FleetJob> {
  const data = JobData.safeParse(job.data);
  const state = stateOf(await job.getState());
  const result = JobResult.safeParse(job.returnvalue);
  const progress = typeof job.progress === 'object' && job.progress ? (job.progress as { fraction?: number; message?: string }) : undefined;
  const children = job.name === verifyAllJob ? Object.keys(await job.getChildrenValues()).map((key) => key.split(':').at(-1) ?? key) : undefined;
  return {
    id: String(job.id),
    command: data.success ? data.data.command : job.name,
    state,
    ...(progress ? { progress: { ...(typeof progress.fraction === 'number' ? { fraction: progress.fraction } : {}), ...(typeof progress.message === 'string' ? { message: progress.message } : {}) } } : {}),
    attempts: Math.max(job.attemptsStarted ?? 0, job.attemptsMade),
    createdAt: new Date(job.timestamp).toISOString(),
    ...(job.finishedOn ? { finishedAt: new Date(job.finishedOn).toISOString() } : {}),
    ...(state === 'completed' && result.success ? { result: result.data.value, evidence: result.data.evidence, worker: result.data.worker } : {}),
    ...(state === 'failed' ? { error: errorOf(job) } : {}),
    ...(data.success && data.data.parent ? { parent: data.data.parent } : {}),
    ...(children?.length ? { children } : {}),
  };
}
