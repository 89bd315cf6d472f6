import type { ExpectedPostState } from '../../../core/schemas/skill.ts';
import { ElementState } from '../../../core/schemas/trajectory.ts';
import { elementStateSource, interactiveSelector } from '../element-state.ts';
import { frameDifference, waitForSettle } from '../../../perception/diff.ts';
import { boxesOverlap, clampBox, type Box, type RgbaImage } from '../../../perception/image.ts';
import type { OcrLine } from '../../../perception/ocr.ts';
import type { Surface } from './surface.ts';
import { findLabelInLine, normalizeLabel } from './text-match.ts';

export interface Verification {
  /** true: the expected post-state is there; false: it is not; undefined: nothing to check. */
  verified: boolean | undefined;
  /** Time spent waiting for the app (not counted as engine overhead). */
  settleMs: number;
  after: RgbaImage;
  reason: string;
}

export interface VerifyInput {
  surface: Surface;
  expected: ExpectedPostState | undefined;
  before: RgbaImage;
  region: Box;
  /** Maps a recorded box into the live frame. */
  mapBox: (box: { x: number; y: number; width: number; height: number }) => Box;
  /** OCR of a frame (the app region, or the given one). */
  readLines: (frame: RgbaImage, region?: Box) => Promise<OcrLine[]>;
  signal?: AbortSignal;
  /** Re-checks after a further settle before calling a step failed. */
  retries?: number;
  /** Web: where the step acted (page pixels), to read the acted element's state; keys act on the focused one. */
  acted?: { x: number; y: number };
}

/**
 * Waits for the screen to settle (bounded), then checks the step's expected post-state. A check
 * that fails is retried after another settle (slow apps) a bounded number of times, never by
 * repeating the action (which could type twice or delete twice).
 */
export async function verifyStep(input: VerifyInput): Promise<Verification> {
  const expected = input.expected;
  const settleBudget = Math.min(8_000, Math.max(1_500, (expected?.settle_ms ?? 0) * 3));
  let settleMs = 0;
  let last: Verification | undefined;
  for (let attempt = 0; attempt <= (input.retries ?? 2); attempt += 1) {
    const started = Date.now();
    const settled = await waitForSettle(() => input.surface.capture(), { quietMs: attempt === 0 ? 200 : 400, timeoutMs: settleBudget, intervalMs: 40, signal: input.signal });
    settleMs += Date.now() - started;
    last = { ...(await check(input, settled.frame)), settleMs, after: settled.frame };
    if (last.verified !== false) return last;
  }
  return last as Verification;
}

async function check(input: VerifyInput, after: RgbaImage): Promise<{ verified: boolean | undefined; reason: string }> {
  const expected = input.expected;
  const failures: string[] = [];
  let checks = 0;
  const page = input.surface.page;
  if (expected?.url && page) {
    checks += 1;
    if (!sameUrl(page.url(), expected.url)) failures.push(`URL is ${page.url()}, expected ${expected.url}`);
  }
  // What the action itself changed comes first; page-wide text is only the second check, used
  // when that change cannot be read (an upgrade may reword the page around the target).
  let effectRead = false;
  if (expected?.effect && page) {
    const problems = await effectProblems(page, expected.effect, input.acted);
    if (problems) {
      effectRead = true;
      checks += 1;
      failures.push(...problems);
    }
  }
  if (expected?.dom_text_appears.length && page && !effectRead) {
    checks += 1;
    const text = normalizeLabel(
      await page
        .evaluate(() => {
          const values = [...document.querySelectorAll('input, textarea, select')].map((element) => (element as HTMLInputElement).value ?? '');
          return `${document.body?.innerText ?? ''}\n${values.join('\n')}`;
        })
        .catch(() => ''),
    );
    const missing = expected.dom_text_appears.filter((wanted) => !text.includes(normalizeLabel(wanted)));
    if (missing.length) failures.push(`page text lacks ${missing.map((item) => JSON.stringify(item)).join(', ')}`);
  }
  if (expected?.ocr_text_appears.length && !page) {
    checks += 1;
    const missing = await missingText(input, after, expected.ocr_text_appears, expected.changed_region);
    if (missing.length) {
      // OCR can miss a lone glyph; a change exactly where the recording changed is evidence too.
      const changedThere = expected.changed_region ? regionChanged(input, after, input.mapBox(expected.changed_region)) : false;
      if (!changedThere) failures.push(`screen does not show ${missing.map((item) => JSON.stringify(item)).join(', ')}`);
    }
  }
  if (expected?.window_title && input.surface.window) {
    checks += 1;
    const window = await input.surface.window();
    if (!window || !normalizeLabel(window.title).includes(normalizeLabel(expected.window_title))) failures.push(`window title is ${JSON.stringify(window?.title)}, expected ${JSON.stringify(expected.window_title)}`);
  }
  if (expected?.changed_region && checks === 0) {
    // Only when nothing more specific is expected: some pixels of the app must have changed.
    checks += 1;
    if (!regionChanged(input, after, input.region)) failures.push('nothing changed on screen');
  }
  if (checks === 0) return { verified: undefined, reason: 'nothing to check' };
  return failures.length ? { verified: false, reason: failures.join('; ') } : { verified: true, reason: `${checks} check(s) passed` };
}

