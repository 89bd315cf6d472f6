import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { groundStep, type GroundingMemory } from '../../engine/computer/replay/ground.ts';
import { lineReader } from '../../engine/computer/replay/line-reader.ts';
import type { TargetStep } from '../../engine/computer/replay/rungs/rung.ts';
import type { Surface } from '../../engine/computer/replay/surface.ts';
import type { PlanFile } from '../../core/schemas/skill.ts';
import { crop, type Box, type RgbaImage } from '../../native/image.ts';
import { createOcr } from '../../perception/ocr.ts';
import { FakeCalculator } from '../support/fake-calculator.ts';

// bench replay X11, galculator in the dark theme, resized and with a large font: the recorded crop
// searched across the whole window at ten scales found nothing on any step (the theme inverted
// its shades, the resize stretched every key), and it was most of the template rung's time, spent
// again on every step before OCR — which rereads only what changed — grounded it. Within one
// replay, a window where the whole crop has missed more often than not has it put off: the ladder goes
// on, and comes back to it only when no other rung is sure.

const ocr = createOcr();
after(async () => (await ocr).dispose());

/** The calculator's keys (FakeCalculator's layout): 50×40 at these corners. */
const keys: Record<string, { x: number; y: number }> = { '7': { x: 20, y: 80 }, '8': { x: 80, y: 80 }, '+': { x: 140, y: 80 }, '2': { x: 20, y: 140 } };
const window: Box = [0, 0, 320, 240];

function stepOn(recorded: RgbaImage, label: string, id: number, withLabel = true): { step: TargetStep; needle: RgbaImage } {
  const key = keys[label];
  const point = { x: key.x + 25, y: key.y + 20 };
  const box = { x: point.x - 48, y: point.y - 24, width: 96, height: 48 };
  const step = {
    id,
    action: 'click',
    description: `Click the "${label}".`,
    target: {
      point,
      template: { file: `Images/step-${id}.png`, box, frame: { width: 320, height: 240 }, point_in_crop: { x: 48, y: 24 } },
      ...(withLabel ? { ocr: { text: label, box: { x: point.x - 8, y: point.y - 12, width: 16, height: 24 }, confidence: 0.95 } } : {}),
      anchors: [],
    },
  } as unknown as TargetStep;
  return { step, needle: crop(recorded, [box.x, box.y, box.width, box.height]) };
}

function ground(step: TargetStep, needle: RgbaImage, frame: RgbaImage, memory: GroundingMemory, options: { region?: Box; positionTrusted?: boolean } = {}) {
  const read = lineReader(() => ocr);
  const region = options.region ?? window;
  return groundStep({
    surface: { kind: 'x11' } as unknown as Surface,
    plan: { platform: 'x11' } as PlanFile,
    step,
    frame,
    region,
    expected: step.target.point,
    positionTrusted: options.positionTrusted ?? true,
    scale: { x: 1, y: 1 },
    readLines: () => read(frame, region),
    templateImage: async () => needle,
    threshold: 0.8,
    disabled: new Set(['a11y', 'window']),
    memory,
  });
}

const inside = (point: { x: number; y: number }, label: string) => point.x >= keys[label].x && point.x < keys[label].x + 50 && point.y >= keys[label].y && point.y < keys[label].y + 40;

test('dark theme: once the whole crop has found nothing in this window, the next step is read by OCR before the crop is searched again', async () => {
  const recorded = await new FakeCalculator().capture();
  const dark = await new FakeCalculator({ dark: true }).capture();
  const memory: GroundingMemory = { searches: new Map() };
  const first = stepOn(recorded, '8', 1);
  const one = await ground(first.step, first.needle, dark, memory);
  // The first step searches the whole crop as ever: the inverted keys do not match it.
  const firstTemplate = one.attempts.find((attempt) => attempt.tier === 'template');
  assert.ok(firstTemplate && !/searched only if/.test(firstTemplate.reason), JSON.stringify(one.attempts));
  assert.equal(one.found?.tier, 'ocr', JSON.stringify(one.attempts));
  assert.ok(inside(one.found!.point, '8'), JSON.stringify(one.found));

  const second = stepOn(recorded, '+', 2);
  const two = await ground(second.step, second.needle, dark, memory);
  assert.equal(two.found?.tier, 'ocr', JSON.stringify(two.attempts));
  assert.ok(inside(two.found!.point, '+'), JSON.stringify(two.found));
  // The whole crop missed in this window: put off (the label's glyphs and the core, searched only
  // near the target, still run), and OCR being sure, never searched — one template attempt, a deferral.
  const templates = two.attempts.filter((attempt) => attempt.tier === 'template');
  assert.equal(templates.length, 1, JSON.stringify(two.attempts));
  assert.match(templates[0].reason, /put off, having missed in this window more often than not \(whole crop: missed 1×, found 0×\): searched only if no other rung is sure/);
});

test('no other rung is sure: the put-off crop is searched after all and grounds the step; another window geometry starts afresh', async () => {
  const recorded = await new FakeCalculator().capture();
  const dark = await new FakeCalculator({ dark: true }).capture();
  const memory: GroundingMemory = { searches: new Map() };
  // A miss in this window first (the dark keys), then the light window again, with a step OCR
  // cannot ground (no recorded label) and whose nearby glyph searches are off (position untrusted).
  const miss = stepOn(recorded, '7', 1, false);
  const missed = await ground(miss.step, miss.needle, dark, memory, { positionTrusted: false });
  assert.equal(missed.found, undefined, JSON.stringify(missed.attempts));

  const plus = stepOn(recorded, '+', 2, false);
  const found = await ground(plus.step, plus.needle, recorded, memory, { positionTrusted: false });
  assert.equal(found.found?.tier, 'template', JSON.stringify(found.attempts));
  assert.ok(inside(found.found!.point, '+'), JSON.stringify(found.found));
  const tiers = found.attempts.map((attempt) => attempt.tier);
  // Put off, the other rungs asked, then the crop searched last.
  assert.deepEqual([tiers[0], tiers.at(-1)], ['template', 'template'], JSON.stringify(found.attempts));
  assert.match(found.attempts[0].reason, /searched only if no other rung is sure/);
  assert.ok(tiers.indexOf('ocr') > 0 && tiers.indexOf('ocr') < tiers.length - 1, JSON.stringify(found.attempts));

  // The whole crop found its target in this window as often as it missed: it is searched first again.
  const two = stepOn(recorded, '2', 3, false);
  const again = await ground(two.step, two.needle, recorded, memory, { positionTrusted: false });
  assert.equal(again.found?.tier, 'template', JSON.stringify(again.attempts));
  assert.equal(again.attempts.filter((attempt) => attempt.tier === 'template').length, 1, JSON.stringify(again.attempts));

  // A window moved or resized since is another record: its first search is never put off.
  const fresh: GroundingMemory = { searches: new Map() };
  await ground(miss.step, miss.needle, dark, fresh, { positionTrusted: false });
  const elsewhere = await ground(plus.step, plus.needle, recorded, fresh, { positionTrusted: false, region: [0, 0, 319, 240] });
  assert.equal(elsewhere.attempts.filter((attempt) => attempt.tier === 'template').length, 1, JSON.stringify(elsewhere.attempts));
  assert.doesNotMatch(elsewhere.attempts.find((attempt) => attempt.tier === 'template')!.reason, /searched only if/);
});
