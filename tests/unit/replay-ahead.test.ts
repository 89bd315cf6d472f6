import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prefetchTemplates, templateLoader } from '../../engine/computer/replay/ground.ts';
import type { PlanStep } from '../../core/schemas/skill.ts';
import { encodePng } from '../../native/image.ts';

// Grounding work that does not depend on the live frame is done ahead (issue 19): every step's
// recorded crop starts decoding when the replay starts, so no step waits for its decode.

const target = (file?: string) => ({ point: { x: 1, y: 1 }, anchors: [], ...(file ? { template: { file, box: { x: 0, y: 0, width: 8, height: 8 }, point_in_crop: { x: 4, y: 4 } } } : {}) });

test('every target crop of the plan (a drag\'s drop target too) starts decoding at once, in plan order', () => {
  const steps = [
    { id: 1, action: 'click', target: target('Images/a.png') },
    { id: 2, action: 'type', text: 'hello' },
    { id: 3, action: 'drag', target: target('Images/b.png'), to: target('Images/c.png') },
    { id: 4, action: 'scroll', dx: 0, dy: 3 },
    { id: 5, action: 'click', target: target() },
  ] as unknown as PlanStep[];
  const asked: string[] = [];
  prefetchTemplates(steps, async (file) => {
    asked.push(file);
    return undefined;
  });
  // Synchronously: before the replay's first await, every decode is under way.
  assert.deepEqual(asked, ['Images/a.png', 'Images/b.png', 'Images/c.png']);
});

test('the step later gets the decode that was started ahead (one decode per crop), and a bad crop raises nothing unhandled', async () => {
  const pixels = new Uint8Array(8 * 8 * 4).map((_, index) => (index % 4 === 3 ? 255 : (index * 37) % 256));
  const images = new Map([['Images/a.png', await encodePng({ data: pixels, width: 8, height: 8 })], ['Images/bad.png', Buffer.from('not a png')]]);
  let decodes = 0;
  const loader = templateLoader(images);
  const counted = (file: string) => {
    decodes += 1;
    return loader(file);
  };
  const unhandled: unknown[] = [];
  const listener = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', listener);
  try {
    prefetchTemplates([{ id: 1, action: 'click', target: target('Images/a.png') }, { id: 2, action: 'click', target: target('Images/bad.png') }] as unknown as PlanStep[], counted);
    const ahead = loader('Images/a.png');
    assert.equal(ahead, loader('Images/a.png'), 'the same decode, not a second one');
    assert.equal((await ahead)?.width, 8);
    assert.equal(await loader('Images/bad.png'), undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    process.off('unhandledRejection', listener);
  }
  assert.equal(decodes, 2);
  assert.deepEqual(unhandled, []);
});
