import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import { createOcr, type Ocr } from '../../perception/ocr.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { repoRoot } from '../support/cli.ts';
import { FakeCalculator } from '../support/fake-calculator.ts';

// The grounding ladder against a drawn calculator: fast, deterministic, with ground truth. The same
// ladder runs against real galculator and Chromium in tests/e2e/replay-*.test.ts.

let work: string;
let skillDirectory: string;
let ocr: Ocr;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'sf-ladder-'));
  ocr = await createOcr();
  const built = await buildSkill({ trajectoryDir: join(repoRoot, 'testkit/fixtures/trajectories/calculator'), outDir: join(work, 'calculator-skill'), ocr });
  skillDirectory = built.dir;
});

after(async () => {
  await ocr?.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** What the recording clicked, in order: ground truth for "wrong actions". */
const intended = ['7', '+', '2', '=', 'Clear'];

function assertNoWrongClick(calculator: FakeCalculator) {
  assert.deepEqual(calculator.clicks, intended.slice(0, calculator.clicks.length), `clicks: ${JSON.stringify(calculator.clicks)}`);
}

const replay = (surface: FakeCalculator, extra: Partial<Parameters<typeof replaySkill>[0]> = {}) =>
  replaySkill({ skillDirectory, surface, confirm: 'auto', autoApproveTier: 'robot', ...extra });

test('unchanged screen: every step done on the first rung, right answer, no wrong click', async () => {
  const calculator = new FakeCalculator();
  const report = await replay(calculator);
  assert.equal(report.ok, true, JSON.stringify(report, null, 1));
  assert.deepEqual(calculator.clicks, intended);
  assert.equal(calculator.display, '0');
  const clickSteps = report.steps.filter((step) => step.action === 'click');
  assert.ok(clickSteps.every((step) => step.tier === 'window' || step.tier === 'template'), JSON.stringify(clickSteps));
});

test('a tier nobody approved: refused before any click, and the refusal says how to allow it', async () => {
  const calculator = new FakeCalculator();
  const report = await replaySkill({ skillDirectory, surface: calculator, confirm: 'never', autoApproveTier: 'read' });
  assert.equal(report.error?.code, 'refused');
  assert.match(report.error?.message ?? '', /--confirm auto/);
  assert.match(report.error?.message ?? '', /skillframe settings set '\{"permissions":\{"autoApproveTier":"input"\}\}'/);
  assert.deepEqual(calculator.clicks, []);
});

test('window moved on a bigger screen: grounded through the window, same result', async () => {
  const calculator = new FakeCalculator({ screen: { width: 800, height: 600 }, offset: { x: 310, y: 170 } });
  const report = await replay(calculator);
  assert.equal(report.ok, true, JSON.stringify(report.steps, null, 1));
  assert.deepEqual(calculator.clicks, intended);
});

test('window scaled to 1.2×: the template rung rescales, no wrong click', async () => {
  const calculator = new FakeCalculator({ screen: { width: 800, height: 600 }, offset: { x: 60, y: 40 }, scale: 1.2 });
  const report = await replay(calculator);
  assert.equal(report.ok, true, JSON.stringify(report.steps, null, 1));
  assert.deepEqual(calculator.clicks, intended);
});

test('dark theme: templates no longer match, OCR finds the labels', async () => {
  const calculator = new FakeCalculator({ screen: { width: 640, height: 480 }, offset: { x: 100, y: 100 }, dark: true });
  const report = await replay(calculator);
  assert.deepEqual(calculator.clicks, intended);
  assert.equal(report.ok, true, JSON.stringify(report.steps, null, 1));
  assert.ok(report.steps.some((step) => step.tier === 'ocr' || step.tier === 'anchor'), JSON.stringify(report.steps));
});

test('a look-alike decoy: replay refuses to guess and stops as unsafe instead of clicking', async () => {
  const calculator = new FakeCalculator({ screen: { width: 640, height: 480 }, offset: { x: 0, y: 0 }, decoy: true, dark: true });
  const report = await replay(calculator, { disabledTiers: ['window'] });
  // Whatever it did, it never clicked the decoy or empty space: either it told them apart by
  // position and finished, or it stopped as unsafe.
  assertNoWrongClick(calculator);
  if (report.ok) assert.deepEqual(calculator.clicks, intended);
  else {
    assert.equal(report.error?.code, 'unsafe');
    const aborted = report.steps.find((step) => step.status === 'aborted');
    assert.ok(aborted?.reason);
  }
});

test('dry run grounds without acting', async () => {
  const calculator = new FakeCalculator();
  const report = await replay(calculator, { dryRun: true });
  assert.deepEqual(calculator.clicks, []);
  assert.equal(report.steps[0].status, 'skipped');
  assert.ok(report.steps[0].tier);
});

test('the kill switch stops a replay promptly with aborted', async () => {
  const calculator = new FakeCalculator();
  const controller = new AbortController();
  const pending = replay(calculator, { signal: controller.signal, onStep: (step) => {
    if (step.index === 2 && step.status === 'done') {
      setImmediate(() => controller.abort());
    }
  } });
  const stoppedAt = await new Promise<number>((resolve) => {
    const timer = setInterval(() => {
      if (controller.signal.aborted) {
        clearInterval(timer);
        resolve(Date.now());
      }
    }, 1);
  });
  const report = await pending;
  assert.equal(report.ok, false);
  assert.equal(report.error?.code, 'aborted');
  assert.ok(Date.now() - stoppedAt < 1000);
  assert.ok(calculator.clicks.length <= 3);
  assertNoWrongClick(calculator);
});

test('the model rung: asked only when the others fail, its box is used, a broken answer clicks nothing', async () => {
  const { createScriptedProvider } = await import('../../perception/models/scripted.ts');
  const noOtherRung = { disabledTiers: ['a11y', 'window', 'template', 'ocr', 'anchor'] as ('a11y' | 'window' | 'template' | 'ocr' | 'anchor')[] };
  // The drawn buttons in window coordinates (the model sees the window): 7, +, 2, =, Clear.
  const boxes: Record<string, [number, number, number, number]> = { '7': [20, 80, 50, 40], '+': [140, 80, 50, 40], '2': [20, 140, 50, 40], '=': [140, 140, 50, 40], Clear: [200, 80, 50, 40] };
  const answers = intended.map((label) => JSON.stringify({ found: true, box: boxes[label], confidence: 0.95, reason: `the ${label} key` }));
  const model = createScriptedProvider(answers);
  const calculator = new FakeCalculator();
  const report = await replay(calculator, { ...noOtherRung, model });
  assert.equal(report.ok, true, JSON.stringify(report.steps, null, 1));
  assert.deepEqual(calculator.clicks, intended);
  assert.ok(report.steps.filter((step) => step.action === 'click').every((step) => step.tier === 'vlm' && (step.confidence ?? 1) <= 0.9));
  assert.equal(model.requests.length, intended.length);

  const broken = createScriptedProvider(['{"found": true, "box": "somewhere"}']);
  const second = new FakeCalculator();
  const refused = await replay(second, { ...noOtherRung, model: broken });
  assert.equal(refused.ok, false);
  assert.equal(refused.error?.code, 'unsafe');
  assert.deepEqual(second.clicks, []);
});

test('repair: a step rebuilt from a new recording replaces the old one, passes the audit, and replays', async () => {
  const { cpSync } = await import('node:fs');
  const { repairStep } = await import('../../engine/computer/replay/upkeep.ts');
  const { loadForReplay } = await import('../../engine/computer/replay/replay.ts');
  const copy = join(work, 'repaired-skill');
  cpSync(skillDirectory, copy, { recursive: true });
  const result = await repairStep({ skillDirectory: copy, step: 2, recording: join(repoRoot, 'testkit/fixtures/trajectories/calculator') });
  assert.equal(result.step, 2);
  assert.ok(result.images.every((file) => file.startsWith('Images/repair-step-2-')));
  const plan = loadForReplay(copy).plan;
  assert.equal(plan.steps[1].id, 2);
  assert.equal((plan.steps[1] as { target?: { template?: { file: string } } }).target?.template?.file, result.images[0]);
  const calculator = new FakeCalculator();
  // The recording's first click (the "7") now stands in step 2, so replay presses 7, 7, 2; at "="
  // verification sees 772 instead of the recorded 9 and stops: a changed outcome is never waved through.
  const report = await replaySkill({ skillDirectory: copy, surface: calculator, confirm: 'auto', autoApproveTier: 'robot' });
  assert.deepEqual(calculator.clicks.slice(0, 3), ['7', '7', '2']);
  assert.equal(report.ok, false);
  assert.equal(report.error?.code, 'unsafe');
  assert.equal(report.steps.find((step) => step.status === 'aborted')?.index, 4);
  await assert.rejects(repairStep({ skillDirectory: copy, step: 99, recording: join(repoRoot, 'testkit/fixtures/trajectories/calculator') }), /no step 99/);
});

// Dogfood, gnome-characters (GTK 4): a search lists its results a moment after the typing, later
// on a loaded machine. Replay looked once, before the result was drawn, and stopped as unsafe.
// While the window changes, the step's target is looked for again (at most a few seconds).
// Every rung is on: the anchor rung once acted where the neighbours' text said the key was, drawn or
// not (its "=" was clicked before it was drawn); it now refuses a spot with nothing drawn.
test('a key the app draws late is waited for and clicked; one that never comes stops the replay unsafe', async () => {
  const everyRung = {};
  const late = new FakeCalculator({ slowKey: { label: '=', afterMs: 1500 } });
  const report = await replay(late, everyRung);
  assert.equal(report.ok, true, JSON.stringify(report.steps, null, 1));
  assert.deepEqual(late.clicks, intended);
  const equals = report.steps.find((step) => step.description?.includes('"="'));
  assert.ok(equals && equals.phases && equals.phases.settleMs >= 500, JSON.stringify(equals));

  const never = new FakeCalculator({ slowKey: { label: '=', afterMs: 60_000 } });
  const started = Date.now();
  const stopped = await replay(never, everyRung);
  assert.equal(stopped.error?.code, 'unsafe', JSON.stringify(stopped.steps, null, 1));
  assertNoWrongClick(never);
  assert.deepEqual(never.clicks, ['7', '+', '2']);
  assert.ok(Date.now() - started < 20_000);
});
