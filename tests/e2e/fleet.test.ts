import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { serveFixtures } from '../../testkit/fixtures/web/server.ts';
import { startRedis, type RedisServer } from '../../testkit/redis.ts';
import { createDispatcher } from '../../host/create.ts';
import { binPath, runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

// A real redis-server, three real `skillframe worker` processes, 30 mixed jobs (web replays in
// Chromium, a library-wide verify that fans out, short explorations), and one worker killed with
// kill -9 while it runs a job. Judged from Redis and the evidence folders, not from the workers.

const home = temporaryHome();
const results = join(home.path, 'results');
let redis: RedisServer;
let site: Awaited<ReturnType<typeof serveFixtures>>;
const workers: ChildProcess[] = [];

/** The same dispatcher the CLI uses, in-process: polling through a new process each time would load the machine. */
const dispatcher = createDispatcher();
async function call<T>(name: string, input: object): Promise<T> {
  return (await dispatcher.run(name, input)) as T;
}

async function cli(args: string[], timeoutMs = 120_000) {
  const result = await runCli([...args, '--json'], { env: home.env, timeoutMs });
  return { ...result, value: result.stdout.trim() ? JSON.parse(result.stdout) : undefined };
}

function startWorker(name: string): ChildProcess {
  const child = spawn(process.execPath, [binPath, 'worker', '--redis', redis.url, '--results', results, '--name', name], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', () => undefined);
  workers.push(child);
  return child;
}

before(async () => {
  redis = await startRedis();
  site = await serveFixtures();
  // Two skills in the shared library, recorded and built through the CLI as a user would.
  for (const [name, script] of [
    ['create-project', [{ action: 'click', selector: '#new-project' }, { action: 'click', selector: '#new-name' }, { action: 'type', text: 'Zeus' }, { action: 'click', selector: '#create-project' }]],
    ['open-new-project', [{ action: 'click', selector: '#new-project' }]],
  ] as const) {
    const scriptFile = join(home.path, `${name}.json`);
    writeFileSync(scriptFile, JSON.stringify(script));
    const recorded = await cli(['record', '--url', `${site.url}dialog.html`, '--out', join(home.path, `${name}-recording`), '--script', scriptFile], 180_000);
    assert.equal(recorded.code, 0, recorded.stderr);
    const built = await cli(['build', join(home.path, `${name}-recording`), '--out', join(home.path, name)], 180_000);
    assert.equal(built.code, 0, built.stderr);
    const added = await cli(['library', 'add', join(home.path, name)]);
    assert.equal(added.code, 0, added.stderr);
  }
  assert.equal((await cli(['settings', 'set', JSON.stringify({ permissions: { autoApproveTier: 'input' } })])).code, 0);
});

after(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await site?.close();
  await redis?.dispose();
  home.dispose();
});

test('submit refuses what may not run on a fleet, and paths instead of library names', async () => {
  const ping = await cli(['fleet', 'submit', 'ping', '--redis', redis.url]);
  assert.equal(ping.code, 3);
  assert.match(ping.value.error.message, /may not run on a fleet/);
  const path = await cli(['fleet', 'submit', 'replay', '--input', JSON.stringify({ skill: '/etc/passwd' }), '--redis', redis.url]);
  assert.equal(path.code, 3);
  const out = await cli(['fleet', 'submit', 'explore', '--input', JSON.stringify({ url: site.url, budget: 3, out: '/tmp/x' }), '--redis', redis.url]);
  assert.equal(out.code, 3);
  assert.match(out.value.error.message, /input\.input\.out/);
  const unreachable = await cli(['fleet', 'status', '--redis', 'redis://127.0.0.1:1']);
  assert.equal(unreachable.code, 7);
});

test('three workers, 30 mixed jobs, one worker killed with -9 mid-job: every job completes exactly once with its evidence', { timeout: 900_000 }, async () => {
  const ids: { id: string; command: string }[] = [];
  const submit = async (command: string, input: object) => {
    const submitted = await call<{ job: string }>('fleet.submit', { command, input: JSON.stringify(input), redis: redis.url, attempts: 3 });
    ids.push({ id: submitted.job, command });
  };
  for (let index = 0; index < 27; index += 1) await submit('replay', { skill: index % 3 === 0 ? 'create-project' : 'open-new-project', url: `${site.url}dialog.html`, confirm: 'auto' });
  await submit('library.verify', { url: `${site.url}dialog.html` });
  await submit('explore', { url: `${site.url}dialog.html`, budget: 4 });
  await submit('explore', { url: `${site.url}menu.html`, budget: 4 });
  assert.equal(ids.length, 30);

  const doomed = startWorker('doomed');
  startWorker('steady-1');
  startWorker('steady-2');

  // Kill the first worker as soon as it holds a running job.
  let victim: string | undefined;
  for (let tries = 0; tries < 600 && !victim; tries += 1) {
    const status = await call<{ jobs: { state: string }[] }>('fleet.status', { redis: redis.url, limit: 100 });
    const running = status.jobs.find((job) => job.state === 'active');
    if (running) {
      const { Queue } = await import('bullmq');
      const queue = new Queue('skillframe', { connection: { url: redis.url } as never });
      for (const job of await queue.getJobs(['active'])) if (job.processedBy === 'doomed') victim = String(job.id);
      await queue.close();
    }
    if (!victim) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.ok(victim, 'the doomed worker took a job');
  // Killed mid-job means after the attempt began: under load the job can be active for a moment
  // before the worker has made its evidence folder (seen once), and the test claims that folder.
  for (let tries = 0; tries < 240 && !(existsSync(join(results, victim)) && readdirSync(join(results, victim)).length); tries += 1) await new Promise((resolve) => setTimeout(resolve, 250));
  doomed.kill('SIGKILL');

  // Wait for the queue to drain (the stalled job moves to another worker).
  let final: { jobs: { id: string; state: string; attempts: number; evidence?: string; result?: unknown; command: string }[]; counts: Record<string, number> } | undefined;
  for (let tries = 0; tries < 1700; tries += 1) {
    final = await call<NonNullable<typeof final>>('fleet.status', { redis: redis.url, limit: 200 });
    const open = ['waiting', 'active', 'delayed', 'waiting-children', 'prioritized'].reduce((sum, key) => sum + (final!.counts[key] ?? 0), 0);
    if (open === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.ok(final);
  assert.equal(final.counts.failed ?? 0, 0, JSON.stringify(final.jobs.filter((job) => job.state === 'failed')));
  const byId = new Map(final.jobs.map((job) => [job.id, job]));
  for (const { id, command } of ids) {
    const job = byId.get(id);
    assert.equal(job?.state, 'completed', `job ${id} (${command}) completed`);
    assert.ok(job.evidence && existsSync(join(job.evidence, 'reply.json')), `job ${id} has evidence`);
    // Exactly one attempt of each job produced a successful reply: a result is recorded once.
    const attempts = readdirSync(join(results, id));
    const replies = attempts.filter((attempt) => existsSync(join(results, id, attempt, 'reply.json')) && JSON.parse(readFileSync(join(results, id, attempt, 'reply.json'), 'utf8')).ok);
    assert.equal(replies.length, 1, `job ${id}: one successful attempt (${attempts.join(',')})`);
    if (command === 'replay') assert.ok(existsSync(join(job.evidence, 'screen.png')), `job ${id} has a screenshot`);
    // The listing says which attempt answered and what it left (seen once under load: no graph).
    if (command === 'explore') assert.ok(existsSync(join(job.evidence, 'explore', 'graph.json')), `job ${id} has its graph: ${job.evidence} holds ${JSON.stringify(readdirSync(job.evidence, { recursive: true }))}, reply ${readFileSync(join(job.evidence, 'reply.json'), 'utf8').slice(0, 600)}`);
    if (command === 'replay') assert.equal((job.result as { ok: boolean }).ok, true, `replay ${id} succeeded`);
  }
  // The job the dead worker held was retried on a fresh attempt.
  assert.ok(byId.get(victim)!.attempts >= 2, `job ${victim} was retried after the kill`);
  assert.ok(readdirSync(join(results, victim)).length >= 2, 'the dead attempt and the retry each have their own evidence folder');
  // The library-wide verify fanned out one child per skill and folded their marks into the library.
  const health = JSON.parse(readFileSync(join(home.path, 'skills', 'health.json'), 'utf8'));
  assert.deepEqual(Object.keys(health.skills).sort(), ['create-project', 'open-new-project']);
  assert.ok(Object.values(health.skills).every((mark) => (mark as { source: string }).source.startsWith('fleet job')));
});

test('cancel: a waiting job is removed and a running one is aborted without a retry; stop --fleet cancels the rest', { timeout: 300_000 }, async () => {
  const explore = ['fleet', 'submit', 'explore', '--input', JSON.stringify({ url: `${site.url}menu.html`, budget: 500 }), '--redis', redis.url];
  const long = await cli(explore);
  for (let tries = 0; tries < 600; tries += 1) {
    const status = await call<{ jobs: { state: string }[] }>('fleet.status', { job: long.value.job, redis: redis.url });
    if (status.jobs[0].state === 'active') break;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const cancelled = await cli(['fleet', 'cancel', long.value.job, '--redis', redis.url]);
  assert.deepEqual(cancelled.value.cancelled, [long.value.job]);
  const waited = await cli(['fleet', 'wait', long.value.job, '--redis', redis.url], 120_000);
  assert.equal(waited.value.state, 'failed');
  assert.equal(waited.value.error.code, 'aborted');
  assert.equal(waited.code, 130);
  // The rest are submitted only now: submitted beside the first, they could finish on the other
  // workers while the cancel was under way (seen once under load), leaving nothing for stop to cancel.
  const waiting = await cli(explore);
  const third = await cli(explore);
  const stopped = await cli(['stop', '--fleet', '--redis', redis.url]);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.ok(stopped.value.fleetCancelled.includes(waiting.value.job) || stopped.value.fleetCancelled.includes(third.value.job));
  for (const id of [waiting.value.job, third.value.job]) {
    const status = await cli(['fleet', 'wait', id, '--redis', redis.url], 120_000);
    assert.ok(status.code === 130 || status.code === 5, `job ${id} ended cancelled or was removed (exit ${status.code})`);
  }
});
