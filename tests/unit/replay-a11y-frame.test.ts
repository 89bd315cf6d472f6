import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groundingInput } from '../support/grounding.ts';
import { a11yRung } from '../../engine/computer/replay/rungs/a11y.ts';

// bench replay desktop, gnome-calculator (GTK 4, tune): the toolkit's hit test answered nothing
// below the window for the "8", so the recorder kept the window's own accessible (a "frame"
// named "Calculator"). Replay resolved a "Calculator" frame and clicked its centre, beside the
// calculator: 2 wrong actions per condition. A whole window is no control: the a11y rung
// declines it (before asking any tree) and the ladder goes on visually.

const input = (role: string) =>
  groundingInput({
    step: { id: 3, action: 'click', description: 'Click the "8".', target: { point: { x: 319, y: 442 }, anchors: [], accessible: { version: 1, role, name: 'Calculator', states: ['showing'], path: [{ role, name: 'Calculator', index: 0 }] } } },
    region: [200, 120, 371, 503],
    expected: { x: 319, y: 442 },
  });

test('a recorded accessible that is the app\'s window itself is declined, whatever tree the surface has', async () => {
  for (const role of ['frame', 'window', 'application']) {
    const result = await a11yRung.ground(input(role));
    assert.equal(typeof result, 'string', JSON.stringify(result));
    assert.match(result as string, new RegExp(`${role} "Calculator" itself`));
  }
});
