import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { ExploreAction } from '../../core/commands/explore.ts';
import type { ExploreDriver } from '../../engine/computer/explore/explorer.ts';
import { exportSkill } from '../../engine/computer/explore/export.ts';
import { runExploration } from '../../engine/computer/explore/run.ts';
import { X11Driver } from '../../engine/computer/explore/x11-driver.ts';
import type { replaySkill } from '../../engine/computer/replay/replay.ts';
import { runProgram } from '../../native/process/run.ts';
import { X11ViewProbe } from '../../testkit/x11-views.ts';
import { startAccessibleDisplay, type AccessibleDisplay } from '../support/desktop.ts';

// A real Debian app (galculator) explored through its accessibility tree, a path exported as a
// skill, and the skill replayed by the replay engine on a fresh instance. The judge is the app
// itself, read by a client apart from the product's (python3-pyatspi, testkit/x11-views.ts): the
// windows it shows, its open menus and tabs and the controls they offer.

let desktop: AccessibleDisplay;
let probe: X11ViewProbe;
let work: string;

before(async () => {
  desktop = await startAccessibleDisplay();
  probe = X11ViewProbe.start(desktop.bus.env);
  work = mkdtempSync(join(tmpdir(), 'sf-explore-x11-replay-'));
});

after(async () => {
  probe?.dispose();
  await desktop?.dispose();
  rmSync(work, { recursive: true, force: true });
});

/**
 * galculator under the X11 explorer, each state it observes paired with the view python3-pyatspi
 * reads from the app; `offered` narrows the candidates the explorer sees.
 */
function probedGalculator(offered: (action: ExploreAction) => boolean = () => true): { driver: ExploreDriver; views: { signature: string; view: string }[] } {
  const inner = new X11Driver({ command: 'galculator', env: desktop.bus.env, accessibility: desktop.client });
  const views: { signature: string; view: string }[] = [];
  const driver: ExploreDriver = {
    kind: inner.kind,
    label: inner.label,
    pictureTolerance: inner.pictureTolerance,
    reset: (signal) => inner.reset(signal),
    perform: (action, signal) => inner.perform(action, signal),
    dispose: () => inner.dispose(),
    observe: async (signal) => {
      const observation = await inner.observe(signal);
      views.push({ signature: observation.signature, view: await probe.view(inner.appPid as number) });
      return { ...observation, candidates: observation.candidates.filter(offered) };
    },
  };
  return { driver, views };
}

/**
 * Replays a skill on a fresh galculator with its own HOME (it keeps its mode in its config), in a
 * process of its own (testkit/replay-child.ts: robotjs's X connection must not outlive the display
 * in this one); the app stays open until the judge has read its view, then goes.
 */
async function replayOnFreshGalculator(skill: string, homeName: string): Promise<{ report: Awaited<ReturnType<typeof replaySkill>>; shown: string }> {
  const home = join(work, homeName);
  mkdirSync(home, { recursive: true });
  const env = { ...desktop.bus.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
  const child = await runProgram(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../testkit/replay-child.ts', import.meta.url)), JSON.stringify({ skill, app: 'galculator' })], { env, timeoutMs: 120_000 });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  assert.ok(line.startsWith('{'), `replay-child: ${child.stdout.slice(-400)} ${child.stderr.slice(-800)}`);
  const { report, windowId } = JSON.parse(line) as { report: Awaited<ReturnType<typeof replaySkill>>; windowId: string };
  try {
    const pid = Number((await runProgram('xdotool', ['getwindowpid', windowId], { env, timeoutMs: 5_000 })).stdout.trim());
    return { report, shown: await probe.view(pid) };
  } finally {
    await runProgram('xdotool', ['windowkill', windowId], { env, timeoutMs: 5_000 }).catch(() => undefined);
  }
}

test('galculator: explored through AT-SPI, a path exported, replayed on a fresh instance, the app shows the explored view', { timeout: 300_000 }, async () => {
  const { driver, views } = probedGalculator();
  const out = join(work, 'galculator');
  let summary;
  try {
    summary = await runExploration({ driver, strategy: 'dfs', budget: 10, seed: 1, outDir: out, skills: 1 });
  } finally {
    await driver.dispose();
  }
  assert.ok(summary.graph.nodes.length >= 2, `only ${summary.graph.nodes.length} states`);
  const skill = summary.skills.find((entry) => entry.format === 'mmskill' && entry.audited);
  assert.ok(skill, `no audited skill: ${JSON.stringify(summary.skills)} rejected ${summary.rejectedSkills.join(', ')}`);
  const node = summary.graph.nodes.find((entry) => entry.id === skill.node);
  assert.ok(node);
  const expected = views.find((entry) => entry.signature === node.signature)?.view;
  assert.ok(expected, 'the explored state was never probed');
  assert.notEqual(expected, views[0].view, 'the skill must lead somewhere other than the start');

  const { report, shown } = await replayOnFreshGalculator(skill.path, 'replay-home');
  assert.ok(report.ok, `replay failed: ${JSON.stringify(report.error)} ${JSON.stringify(report.steps.map((step) => [step.tier, step.reason]))}`);
  assert.ok(report.steps.some((step) => step.tier === 'a11y'), `no step grounded through the accessibility tree: ${JSON.stringify(report.steps.map((step) => step.tier))}`);
  // The view the explored state showed (a menu open, another mode's keys), read the same way from this instance.
  assert.equal(shown, expected);
});

test('galculator: a keyboard shortcut (F10, the menu bar) explored, exported as a key step, replayed on a fresh instance, the app shows the menu', { timeout: 300_000 }, async () => {
  // The explorer as it is, offered only the app's shortcuts: the primitive under test, not a click, makes the state.
  const { driver, views } = probedGalculator((action) => action.kind === 'shortcut');
  const out = join(work, 'galculator-f10');
  let summary;
  try {
    summary = await runExploration({ driver, strategy: 'dfs', budget: 2, seed: 1, outDir: out, skills: 0 });
  } finally {
    await driver.dispose();
  }
  const { graph } = summary;
  const edge = graph.edges.find((entry) => entry.from === graph.root && entry.action.kind === 'shortcut' && entry.action.keys === 'F10' && entry.result === 'new');
  assert.ok(edge?.to, `F10 showed nothing new: ${JSON.stringify(graph.edges.map((entry) => [entry.action.keys, entry.result]))}`);
  const node = graph.nodes.find((entry) => entry.id === edge.to)!;
  const expected = views.find((entry) => entry.signature === node.signature)?.view;
  assert.ok(expected && expected !== views[0].view, 'F10 showed no other view');
  const skill = await exportSkill(graph, out, node, [edge]);
  assert.equal(skill.format, 'mmskill', skill.detail);
  const plan = JSON.parse(readFileSync(join(skill.path, 'plan.json'), 'utf8')) as { steps: { action: string; key?: string }[] };
  assert.deepEqual(plan.steps.map((step) => [step.action, step.key]), [['press', 'f10']]);
  const { report, shown } = await replayOnFreshGalculator(skill.path, 'replay-home-f10');
  assert.ok(report.ok, `replay failed: ${JSON.stringify(report.error)} ${JSON.stringify(report.steps.map((step) => [step.status, step.reason]))}`);
  // The world: the view python3-pyatspi reads from the fresh instance is the one F10 showed while exploring.
  assert.equal(shown, expected);
});
