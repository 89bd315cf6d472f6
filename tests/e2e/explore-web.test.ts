import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { validate as validateAgentSkill } from 'skills-ref';
import { fileURLToPath } from 'node:url';
import { ExploreGraph } from '../../core/commands/explore.ts';
import { replayReaches } from '../../engine/computer/explore/export.ts';
import { serveFolder } from '../../testkit/static-server.ts';
import { WebDriver } from '../../engine/computer/explore/web-driver.ts';
import { auditSource } from '../../skills-mm/audit.ts';
import { binPath, runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

const fixtures = fileURLToPath(new URL('../../testkit/fixtures/explore/', import.meta.url));
let server: { origin: string; dispose(): Promise<void> };
let home: ReturnType<typeof temporaryHome>;
let work: string;

before(async () => {
  server = await serveFolder(fixtures);
  home = temporaryHome();
  work = mkdtempSync(join(tmpdir(), 'sf-explore-e2e-'));
});

after(async () => {
  await server.dispose();
  home.dispose();
  rmSync(work, { recursive: true, force: true });
});

const readGraph = (out: string) => ExploreGraph.parse(JSON.parse(readFileSync(join(out, 'graph.json'), 'utf8')));

test('explore a real page in Chromium: verified states, primitives, audited skills that replay on a fresh profile', async () => {
  const out = join(work, 'office');
  const result = await runCli(['explore', '--url', `${server.origin}/office/`, '--budget', '24', '--out', out, '--skills', '1', '--json'], { env: home.env, timeoutMs: 120_000 });
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const summary = JSON.parse(result.stdout);
  assert.ok(summary.states >= 10, `only ${summary.states} states`);
  assert.ok(summary.actionsUsed <= 24);
  const graph = readGraph(out);
  assert.equal(graph.nodes.length, summary.states);
  assert.ok(graph.nodes.every((node) => node.screenshot && existsSync(join(out, node.screenshot))));
  assert.ok(graph.edges.some((edge) => edge.result === 'new'));
  const primitives = JSON.parse(readFileSync(join(out, 'primitives.json'), 'utf8'));
  assert.ok(primitives.primitives.some((entry: { kind: string; changed: number }) => entry.kind === 'click' && entry.changed > 0));
  // The per-app primitive database in SKILLFRAME_HOME got this run's findings.
  const database = readdirSync(join(home.path, 'explore', 'primitives'));
  assert.equal(database.length, 1);
  assert.ok(JSON.parse(readFileSync(join(home.path, 'explore', 'primitives', database[0]), 'utf8')).primitives.length >= 1);

  assert.ok(summary.skills.length >= 1, 'no skill exported');
  const driver = new WebDriver({ url: `${server.origin}/office/` });
  try {
    for (const skill of summary.skills) {
      assert.equal(skill.format, 'mmskill');
      assert.ok(auditSource(skill.path).accepted, `${skill.name} fails the audit`);
      assert.deepEqual(await validateAgentSkill(skill.path), [], `${skill.name} is not a valid Agent Skills folder`);
      const node = graph.nodes.find((entry) => entry.id === skill.node);
      // The path that was exported (a shorter one with predicted navigations, or the verified one), not a path recomputed here.
      const path = skill.edges;
      assert.ok(node && path?.length === skill.steps, JSON.stringify(skill));
      assert.ok(await replayReaches(driver, path, node, new AbortController().signal), `${skill.name} does not replay`);
    }
  } finally {
    await driver.dispose();
  }

  // The UI's "save a path as a skill".
  const deepest = [...graph.nodes].sort((a, b) => b.depth - a.depth)[0];
  const saved = await runCli(['explore', 'save', out, deepest.id, '--name', 'my path', '--json'], { env: home.env });
  if (saved.code === 0) {
    assert.ok(auditSource(JSON.parse(saved.stdout).path).accepted);
    assert.deepEqual(await validateAgentSkill(JSON.parse(saved.stdout).path), []);
  }
  else assert.equal(saved.code, 3, saved.stdout + saved.stderr);
});

test('bad input: a throwing button, a frozen page, an off-site link and an unclosable modal are boundaries; budget holds', async () => {
  const out = join(work, 'trap');
  const result = await runCli(['explore', '--url', `${server.origin}/trap/`, '--budget', '24', '--out', out, '--skills', '0', '--json'], { env: home.env, timeoutMs: 150_000 });
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const graph = readGraph(out);
  assert.ok(graph.actionsUsed <= 24);
  assert.equal(graph.nodes.length, 4, graph.nodes.map((node) => node.title).join(' | '));
  const reasons = new Set(graph.boundaries.map((boundary) => boundary.reason));
  for (const reason of ['offsite', 'hang', 'repeated_failure']) assert.ok(reasons.has(reason as never), `no ${reason} boundary in ${[...reasons]}`);
});

test('Ctrl+C leaves a valid partial graph', async () => {
  const out = join(work, 'interrupted');
  const child = spawn(process.execPath, [binPath, 'explore', '--url', `${server.origin}/office/`, '--budget', '500', '--out', out, '--json'], { env: home.env, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = Date.now();
  while (Date.now() - started < 60_000) {
    if (existsSync(join(out, 'graph.json')) && readGraph(out).nodes.length >= 3) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 130);
  const graph = readGraph(out);
  assert.ok(graph.nodes.length >= 3);
  assert.ok(graph.edges.every((edge) => edge.to === undefined || graph.nodes.some((node) => node.id === edge.to)));
});
