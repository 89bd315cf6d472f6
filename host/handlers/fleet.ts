import { SkillframeError, showValue, sleep } from '../../core/index.ts';
import type { HandlerTable } from '../dispatcher.ts';
import { cancelChannel, cancelledKey, checkJob, queueName, redisUrl, verifyAllJob, viewJob } from '../fleet/queue.ts';

/** A queue handle for one command; closed when the command ends (no connection outlives it). */
async function openQueue(url: string) {
  const { Queue } = await import('bullmq');
  const queue = new Queue(queueName, { connection: { url, maxRetriesPerRequest: 1, connectTimeout: 5_000, enableOfflineQueue: false } as never });
  queue.on('error', () => undefined);
  try {
    await Promise.race([queue.waitUntilReady(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 5 s')), 5_000))]);
  } catch (error) {
    await queue.close().catch(() => undefined);
    throw new SkillframeError('unavailable', `input.redis: cannot reach Redis at ${showValue(redactUrl(url))}: ${(error as Error).message}`);
  }
  return queue;
}

/** Never echo a password back. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
}

/** Marks jobs cancelled (so a worker that takes one later skips it) and tells every worker. */
async function announceCancel(url: string, ids: string[], message: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await client.connect();
    if (ids.length) await client.sadd(cancelledKey, ...ids);
    await client.publish(cancelChannel, message);
  } finally {
    client.disconnect();
  }
}

/** Cancels one job (or all): waiting ones are removed, running ones aborted on their worker and not retried. */
export async function cancelJobs(url: string, job: string | undefined): Promise<string[]> {
  const queue = await openQueue(url);
  try {
    const targets = job ? [await queue.getJob(job)] : await queue.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
    if (job && !targets[0]) throw new SkillframeError('not_found', `input.job: no fleet job ${showValue(job)}`);
    const cancelled: string[] = [];
    for (const target of targets) {
      if (!target?.id) continue;
      const state = await target.getState();
      if (state === 'completed' || state === 'failed') continue;
      if (state !== 'active') await target.remove({ removeChildren: true }).catch(() => undefined);
      cancelled.push(target.id);
    }
    if (!job) for (const scheduler of await queue.getJobSchedulers()) if (scheduler.key) await queue.removeJobScheduler(scheduler.key);
    await announceCancel(url, cancelled, job ?? '*');
    return cancelled;
  } finally {
    await queue.close();
  }
}

export const fleetHandlers: HandlerTable = {
  'fleet.submit': async (input) => {
    let raw: unknown;
    try {
      raw = JSON.parse(input.input);
    } catch (error) {
      throw new SkillframeError('bad_input', `input.input: not JSON (${(error as Error).message}): ${showValue(input.input)}`);
    }
    const data = checkJob(input.command, raw);
    const url = redisUrl(input.redis);
    const queue = await openQueue(url);
    try {
      // A verify of the whole library is one parent job that fans out a child per skill on a worker.
      const name = data.command === 'library.verify' && !(data.input.skills as unknown[] | undefined)?.length ? verifyAllJob : data.command;
      const options = { attempts: input.attempts, backoff: { type: 'exponential' as const, delay: 1_000 }, removeOnComplete: false, removeOnFail: false };
      if (input.repeat) {
        const key = `${name}:${input.repeat}:${JSON.stringify(data.input)}`.slice(0, 500);
        const job = await queue.upsertJobScheduler(key, { pattern: input.repeat }, { name, data, opts: options });
        return { job: String(job?.id ?? key), command: data.command, queue: queueName, repeat: input.repeat };
      }
      const job = await queue.add(name, data, options);
      return { job: String(job.id), command: data.command, queue: queueName };
    } finally {
      await queue.close();
    }
  },
  'fleet.status': async (input) => {
    const queue = await openQueue(redisUrl(input.redis));
    try {
      const workers = await queue.getWorkers();
      const counts = await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'waiting-children', 'prioritized');
      let jobs;
      if (input.job) {
        const job = await queue.getJob(input.job);
        if (!job) throw new SkillframeError('not_found', `input.job: no fleet job ${showValue(input.job)}`);
        jobs = [await viewJob(job)];
      } else {
        const listed = await queue.getJobs(['active', 'waiting', 'waiting-children', 'delayed', 'prioritized', 'completed', 'failed'], 0, input.limit - 1);
        jobs = await Promise.all(listed.filter(Boolean).map((job) => viewJob(job)));
      }
      return {
        queue: queueName,
        workers: workers.map((worker) => ({ name: String(worker.name ?? worker.id ?? 'worker'), ...(worker.addr ? { address: String(worker.addr) } : {}), ...(worker.age ? { ageSeconds: Number(worker.age) } : {}) })),
        counts,
        jobs,
      };
    } finally {
      await queue.close();
    }
  },
  'fleet.wait': async (input, context) => {
    const queue = await openQueue(redisUrl(input.redis));
    try {
      for (;;) {
        const job = await queue.getJob(input.job);
        if (!job) throw new SkillframeError('not_found', `input.job: no fleet job ${showValue(input.job)}`);
        const view = await viewJob(job);
        if (view.progress) context.progress(view.progress);
        if (view.state === 'completed' || view.state === 'failed') return view;
        await sleep(500, context.signal, 'waiting for the fleet job');
      }
    } finally {
      await queue.close();
    }
  },
  'fleet.cancel': async (input) => ({ cancelled: await cancelJobs(redisUrl(input.redis), input.all ? undefined : input.job) }),
};
