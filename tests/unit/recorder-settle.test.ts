import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RecordingSession } from '../../engine/computer/recorder/session.ts';
import type { Capture } from '../../native/screen/index.ts';
import { buildSkill } from '../../skills-mm/builder.ts';
import { readTrajectory, TrajectoryWriter } from '../../skills-mm/trajectory/store.ts';

// The recording learns how long each step's screen kept changing (its settle time), so replay can
// learn the step's quiet window from it; blinks teach nothing. The app here is a frame source
// whose screen changes when the test says so: no clock decides what is asserted.

const width = 320;
const height = 200;

function screen(paint?: { x: number; y: number; width: number; height: number }): Capture {
  const data = Buffer.alloc(width * height * 4, 255);
  if (paint) {
    for (let row = paint.y; row < paint.y + paint.height; row += 1) {
      for (let column = paint.x; column < paint.x + paint.width; column += 1) data.fill(20, (row * width + column) * 4, (row * width + column) * 4 + 3);
    }
  }
  return { data, width, height };
}

async function record(after: Capture) {
  const directory = mkdtempSync(join(tmpdir(), 'sf-settle-'));
  let current = screen();
  const writer = TrajectoryWriter.create(join(directory, 'recording'), {
    version: 1,
    id: `settle-${Date.now()}`,
    kind: 'x11',
    app: { name: 'app', command: 'app', window: { title: 'App', geometry: { x: 0, y: 0, width, height } } },
    screen: { width, height },
    started: new Date().toISOString(),
    mode: 'script',
    recorder: { name: 'settle-test', version: '1' },
  });
  const session = new RecordingSession(writer, { capture: async () => ({ capture: current, mask: [] }) }, { redactions: [], source: 'hook' });
  await session.start();
  session.observe({ kind: 'click', at: Date.now(), pointer: { x: 40, y: 40 }, button: 'left' });
  // The app reacts to the click; the recording finalizes the step (the session's flush).
  current = after;
  await session.close();
  writer.close();
  return { directory, trajectory: join(directory, 'recording') };
}

test('a step whose screen changed after the action records its settle time, and the built skill expects it', async () => {
  const { directory, trajectory } = await record(screen({ x: 30, y: 30, width: 60, height: 30 }));
  try {
    const [event] = readTrajectory(trajectory).events;
    assert.equal(event.kind, 'click');
    assert.equal(typeof event.settleMs, 'number', JSON.stringify(event));
    assert.ok(event.settleMs! >= 0);
    const built = await buildSkill({ trajectoryDir: trajectory, outDir: join(directory, 'skill'), name: 'settle' });
    const plan = JSON.parse(readFileSync(join(built.dir, 'plan.json'), 'utf8'));
    assert.equal(plan.steps[0].expected.settle_ms, event.settleMs);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('nothing changed, or only a caret blinked: no settle time is recorded (old and new packages alike replay with the default)', async () => {
  for (const after of [screen(), screen({ x: 50, y: 50, width: 1, height: 16 })]) {
    const { directory, trajectory } = await record(after);
    try {
      const [event] = readTrajectory(trajectory).events;
      assert.equal(event.settleMs, undefined, JSON.stringify(event));
      const built = await buildSkill({ trajectoryDir: trajectory, outDir: join(directory, 'skill'), name: 'settle' });
      const plan = JSON.parse(readFileSync(join(built.dir, 'plan.json'), 'utf8'));
      assert.equal(plan.steps[0].expected.settle_ms, undefined);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }
});
