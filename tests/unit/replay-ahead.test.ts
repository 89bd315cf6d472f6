import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prefetchTemplates, templateLoader } from '../../engine/computer/replay/ground.ts';
import type { PlanStep } from '../../core/schemas/skill.ts';
import { encodePng } from '../../native/image.ts';
import type { Surface } from '../../engine/computer/replay/surface.ts';
import { titleReader, waitForTitleChange } from '../../engine/computer/replay/title-verify.ts';

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

// The window title decides steps recorded as changing it (a save's "*" going). Where the surface
// hears the title's own change notices, the wait reads them, with no query per look; a surface
// without them is asked, as before.

test('a surface that hears the title is read from its notices, never asked for the window, and the save is seen', async () => {
  let title = '*note.txt - Mousepad';
  let windowAsked = 0;
  let looks = 0;
  const surface = {
    kind: 'x11',
    title: async () => {
      looks += 1;
      return title;
    },
    window: async () => {
      windowAsked += 1;
      return { title, geometry: { x: 0, y: 0, width: 10, height: 10 } };
    },
  } as unknown as Surface;
  setTimeout(() => (title = 'note.txt - Mousepad'), 120);
  const result = await waitForTitleChange(surface, { removed: '*', added: '' }, '*note.txt - Mousepad', { timeoutMs: 5_000 });
  assert.equal(result.met, true, result.how);
  assert.equal(windowAsked, 0);
  assert.ok(looks >= 2);
  assert.equal(await titleReader(surface)?.(), 'note.txt - Mousepad');
});

test('without notices the title is the window\'s, asked; a title that never changes is not met', async () => {
  let windowAsked = 0;
  const surface = {
    kind: 'x11',
    window: async () => {
      windowAsked += 1;
      return { title: '*note.txt - Mousepad', geometry: { x: 0, y: 0, width: 10, height: 10 } };
    },
  } as unknown as Surface;
  assert.equal(await titleReader(surface)?.(), '*note.txt - Mousepad');
  const result = await waitForTitleChange(surface, { removed: '*', added: '' }, '*note.txt - Mousepad', { timeoutMs: 250 });
  assert.equal(result.met, false);
  assert.ok(windowAsked >= 2);
  assert.equal(titleReader({ kind: 'web' } as unknown as Surface), undefined);
});
