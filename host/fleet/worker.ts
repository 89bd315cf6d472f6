import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { toErrorBody, type Reply } from '../../core/index.ts';
import { appResource } from '../../native/app-root.ts';
import { homePath } from '../home.ts';
import { onKillSwitch, registerProcess } from '../kill-switch.ts';
import { RedisUrl } from '../../core/commands/fleet.ts';
import type { SkillHealth } from '../../core/commands/replay.ts';
import { cancelChannel, cancelledKey, JobData, queueName, verifyAllJob, type JobResult } from './queue.ts';
import type { RunnerJob } from './job-runner.ts';

/**
 * `skillframe worker --redis URL [--concurrency N] [--results DIR] [--library DIR]`: takes jobs from
 * the fleet queue and runs each attempt in its own process and environment (host/fleet/job-runner.ts).
 * Progress goes to BullMQ's job progress, `fleet cancel` arrives over Redis pub/sub and aborts the
 * attempt, and evidence (reply.json, progress.jsonl, screenshots, graphs) lands under
 * RESULTS/<job>/attempt-<n>/ — a path every worker can reach.
 *
 * Nothing lost: a worker killed mid-job stops renewing its lock, BullMQ's stalled check hands the
 * job to another worker, and the retry runs on a fresh display and app instance (the dead attempt's
 * runner notices its parent is gone and stops). Results are recorded by BullMQ's atomic completion,
 * so exactly once.
 */

interface WorkerOptions {
  redis: string;
  concurrency: number;
  results: string;
  library: string;
  name: string;
}

function usage(): string {
  return 'Usage: skillframe worker --redis URL [--concurrency N] [--results DIR] [--library DIR] [--name NAME]\n';
}

export function parseWorkerArgs(argv: readonly string[]): WorkerOptions | string {
  const options: Partial<WorkerOptions> = {};
  for (let index = 0; index < argv.length; index += 1) {
    const [flag, inline] = argv[index].split(/=(.*)/s);
    const value = inline ?? argv[++index];
    if (value === undefined) return `${flag}: needs a value`;
    if (flag === '--redis') {
      if (!RedisUrl.safeParse(value).success) return `--redis: must be a redis:// or rediss:// URL, got ${JSON.stringify(value)}`;
      options.redis = value;
    } else if (flag === '--concurrency') {
      const number = Number(value);
      if (!Number.isInteger(number) || number < 1 || number > 32) return `--concurrency: expected an integer 1..32, got ${JSON.stringify(value)}`;
      options.concurrency = number;
    } else if (flag === '--results') options.results = resolve(value);
    else if (flag === '--library') options.library = resolve(value);
    else if (flag === '--name') options.name = value.slice(0, 100);
    else return `unknown flag ${flag}`;
  }
  return {
    redis: options.redis ?? process.env.SKILLFRAME_REDIS ?? 'redis://127.0.0.1:6379',
    concurrency: options.concurrency ?? 1,
    results: options.results ?? homePath('fleet', 'results'),
    library: options.library ?? homePath('skills'),
    name: options.name ?? `${hostname()}-${process.pid}`,
  };
}

/** Fields the worker fills in: where a command writes its artifacts is the job's evidence folder. */
function withWorkerPaths(data: JobData, evidence: string): Record<string, unknown> {
  if (data.command === 'explore') return { ...data.input, out: join(evidence, 'explore') };
  if (data.command === 'bench.replay') return { ...data.input, keep: join(evidence, 'bench') };
  return data.input;
}

function skillsOf(data: JobData): string[] {
  if (data.command === 'replay') return [String(data.input.skill)];
  if (data.command === 'library.verify') return ((data.input.skills as string[] | undefined) ?? []).map(String);
  return [];
}

/** Runs one attempt in its own process; resolves with the dispatcher's reply. */
function runAttempt(job: RunnerJob, signal: AbortSignal, onProgress: (progress: { fraction?: number; message?: string }) => void): Promise<Reply> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [appResource('bin', 'skillframe.js'), '__fleet-job'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let reply: Reply | undefined;
    let buffered = '';
    let stderr = '';
    const log: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          const message = JSON.parse(line) as { type: string; reply?: Reply; fraction?: number; message?: string };
          if (message.type === 'reply') reply = message.reply;
          else if (message.type === 'progress') {
            log.push(line);
            onProgress({ ...(message.fraction === undefined ? {} : { fraction: message.fraction }), ...(message.message === undefined ? {} : { message: message.message }) });
          }
        } catch {
          /* not ours */
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const onAbort = () => {
      child.kill('SIGTERM');
      setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 5_000).unref();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('close', (code) => {
      signal.removeEventListener('abort', onAbort);
      writeFileSync(join(job.evidence, 'progress.jsonl'), log.map((line) => `${line}\n`).join(''));
      resolvePromise(reply ?? { ok: false, error: { code: signal.aborted ? 'aborted' : 'internal', message: `the job process exited with ${code} and no reply: ${stderr.trim().split('\n').slice(-3).join(' | ')}` } });
    });
    child.stdin.end(JSON.stringify(job));
  });
}

/** The per-skill results of a `library.verify` output (validated by the dispatcher that produced it). */
function verifiedSkills(value: unknown): z.infer<typeof SkillHealth>[] {
  return ((value as { skills?: z.infer<typeof SkillHealth>[] } | undefined)?.skills ?? []);
}

/** Codes a retry cannot fix: the job fails at once instead of using up its attempts. */
const final = new Set(['bad_input', 'not_found', 'refused', 'unsafe', 'aborted']);

