import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ExpectedPostState } from '../../core/schemas/skill.ts';
import { crop, decodeImage, type Box, type RgbaImage } from '../../native/image.ts';
import { createOcr, type Ocr } from '../../perception/ocr.ts';
import { turnedCase, verifyStep } from '../../engine/computer/replay/verify.ts';
import { scriptedSurface } from '../support/surface.ts';

// Dogfood, xfe's xfwrite (FOX toolkit, in no test): replayed in a window resized to 0.8x, the click
// on Edit › Upper-case was dropped by the app — the menu closed, the text stayed lower-case — and
// the step passed on "a change where the recording changed" (the menu closing), so File › Save
// wrote "fox toolkit" where the recording saved "FOX TOOLKIT", replay reporting every step verified.
// The frames are the real app's as the recorder stored them (the window's top-left 700x400, at
// 0, 0 here), the expectation is the one the builder wrote for that step.

const fixtures = fileURLToPath(new URL('../../testkit/fixtures/desktop/xfwrite/', import.meta.url));
const expected: ExpectedPostState = { dom_text_appears: [], ocr_text_appears: ['File Edit View Search Prefere', 'FOX TOOLKIT'], changed_region: { x: 11, y: 23, width: 241, height: 230 }, settle_ms: 411 };
let ocr: Ocr;
const frame = async (name: string) => decodeImage(readFileSync(`${fixtures}${name}.png`));

before(async () => {
  ocr = await createOcr();
});

after(async () => {
  await ocr?.dispose();
});

async function verifyAfter(menuOpen: RgbaImage, shown: RgbaImage) {
  const surface = scriptedSurface({ capture: async () => shown, captureRegion: async (region) => crop(shown, region) });
  const window: Box = [0, 0, shown.width, shown.height];
  return verifyStep({
    surface,
    expected,
    before: menuOpen,
    region: window,
    mapBox: (box) => [box.x, box.y, box.width, box.height],
    readLines: async (image, region) => (await ocr.recognize(region ? crop(image, region) : image)).lines.map((line) => ({ ...line, box: region ? [line.box[0] + region[0], line.box[1] + region[1], line.box[2], line.box[3]] : line.box })),
    action: 'click',
    retries: 0,
  });
}

test('a menu item whose effect never shows is not verified by the menu closing', async () => {
  const menuOpen = await frame('menu-open');
  const dropped = await verifyAfter(menuOpen, await frame('menu-closed-nothing-done'));
  assert.equal(dropped.verified, false, `the menu closed and nothing else happened, yet: ${dropped.reason}`);
  assert.match(dropped.reason, /shows "fox toolkit" where the recording showed "FOX TOOLKIT"/);
  const done = await verifyAfter(menuOpen, await frame('upper-case-done'));
  assert.equal(done.verified, true, done.reason);
});

test('only most letters in the other case count; a short word or one misread letter is no evidence', () => {
  assert.equal(turnedCase('FOX TOOLKIT', 'note: fox toolkit'), 'fox toolkit');
  assert.equal(turnedCase('FOX TOOLKIT', 'FOX TOOLKIT'), undefined);
  assert.equal(turnedCase('FOX TOOLKIT', 'FOX TOoLKIT'), undefined, 'one letter OCR read small');
  assert.equal(turnedCase('OK', 'ok'), undefined, 'too few letters to tell');
  assert.equal(turnedCase('Save', 'Open'), undefined);
});
