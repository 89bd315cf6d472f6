import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatcher } from '../host/create.ts';
import { appResource } from '../native/app-root.ts';
import { serveFixtures } from '../testkit/fixtures/web/server.ts';
import { startRedis } from '../testkit/redis.ts';

/**
 * Fleet throughput: the same web-replay jobs run (a) one after another in a single process — the
 * baseline a team without a fleet has — and (b) through the queue by 1, 2 and 3 workers, in one
 * run on this machine. Reports jobs per minute, speed-up over the baseline, Redis commands per job
 * and a worker's memory, for docs/SCALING.md.
 */

export interface FleetBenchOptions {
  jobs: number;
  workers: number[];
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
}

async function redisCommands(url: string): Promise<number> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url);
  try {
    const info = await client.info('stats');
    return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
  } finally {
    client.disconnect();
  }
}

function peakRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

export async function runFleetBench(options: FleetBenchOptions) {
  const home = mkdtempSync(join(tmpdir(), 'sf-bench-fleet-'));
  const previousHome = process.env.SKILLFRAME_HOME;
  process.env.SKILLFRAME_HOME = home;
  const redis = await startRedis();
  const site = await serveFixtures();
  const env = { ...process.env, SKILLFRAME_HOME: home };
  const report = (fraction: number, message: string) => options.progress?.(fraction, message);
  try {
    const dispatcher = createDispatcher();
    const script = join(home, 'script.json');
    writeFileSync(script, JSON.stringify([{ action: 'click', selector: '#new-project' }, { action: 'click', selector: '#new-name' }, { action: 'type', text: 'Zeus' }]));
    report(0.02, 'recording the skill');
    await dispatcher.run('record', { url: `${site.url}dialog.html`, out: join(home, 'recording'), script }, { signal: options.signal });
    await dispatcher.run('build', { trajectoryDir: join(home, 'recording'), out: join(home, 'name-project') }, { signal: options.signal });
    await dispatcher.run('library.add', { source: join(home, 'name-project') }, { signal: options.signal });
    await dispatcher.run('settings.set', { json: JSON.stringify({ permissions: { autoApproveTier: 'input' } }) });
    const input = { skill: 'name-project', url: `${site.url}dialog.html`, confirm: 'auto' };

    // Baseline: the same jobs one after another in one process.
    report(0.1, `baseline: ${options.jobs} replays in one process`);
    const started = performance.now();
    for (let index = 0; index < options.jobs; index += 1) await dispatcher.run('replay', input, { signal: options.signal });
    const sequentialSeconds = (performance.now() - started) / 1000;

    const runs = [];
    for (const [position, count] of options.workers.entries()) {
      report(0.2 + (0.8 * position) / options.workers.length, `${count} worker(s)`);
      const children: ChildProcess[] = [];
      for (let index = 0; index < count; index += 1) {
        children.push(spawn(process.execPath, [appResource('bin', 'skillframe.js'), 'worker', '--redis', redis.url, '--results', join(home, `results-${count}`), '--name', `bench-${count}-${index}`], { env, stdio: 'ignore' }));
      }
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const commandsBefore = await redisCommands(redis.url);
      const begin = performance.now();
      const ids: string[] = [];
      for (let index = 0; index < options.jobs; index += 1) {
        const submitted = (await dispatcher.run('fleet.submit', { command: 'replay', input: JSON.stringify(input), redis: redis.url })) as { job: string };
        ids.push(submitted.job);
      }
      const outcomes = [];
      for (const id of ids) outcomes.push(await dispatcher.run('fleet.wait', { job: id, redis: redis.url }, { signal: options.signal }) as { state: string });
      const seconds = (performance.now() - begin) / 1000;
      const commands = (await redisCommands(redis.url)) - commandsBefore;
      const memory = children.map((child) => peakRss(child.pid ?? 0));
      for (const child of children) child.kill('SIGTERM');
      runs.push({
        workers: count,
        seconds: Number(seconds.toFixed(2)),
        jobsPerMinute: Number(((options.jobs / seconds) * 60).toFixed(2)),
        speedupOverSequential: Number((sequentialSeconds / seconds).toFixed(2)),
        completed: outcomes.filter((outcome) => outcome.state === 'completed').length,
        redisCommandsPerJob: Number((commands / options.jobs).toFixed(1)),
        /** The worker process itself; each job attempt runs in its own process beside it. */
        workerPeakRssMb: Number(Math.max(0, ...memory).toFixed(1)),
      });
    }
    return {
      benchmark: 'fleet' as const,
      cpus: (await import('node:os')).cpus().length,
      jobs: options.jobs,
      job: 'web replay of a 3-step skill in Chromium (fixture page), each attempt in its own Xvfb, HOME and library copy',
      sequential: { seconds: Number(sequentialSeconds.toFixed(2)), jobsPerMinute: Number(((options.jobs / sequentialSeconds) * 60).toFixed(2)) },
      runs,
    };
  } finally {
    await site.close();
    await redis.dispose();
    if (previousHome === undefined) delete process.env.SKILLFRAME_HOME;
    else process.env.SKILLFRAME_HOME = previousHome;
    rmSync(home, { recursive: true, force: true });
  }
}