export async function workerCommand(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage());
    return 0;
  }
  const options = parseWorkerArgs(argv);
  if (typeof options === 'string') {
    process.stderr.write(`skillframe worker: ${options}\n${usage()}`);
    return 2;
  }
  const [{ Worker, Queue, UnrecoverableError, WaitingChildrenError }, { Redis }, { SkillLibrary }, { recordHealth, markOf }] = await Promise.all([
    import('bullmq'),
    import('ioredis'),
    import('../../skills-mm/library.ts'),
    import('../../skills-mm/health.ts'),
  ]);
  mkdirSync(options.results, { recursive: true, mode: 0o700 });
  const connection = { url: options.redis } as never;
  const commands = new Redis(options.redis, { maxRetriesPerRequest: null });
  const subscriber = new Redis(options.redis, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection });
  const settings = homePath('settings.json');
  const recordMarks = (results: z.infer<typeof SkillHealth>[], source: string) =>
    recordHealth(options.library, Object.fromEntries(results.map((result) => [result.skill, markOf(result, source)])));

  const worker = new Worker(
    queueName,
    async (job, token, signal) => {
      const parsed = JobData.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`bad_input: job ${job.id} carries no valid command (${parsed.error.issues[0]?.message})`);
      const data = parsed.data;
      if (await commands.sismember(cancelledKey, String(job.id))) throw new UnrecoverableError('aborted: the job was cancelled before it ran');
      // attemptsStarted counts a start that a dead worker never finished (attemptsMade does not),
      // so the retry of a stalled job gets its own folder beside the dead attempt's.
      let attempt = Math.max(job.attemptsStarted ?? 0, job.attemptsMade + 1);
      while (existsSync(join(options.results, String(job.id), `attempt-${attempt}`))) attempt += 1;
      const evidence = join(options.results, String(job.id), `attempt-${attempt}`);
      mkdirSync(evidence, { recursive: true });

      if (job.name === verifyAllJob) {
        // Step 1 fans out one child per skill; step 2 (after every child ended) folds their results.
        if (!job.data.step) {
          const names = new SkillLibrary(options.library).list().map((entry) => entry.name);
          for (const name of names) {
            await queue.add('library.verify', { command: 'library.verify', input: { ...data.input, skills: [name] }, parent: String(job.id) }, {
              parent: { id: String(job.id), queue: job.queueQualifiedName },
              attempts: job.opts.attempts ?? 3,
              backoff: { type: 'exponential', delay: 1_000 },
              ignoreDependencyOnFailure: true,
              removeOnComplete: false,
              removeOnFail: false,
            });
          }
          await job.updateData({ ...data, step: 'collect' } as never);
          if (await job.moveToWaitingChildren(token ?? '')) throw new WaitingChildrenError();
        }
        const values = Object.values(await job.getChildrenValues()) as JobResult[];
        const failures = await job.getIgnoredChildrenFailures();
        const skills = values.flatMap((value) => verifiedSkills(value.value));
        recordMarks(skills, `fleet job ${job.id}`);
        const value = { skills, failures: Object.entries(failures).map(([key, reason]) => ({ job: key.split(':').at(-1) ?? key, reason })) };
        writeFileSync(join(evidence, 'reply.json'), `${JSON.stringify({ ok: true, value }, null, 2)}\n`);
        return { value, evidence, worker: options.name, attempt } satisfies JobResult;
      }

      const reply = await runAttempt(
        { command: data.command, input: withWorkerPaths(data, evidence), skills: skillsOf(data), library: options.library, evidence, ...(existsSync(settings) ? { settings } : {}) },
        signal ?? new AbortController().signal,
        (progress) => void job.updateProgress(progress).catch(() => undefined),
      );
      writeFileSync(join(evidence, 'reply.json'), `${JSON.stringify(reply, null, 2)}\n`);
      if (!reply.ok) {
        const reason = `${reply.error.code}: ${reply.error.message}`;
        if (signal?.aborted || final.has(reply.error.code)) throw new UnrecoverableError(reason);
        throw new Error(reason);
      }
      if (data.command === 'library.verify') {
        // A child of a library-wide verify leaves the marks to its parent; a direct one records them.
        if (!data.parent) recordMarks(verifiedSkills(reply.value), `fleet job ${job.id}`);
      }
      return { value: reply.value, evidence, worker: options.name, attempt } satisfies JobResult;
    },
    { connection, concurrency: options.concurrency, name: options.name, lockDuration: 15_000, stalledInterval: 5_000, maxStalledCount: 3 },
  );
  worker.on('error', (error) => process.stderr.write(`skillframe worker: ${toErrorBody(error).message}\n`));

  await subscriber.subscribe(cancelChannel);
  subscriber.on('message', (_channel, message: string) => {
    if (message === '*') worker.cancelAllJobs('cancelled by fleet cancel');
    else worker.cancelJob(message, 'cancelled by fleet cancel');
  });

  await worker.waitUntilReady();
  process.stdout.write(`${JSON.stringify({ worker: options.name, queue: queueName, concurrency: options.concurrency, results: options.results, library: options.library })}\n`);
  const unregister = registerProcess('worker');
  await new Promise<void>((resolvePromise) => {
    const stopListening = onKillSwitch(() => worker.cancelAllJobs('stopped by the kill switch'));
    const end = () => {
      stopListening();
      resolvePromise();
    };
    process.once('SIGINT', end);
    process.once('SIGTERM', end);
  });
  await worker.close();
  await queue.close();
  subscriber.disconnect();
  commands.disconnect();
  unregister();
  return 0;
}
