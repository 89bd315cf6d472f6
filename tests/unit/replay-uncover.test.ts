import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SkillframeError } from '../../core/errors.ts';
import { rectContains } from '../../core/geometry.ts';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import type { Point } from '../../engine/computer/replay/surface.ts';
import { createOcr, type Ocr } from '../../perception/ocr.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { repoRoot } from '../support/cli.ts';
import { FakeCalculator } from '../support/fake-calculator.ts';

// bench replay desktop, "covered": another program's window kept on top over the calculator's
// "=" — every click there was refused as unsafe, so the task aborted (galculator 0/4). Replay now
// moves the app's window clear of it before grounding a step whose target lies under it, grounds
// afresh where the window went, and the click lands on "=" itself.

let work: string;
let skillDirectory: string;
let ocr: Ocr;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'sf-uncover-'));
  ocr = await createOcr();
  skillDirectory = (await buildSkill({ trajectoryDir: join(repoRoot, 'testkit/fixtures/trajectories/calculator'), outDir: join(work, 'calculator-skill'), ocr })).dir;
});

after(async () => {
  await ocr?.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** The drawn calculator under a note kept on top over its "=" (screen coordinates), with the X11 surface's rules. */
class CoveredCalculator extends FakeCalculator {
  readonly refused: Point[] = [];
  constructor(
    private readonly placement: { screen: { width: number; height: number }; offset: Point; relocated?: { label: string; x: number; y: number } },
    private readonly cover: { x: number; y: number; width: number; height: number },
    private readonly movable: boolean,
  ) {
    super(placement);
  }
  override async click(point: Point): Promise<void> {
    if (rectContains(this.cover, point)) {
      this.refused.push(point);
      throw new SkillframeError('unsafe', `the click at (${point.x},${point.y}) would land on another program's window, "Note", stacked over the app`);
    }
    return super.click(point);
  }
  async uncover(point: Point): Promise<string | undefined> {
    if (!this.movable || !rectContains(this.cover, point)) return undefined;
    const from = { ...this.placement.offset };
    this.placement.offset = { x: 450, y: 300 };
    return `"Note" covered the point: moved the app's window from (${from.x},${from.y}) to (450,300)`;
  }
}

const intended = ['7', '+', '2', '=', 'Clear'];

test('the target under another program\'s window: the app is moved clear, grounded afresh, and the click lands on its target', async () => {
  // "=" is at (140..190, 140..180) in the window; the window starts at (100, 100).
  const calculator = new CoveredCalculator({ screen: { width: 800, height: 600 }, offset: { x: 100, y: 100 } }, { x: 220, y: 220, width: 200, height: 150 }, true);
  const report = await replaySkill({ skillDirectory, surface: calculator, confirm: 'auto', autoApproveTier: 'robot' });
  assert.equal(report.ok, true, JSON.stringify(report.steps, null, 1));
  assert.deepEqual(calculator.clicks, intended);
  assert.deepEqual(calculator.refused, []);
  const moved = report.steps.filter((step) => step.uncovered);
  assert.equal(moved.length, 1, JSON.stringify(report.steps));
  assert.match(moved[0].uncovered!, /"Note"/);
});

test('nowhere to move the window: the click under the cover is refused as before, nothing else clicked', async () => {
  const calculator = new CoveredCalculator({ screen: { width: 800, height: 600 }, offset: { x: 100, y: 100 } }, { x: 220, y: 220, width: 200, height: 150 }, false);
  const report = await replaySkill({ skillDirectory, surface: calculator, confirm: 'auto', autoApproveTier: 'robot' });
  assert.equal(report.ok, false);
  assert.equal(report.error?.code, 'unsafe');
  assert.deepEqual(calculator.clicks, intended.slice(0, calculator.clicks.length));
  assert.ok(calculator.refused.length >= 1);
});

test('the target found elsewhere than the recording put it, under another program\'s window: moved clear too, not refused', async () => {
  // "=" moved right (200..250 in the window, where the recording had 140..190): the window-mapped
  // point (265,260) is clear of the note, the "=" the rungs find (≈325,260) is under it. The app
  // was moved clear only for a mapped point under a cover, so this click was refused (galculator
  // covered, tune: clicks the accessibility tree put under the cover).
  const calculator = new CoveredCalculator({ screen: { width: 800, height: 600 }, offset: { x: 100, y: 100 }, relocated: { label: '=', x: 200, y: 140 } }, { x: 300, y: 220, width: 150, height: 120 }, true);
  const report = await replaySkill({ skillDirectory, surface: calculator, confirm: 'auto', autoApproveTier: 'robot' });
  assert.deepEqual(calculator.refused, [], JSON.stringify(report.steps, null, 1));
  assert.equal(report.ok, true, JSON.stringify(report.steps, null, 1));
  assert.deepEqual(calculator.clicks, intended);
  const moved = report.steps.filter((step) => step.uncovered);
  assert.equal(moved.length, 1, JSON.stringify(report.steps));
});