/** What differs from the expected effect, or undefined when the acted element cannot be read. */
async function effectProblems(page: import('playwright-core').Page, effect: NonNullable<ExpectedPostState['effect']>, acted: { x: number; y: number } | undefined): Promise<string[] | undefined> {
  const problems: string[] = [];
  const keys = (['expanded', 'checked', 'selected', 'pressed', 'focused'] as const).filter((key) => effect[key] !== undefined);
  if (keys.length) {
    const raw = await page
      .evaluate(
        `(() => {
          const read = ${elementStateSource};
          const point = ${JSON.stringify(acted ?? null)};
          let element = point ? document.elementFromPoint(point.x, point.y) : document.activeElement;
          element = element && (element.closest(${JSON.stringify(interactiveSelector)}) || element);
          return element && element !== document.body ? read(element) : undefined;
        })()`,
      )
      .catch(() => undefined);
    const state = ElementState.safeParse(raw);
    if (!state.success || !state.data.present) return effect.shown.length ? shownProblems(page, effect.shown) : undefined;
    for (const key of keys) if (state.data[key] !== effect[key]) problems.push(`the acted element's ${key} is ${String(state.data[key] ?? 'unset')}, expected ${String(effect[key])}`);
  }
  problems.push(...((await shownProblems(page, effect.shown)) ?? []));
  return keys.length || effect.shown.length ? problems : undefined;
}

async function shownProblems(page: import('playwright-core').Page, shown: NonNullable<ExpectedPostState['effect']>['shown']): Promise<string[]> {
  const problems: string[] = [];
  for (const item of shown) {
    const visible = await page
      .getByRole(item.role as Parameters<typeof page.getByRole>[0], { name: item.name, exact: true })
      .first()
      .isVisible()
      .catch(() => false);
    if (!visible) problems.push(`no ${item.role} ${JSON.stringify(item.name)} is shown`);
  }
  return problems;
}

function sameUrl(actual: string, expected: string): boolean {
  try {
    const a = new URL(actual);
    const b = new URL(expected);
    return a.pathname.replace(/\/$/, '') === b.pathname.replace(/\/$/, '') && a.hash === b.hash;
  } catch {
    return actual === expected;
  }
}

/** Expected texts not read on screen: first in the (mapped) region the recording changed, then in the whole app. */
async function missingText(input: VerifyInput, after: RgbaImage, wanted: readonly string[], changed: ExpectedPostState['changed_region']): Promise<string[]> {
  const found = (lines: OcrLine[], text: string) => lines.some((line) => (findLabelInLine(text, line.text, line.box)?.score ?? 0) >= 0.75);
  let missing = [...wanted];
  if (changed) {
    const box = input.mapBox(changed);
    const margin = Math.max(12, Math.round(box[3] * 0.6));
    const region = clampBox([box[0] - margin, box[1] - margin, box[2] + 2 * margin, box[3] + 2 * margin], after.width, after.height);
    if (region) {
      const lines = await input.readLines(after, region);
      missing = missing.filter((text) => !found(lines, text));
    }
  }
  if (missing.length) {
    const lines = await input.readLines(after);
    missing = missing.filter((text) => !found(lines, text));
  }
  return missing;
}

function regionChanged(input: VerifyInput, after: RgbaImage, region: Box): boolean {
  if (input.before.width !== after.width || input.before.height !== after.height) return true;
  return frameDifference(input.before, after).boxes.some((box) => boxesOverlap(box, region, 2));
}
