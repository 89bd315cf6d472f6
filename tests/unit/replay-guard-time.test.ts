import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { replaySkill } from '../../engine/computer/replay/replay.ts';
import type { Point } from '../../engine/computer/replay/surface.ts';
import type { RgbaImage } from '../../native/image.ts';
import { createOcr, type Ocr } from '../../perception/ocr.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { TrajectoryWriter } from '../../skills-mm/trajectory/store.ts';
import { FakeCalculator } from '../support/fake-calculator.ts';

// Engine overhead must say what it counts. On X11 each click first checks that no other program's
// window covers the point and each key that the replay's window has the focus (a query of the
// window manager per input): that is the engine's time, not the input's, and is reported as the
// step's `guardMs` and counted in `engineMs`.

let work: string;
let ocr: Ocr;
let skillDirectory: string;
const png = async (image: RgbaImage) => sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } }).png().toBuffer();

/** A calculator whose safety check before each click takes 120 ms (a loaded machine's window queries). */
class CheckedCalculator extends FakeCalculator {
  private checked = 0;
  guardMs(): number {
    return this.checked;
  }
  override async click(point: Point): Promise<void> {
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 120));
    this.checked += Date.now() - started;
    await super.click(point);
  }
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'sf-guard-time-'));
  ocr = await createOcr();
  const calculator = new FakeCalculator();
  const window = { id: '4194307', title: 'Calculator', className: 'Galculator', geometry: { x: 0, y: 0, width: 320, height: 240 } };
  const directory = join(work, 'trajectory');
  const writer = TrajectoryWriter.create(directory, { version: 1, id: 'guard-time', kind: 'x11', app: { name: 'galculator', command: 'galculator', window }, screen: { width: 320, height: 240 }, started: new Date().toISOString(), mode: 'script' });
  let frame = writer.writeFrame('frame-000.png', await png(await calculator.capture()));
  writer.updateMeta({ startFrame: frame });
  for (const [index, point] of [{ x: 45, y: 100 }, { x: 105, y: 100 }].entries()) {
    await calculator.click(point);
    const next = writer.writeFrame(`frame-00${index + 1}.png`, await png(await calculator.capture()));
    writer.append({ kind: 'click', at: Date.now(), button: 'left', pointer: point, pointerInWindow: point, window, frames: { before: frame, after: next }, source: 'hook' });
    frame = next;
  }
  writer.close();
  skillDirectory = (await buildSkill({ trajectoryDir: directory, outDir: join(work, 'skill'), ocr })).dir;
});

after(async () => {
  await ocr?.dispose();
  rmSync(work, { recursive: true, force: true });
});

test('the safety checks before an input are engine time (guardMs), not the input\'s', async () => {
  const calculator = new CheckedCalculator();
  const report = await replaySkill({ skillDirectory, surface: calculator, confirm: 'auto', autoApproveTier: 'robot' });
  assert.equal(report.ok, true, JSON.stringify(report.error));
  assert.deepEqual(calculator.clicks, ['7', '8']);
  for (const step of report.steps) {
    const phases = step.phases!;
    assert.ok(phases.guardMs >= 115, `guardMs ${phases.guardMs}`);
    assert.ok(phases.actMs < phases.guardMs, `the input itself (${phases.actMs} ms) is apart from the checks (${phases.guardMs} ms)`);
    assert.equal(step.engineMs, phases.captureMs + phases.groundMs + phases.armMs + phases.guardMs + phases.checkMs);
  }
});
