import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GroundingInput, TargetStep } from '../../engine/computer/replay/rungs/rung.ts';
import { a11yRung } from '../../engine/computer/replay/rungs/a11y.ts';
import type { PlanFile } from '../../core/schemas/skill.ts';

// bench replay desktop, gnome-calculator (GTK 4, tune): the toolkit's hit test answered nothing
// below the window for the "8", so the recorder kept the window's own accessible (a "frame"
// named "Calculator"). Replay resolved a "Calculator" frame and clicked its centre, beside the
// calculator: 2 wrong actions per condition. A whole window is no control: the a11y rung
// declines it (before asking any tree) and the ladder goes on visually.

const input = (role: string): GroundingInput =>
  ({
    surface: { kind: 'x11' } as GroundingInput['surface'],
    plan: {} as PlanFile,
    step: { id: 3, action: 'click', description: 'Click the "8".', target: { point: { x: 319, y: 442 }, anchors: [], accessible: { version: 1, role, name: 'Calculator', states: ['showing'], path: [{ role, name: 'Calculator', index: 0 }] } } } as unknown as TargetStep,
    frame: { data: new Uint8Array(0), width: 1920, height: 1080 },
    region: [200, 120, 371, 503],
    expected: { x: 319, y: 442 },
    positionTrusted: true,
    scale: { x: 1, y: 1 },
    readLines: async () => [],
    templateImage: async () => undefined,
    threshold: 0.8,
    disabled: new Set(),
  }) as GroundingInput;

test('a recorded accessible that is the app\'s window itself is declined, whatever tree the surface has', async () => {
  for (const role of ['frame', 'window', 'application']) {
    const result = await a11yRung.ground(input(role));
    assert.equal(typeof result, 'string', JSON.stringify(result));
    assert.match(result as string, new RegExp(`${role} "Calculator" itself`));
  }
});
