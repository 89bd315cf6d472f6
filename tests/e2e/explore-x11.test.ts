import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ExploreGraph } from '../../core/commands/explore.ts';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';
import { startDisplay, type VirtualDisplay } from '../support/xvfb.ts';

let display: VirtualDisplay;
let home: ReturnType<typeof temporaryHome>;
let work: string;

before(async () => {
  display = await startDisplay({ width: 1280, height: 800 });
  home = temporaryHome();
  work = mkdtempSync(join(tmpdir(), 'sf-explore-x11-'));
});

after(async () => {
  await display.dispose();
  home.dispose();
  rmSync(work, { recursive: true, force: true });
});

test('explore a real X11 app (galculator under Xvfb) with a throwaway HOME', async () => {
  const out = join(work, 'galculator');
  // The exploration's own temporary folder: other e2e files running beside this one make throwaway homes too.
  const temporary = join(work, 'tmp');
  mkdirSync(temporary);
  const throwaway = () => readdirSync(temporary).filter((name) => name.startsWith('sf-explore-home-'));
  const result = await runCli(['explore', '--app', 'galculator', '--budget', '8', '--out', out, '--skills', '1', '--json'], {
    env: { ...home.env, ...display.env, SKILLFRAME_HOME: home.path, TMPDIR: temporary },
    timeoutMs: 120_000,
  });
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const summary = JSON.parse(result.stdout);
  const graph = ExploreGraph.parse(JSON.parse(readFileSync(join(out, 'graph.json'), 'utf8')));
  assert.equal(graph.app.kind, 'x11');
  assert.ok(graph.actionsUsed <= 8);
  assert.ok(graph.nodes.length >= 2, `only ${graph.nodes.length} states`);
  assert.ok(graph.nodes[0].candidates > 5, 'too few candidate actions on the calculator');
  assert.equal(summary.states, graph.nodes.length);
  // Every throwaway HOME is gone once the exploration ends.
  assert.deepEqual(throwaway(), []);
});
