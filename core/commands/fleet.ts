import { z } from 'zod';
import { defineCommand } from '../contract.ts';
import { ErrorBody, exitCodeFor } from '../errors.ts';
import { commandMap, eventMap } from '../registry-helpers.ts';

/**
 * Fleets: Skillframe commands as jobs on a BullMQ queue in Redis, run by `skillframe worker`
 * processes, each job in its own throwaway environment. Only commands marked `fleet: true` in
 * the contract may be submitted; jobs carry library skill names, never code or paths.
 */

/** redis://[user:password@]host:port[/db] or rediss:// (TLS). Defaults to $SKILLFRAME_REDIS. */
export const RedisUrl = z
  .string()
  .max(2000)
  .regex(/^rediss?:\/\/[^\s]+$/, 'must be a redis:// or rediss:// URL');

export const FleetJobState = z.enum(['waiting', 'active', 'completed', 'failed', 'delayed', 'waiting-children', 'prioritized', 'paused', 'unknown']);

export const FleetJob = z.object({
  id: z.string(),
  command: z.string(),
  state: FleetJobState,
  progress: z.object({ fraction: z.number().optional(), message: z.string().optional() }).optional(),
  /** Attempts started so far (one a dead worker never finished counts). */
  attempts: z.number().int().nonnegative(),
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  /** The command's output, when it completed. */
  result: z.unknown().optional(),
  error: ErrorBody.optional(),
  /** The folder under the shared results directory that holds this job's evidence. */
  evidence: z.string().optional(),
  parent: z.string().optional(),
  children: z.array(z.string()).optional(),
  worker: z.string().optional(),
});
export type FleetJob = z.infer<typeof FleetJob>;

export const FleetWorker = z.object({ name: z.string(), address: z.string().optional(), ageSeconds: z.number().optional() });

const redis = RedisUrl.optional().describe('the queue\'s Redis (default $SKILLFRAME_REDIS, else redis://127.0.0.1:6379)');

export const commands = commandMap(
  defineCommand({
    name: 'fleet.submit',
    summary: 'Put a command on the fleet queue (replay, library verify, explore, bench replay/explore/robot); --repeat CRON makes it nightly.',
    input: z
      .object({
        command: z.string().min(1).max(200),
        input: z.string().max(100_000).default('{}').describe('the command\'s input as JSON'),
        redis,
        repeat: z.string().max(200).regex(/^(\S+\s+){4}\S+$/, 'must be a cron pattern of five fields, e.g. "0 3 * * *"').optional(),
        attempts: z.coerce.number().int().min(1).max(20).default(3).describe('tries before the job fails (a dead worker counts as one)'),
      })
      .strict(),
    output: z.object({ job: z.string(), command: z.string(), queue: z.string(), repeat: z.string().optional() }),
    timeoutMs: 30_000,
    cli: { positionals: ['command'] },
  }),
  defineCommand({
    name: 'fleet.status',
    summary: 'The fleet: workers, job counts, and the jobs (or one job) with progress, results and evidence.',
    input: z.object({ job: z.string().max(200).optional(), redis, limit: z.coerce.number().int().min(1).max(1000).default(50) }).strict(),
    output: z.object({
      queue: z.string(),
      workers: z.array(FleetWorker),
      counts: z.record(z.string(), z.number()),
      jobs: z.array(FleetJob),
    }),
    timeoutMs: 30_000,
    cli: { positionals: ['job'] },
  }),
  defineCommand({
    name: 'fleet.wait',
    summary: 'Wait until a fleet job completes or fails; exits with the job\'s own status.',
    input: z.object({ job: z.string().min(1).max(200), redis }).strict(),
    output: FleetJob,
    timeoutMs: 0,
    cli: { positionals: ['job'], long: true, exitCode: ((output: FleetJob) => (output.state === 'completed' ? 0 : exitCodeFor(output.error?.code))) as never },
  }),
  defineCommand({
    name: 'fleet.cancel',
    summary: 'Cancel a fleet job (waiting: removed; running: aborted on its worker, not retried), or every job with --all.',
    input: z.object({ job: z.string().max(200).optional(), all: z.boolean().optional(), redis }).strict().refine((value) => Boolean(value.job) !== Boolean(value.all), 'give a job id or --all'),
    output: z.object({ cancelled: z.array(z.string()) }),
    timeoutMs: 30_000,
    cli: { positionals: ['job'] },
  }),
  defineCommand({
    name: 'bench.fleet',
    summary: 'Fleet throughput: jobs per minute with 1, 2 and 3 workers against the same jobs run one after another in one process (a private Redis, same run).',
    input: z.object({ jobs: z.coerce.number().int().min(1).max(500).default(12), workers: z.array(z.coerce.number().int().min(1).max(16)).max(8).default([1, 2, 3]) }).strict(),
    output: z.object({
      benchmark: z.literal('fleet'),
      cpus: z.number(),
      jobs: z.number(),
      job: z.string(),
      sequential: z.object({ seconds: z.number(), jobsPerMinute: z.number() }),
      runs: z.array(z.object({ workers: z.number(), seconds: z.number(), jobsPerMinute: z.number(), speedupOverSequential: z.number(), completed: z.number(), redisCommandsPerJob: z.number(), workerPeakRssMb: z.number() })),
    }),
    timeoutMs: 0,
    cli: { long: true },
  }),
);

export const events = eventMap();
