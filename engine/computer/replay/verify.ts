import type { ExpectedPostState, PlanAction } from '../../../core/schemas/skill.ts';
import { ElementState } from '../../../core/schemas/trajectory.ts';
import { elementStateSource, focusedFieldValueSource, interactiveSelector } from '../element-state.ts';
import { caretSized, evidenceOfChange, findCaret } from '../../../perception/blink.ts';
import { waitForSettle } from '../../../perception/diff.ts';
import { boxesOverlap, clampBox, crop, paste, unionBox, type Box, type RgbaImage } from '../../../native/image.ts';
import type { OcrLine } from '../../../perception/ocr.ts';
import type { Point, Surface } from './surface.ts';
import { findLabelInLine, normalizeLabel } from './text-match.ts';
import { missingTextsSource, sameRouteSource, type ArmedPage } from './web-settle.ts';
import { sleep } from '../../../core/abort.ts';
import { dialogTitlesAgree } from './keyboard-window.ts';

export interface Verification {
  /** true: the expected post-state is there; false: it is not; undefined: nothing to check. */
  verified: boolean | undefined;
  /** Time spent waiting for the app (not counted as engine overhead). */
  settleMs: number;
  /**
   * The settled frame: the evidence of this step and the frame the next step is grounded on.
   * Absent on the web when every check read the page, not pixels (no screenshot was needed).
   */
  after?: RgbaImage;
  reason: string;
  /** What ended the wait for the app: the expected state itself, a change, quiet pixels, the deadline. */
  settledBy?: string;
}

export interface VerifyInput {
  surface: Surface;
  expected: ExpectedPostState | undefined;
  /** The frame before the action; on the web only when a check compares pixels (see needsPixels). */
  before?: RgbaImage;
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
  /** The page, watched since just before the action (web): the wait ends on the page's own events. */
  armed?: ArmedPage;
  /** What the step did and where (clicks): a caret or focus is looked for there. */
  action?: PlanAction;
  point?: Point;
  /**
   * Another witness that decides the step, asked once the app has settled: the window title's
   * recorded change (waited for by the caller), or the accessibility tree that already reported the
   * change (a success the screen checks could not undo). When it answers, the screen checks are
   * skipped — they could not change the verdict — and `verified` is left to the caller.
   */
  decidedElsewhere?: () => string | undefined;
  /**
   * Asked while the screen settles: the step is already proven by another witness (the accessibility
   * tree reported the change, the title changed as recorded). The wait ends there, and no frame is
   * carried to the next step (the screen may still be painting): it takes its own.
   */
  provenElsewhere?: () => string | undefined;
  /**
   * X11: the frame at the end may be the window and the watched region laid over `before` (the rest
   * of the screen is not read by the next step's rungs nor by this step's checks). Off for keys,
   * which may open a dialog anywhere.
   */
  partialFrame?: boolean;
}

/**
 * Whether verifying this step compares pixels, so the frame before the action must be taken: always
 * on X11; on the web only when nothing but a changed region is expected (no URL, no page text, no
 * state of the acted element) AND the page cannot see the change itself — `pageSeesChange` is false
 * when the action lands on something that paints outside the DOM (a canvas, a video, a frame; see
 * web-settle.ts). Elsewhere the page's own count of visible changes is the evidence.
 */
export function needsPixels(surface: Surface, expected: ExpectedPostState | undefined, pageSeesChange = false): boolean {
  if (surface.kind !== 'web') return true;
  const states = expected?.effect && ['expanded', 'checked', 'selected', 'pressed', 'focused'].some((key) => expected.effect?.[key as 'checked'] !== undefined);
  return Boolean(expected?.changed_region && !expected.url && !expected.dom_text_appears.length && !states && !expected.effect?.shown.length) && !pageSeesChange;
}

/** How long the app may take to show a step's result: today's bound, from the recorded settle time. */
export function settleBudget(expected: ExpectedPostState | undefined): number {
  return Math.min(8_000, Math.max(1_500, (expected?.settle_ms ?? 0) * 3));
}

/**
 * Waits for the step's expected post-state — on the web through the page's own events, on X11 by
 * watching only the region the recording changed — then checks it with the same checks as ever.
 * A check that fails is retried after a full-frame settle (slow apps) a bounded number of times,
 * never by repeating the action (which could type twice or delete twice).
 */
export async function verifyStep(input: VerifyInput): Promise<Verification> {
  const expected = input.expected;
  const budget = settleBudget(expected);
  let settleMs = 0;
  let retries = input.retries ?? 2;
  let after: RgbaImage | undefined;
  let settledBy: string;
  // With a frame from before the action on the web, the action landed where the DOM cannot see
  // its paint (a canvas, a video): the pixels settle it, as on X11.
  if (input.armed && !input.before) {
    const waited = await input.armed.wait(expected, { timeoutMs: budget, signal: input.signal, ...(input.acted ? { acted: input.acted } : {}) });
    settledBy = waited.by;
    // The wait already spent the whole budget on the page's own events: waiting longer adds nothing.
    if (!waited.held) retries = 0;
    else retries = Math.min(retries, 1);
    settleMs = waited.ms;
  } else {
    const settled = await settleOnScreen(input, budget);
    settledBy = settled.by;
    settleMs = settled.ms;
    after = settled.frame;
  }
  const decided = input.decidedElsewhere?.();
  if (decided !== undefined) return { verified: undefined, reason: decided, settleMs, ...(after ? { after } : {}), settledBy };
  let last: Verification = { ...(await check(input, after, settledBy)), settleMs, ...(after ? { after } : {}), settledBy };
  for (let attempt = 0; attempt < retries && last.verified === false; attempt += 1) {
    const begun = Date.now();
    const settled = await waitForSettle(() => input.surface.capture(), { quietMs: 400, timeoutMs: budget, intervalMs: 40, signal: input.signal });
    settleMs += Date.now() - begun;
    last = { ...(await check(input, settled.frame, settledBy)), settleMs, after: settled.frame, settledBy: 'quiet pixels' };
  }
  return last;
}

/** Polling interval of the region watch: small region grabs are cheap. */
const watchIntervalMs = 15;

/**
 * X11 (and any surface without page events): watches only the region the recording changed,
 * mapped into the live window (or the window when the recording saw no change), through region
 * captures. Returns once a real change (not a blink) has been seen and the region has been quiet
 * for the step's quiet window; when the recorded change was only a caret, nothing visible is
 * awaited. One capture at the end serves both as this step's evidence and the next step's
 * frame. Another witness that proves the step (`provenElsewhere`) ends the wait at once.
 */
async function settleOnScreen(input: VerifyInput, budget: number): Promise<{ frame?: RgbaImage; ms: number; by: string }> {
  const started = Date.now();
  const expected = input.expected;
  const grabRegion = input.surface.captureRegion?.bind(input.surface);
  if (!grabRegion) {
    const settled = await waitForSettle(() => input.surface.capture(), { quietMs: quietWindow(expected), timeoutMs: budget, intervalMs: 40, signal: input.signal });
    return { frame: settled.frame, ms: Date.now() - started, by: settled.settled ? 'quiet pixels' : 'timeout' };
  }
  const recorded = expected?.changed_region;
  const before = input.before ?? (await input.surface.capture());
  const watch = watchedRegion(input, before);
  const quietMs = quietWindow(expected);
  // A recording whose only change was a caret promises nothing visible: do not wait for one.
  const expectChange = Boolean(recorded) && !caretSized(recorded!);
  const changeWithinMs = Math.min(budget, Math.max(400, (expected?.settle_ms ?? 0) * 2));
  const reference = crop(before, watch);
  let previous: RgbaImage | undefined;
  let changedAt: number | undefined;
  let lastMotion = Date.now();
  let by = 'timeout';
  while (true) {
    input.signal?.throwIfAborted();
    const proven = input.provenElsewhere?.();
    if (proven) return { ms: Date.now() - started, by: proven };
    const frame = await grabRegion(watch);
    const now = Date.now();
    if (previous && evidenceOfChange(previous, frame).length) lastMotion = now;
    if (changedAt === undefined && evidenceOfChange(reference, frame).length) changedAt = lastMotion = now;
    previous = frame;
    if (changedAt !== undefined && now - lastMotion >= quietMs) {
      by = 'change, then quiet';
      break;
    }
    if (changedAt === undefined && (!expectChange ? now - started >= quietMs : now - started >= changeWithinMs)) {
      by = expectChange ? 'no change yet' : 'quiet';
      break;
    }
    if (now - started >= budget) break;
    await new Promise((resolve) => setTimeout(resolve, watchIntervalMs));
  }
  const frame = await settledFrame(input, before, watch);
  return { frame, ms: Date.now() - started, by };
}

/** Margin around what a step's checks read (OCR around the recorded change, a caret's full height). */
const frameMargin = 64;

/**
 * The frame that proves this step and grounds the next: the whole screen, or — when `partialFrame`
 * allows it — only the window and the watched region (with a margin) read afresh, laid over the
 * frame from before the action. One small grab instead of a full-screen one after every step.
 */
async function settledFrame(input: VerifyInput, before: RgbaImage, watch: Box): Promise<RgbaImage> {
  const grabRegion = input.surface.captureRegion?.bind(input.surface);
  if (!input.partialFrame || !grabRegion) return input.surface.capture();
  const [x, y, width, height] = unionBox(input.region, watch);
  const box = clampBox([x - frameMargin, y - frameMargin, width + 2 * frameMargin, height + 2 * frameMargin], before.width, before.height);
  if (!box) return input.surface.capture();
  return paste(before, await grabRegion(box), box[0], box[1]);
}

/** What the settle watches: the recorded change mapped into the live window with a margin, else the window. */
function watchedRegion(input: Pick<VerifyInput, 'expected' | 'mapBox' | 'region'>, size: { width: number; height: number }): Box {
  const recorded = input.expected?.changed_region;
  const mapped = recorded ? input.mapBox(recorded) : undefined;
  const margin = mapped ? Math.max(16, Math.round(Math.max(mapped[2], mapped[3]) * 0.25)) : 0;
  return (mapped ? clampBox([mapped[0] - margin, mapped[1] - margin, mapped[2] + 2 * margin, mapped[3] + 2 * margin], size.width, size.height) : undefined) ?? input.region;
}

/**
 * The part of the screen a step's pixel checks compare (the app's window and the watched region):
 * the frame before the action needs fresh pixels only there.
 */
export function comparedRegion(input: Pick<VerifyInput, 'expected' | 'mapBox' | 'region'>, size: { width: number; height: number }): Box {
  return unionBox(input.region, watchedRegion(input, size));
}

/**
 * How long a region must stay unchanged to call the app settled: learned from the recording's own
 * settle time for the step when it has one (half of it, 60–300 ms), else 100 ms.
 */
export function quietWindow(expected: ExpectedPostState | undefined): number {
  const recorded = expected?.settle_ms;
  return recorded === undefined ? 100 : Math.min(300, Math.max(60, Math.round(recorded / 2)));
}

/** The step's checks. `after` is absent on the web when no check compares pixels; `settledBy`: what ended the wait. */
async function check(input: VerifyInput, after: RgbaImage | undefined, settledBy: string): Promise<{ verified: boolean | undefined; reason: string }> {
  const expected = input.expected;
  const failures: string[] = [];
  const passes: string[] = [];
  let checks = 0;
  const page = input.surface.page;
  if (expected?.url && page) {
    checks += 1;
    // In the page: where the hash is a place on it, that place scrolled to counts (sameRouteSource).
    const there = sameUrl(page.url(), expected.url) || (await page.evaluate(`(${sameRouteSource})(location.href, ${JSON.stringify(expected.url)})`).catch(() => false)) === true;
    if (!there) failures.push(`URL is ${page.url()}, expected ${expected.url}`);
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
  if (expected?.field_gained !== undefined && page) {
    // Exact, unlike page text: a field that kept other letters than the recording's is not done.
    const value = await page.evaluate(`(${focusedFieldValueSource})()`).catch(() => null);
    if (typeof value === 'string') {
      checks += 1;
      if (!value.endsWith(expected.field_gained)) failures.push(`the focused field does not end with ${JSON.stringify(expected.field_gained)} (case counts)`);
    }
  }
  if (expected?.dom_text_appears.length && page && !effectRead) {
    checks += 1;
    // What appeared since the page was armed, not what is there: text the page already showed (a
    // button's label holding the expected words) is no evidence that the action did anything.
    const missing = await page.evaluate(`(${missingTextsSource})(${JSON.stringify(expected.dom_text_appears)})`).catch(() => expected.dom_text_appears);
    const texts = Array.isArray(missing) ? missing.map(String) : expected.dom_text_appears;
    if (texts.length) failures.push(`no ${texts.map((item) => JSON.stringify(item)).join(', ')} appeared on the page (text there before the action does not count)`);
  }
  if (expected?.ocr_text_appears.length && !page) {
    checks += 1;
    const screen = after ?? (await input.surface.capture());
    // OCR can miss a lone glyph; a change exactly where the recording changed is evidence too. It
    // is asked before the whole screen is read (seconds): with it the step passes whatever that
    // read finds (gnumeric: a toolbar icon read as "个" was looked for on the whole screen after
    // every key, 5–11 s a step under load, and the step passed on the change all the same).
    // A text the screen shows with its letters in the other case is no glyph OCR missed: the step's
    // effect did not happen (xfwrite, FOX: the click on Edit › Upper-case was dropped, the menu
    // closed — a change there — and "fox toolkit" was saved as if "FOX TOOLKIT" had been verified).
    const changedThere = () => (expected.changed_region ? changedIn(input, screen, input.mapBox(expected.changed_region)) : false);
    const { missing, otherCase } = await missingText(input, screen, expected.ocr_text_appears, expected.changed_region, changedThere);
    for (const [text, shown] of otherCase) failures.push(`screen shows ${JSON.stringify(shown)} where the recording showed ${JSON.stringify(text)}`);
    const unread = missing.filter((text) => !otherCase.has(text));
    if (unread.length && !changedThere()) failures.push(`screen does not show ${unread.map((item) => JSON.stringify(item)).join(', ')}`);
  }
  if (expected?.window_title && input.surface.window) {
    checks += 1;
    const window = await input.surface.window();
    if (!window || !normalizeLabel(window.title).includes(normalizeLabel(expected.window_title))) failures.push(`window title is ${JSON.stringify(window?.title)}, expected ${JSON.stringify(expected.window_title)}`);
  }
  if (expected?.dialog_shown && input.surface.activeDialog) {
    // The step opened one of the app's dialogs when recorded (the next input went to it): a menu
    // that merely closed changes the window too, and is no Save As.
    checks += 1;
    const shown = await dialogShown(input, expected.dialog_shown.title, settleBudget(expected));
    if (shown.ok) passes.push(shown.how);
    else failures.push(shown.how);
  }
  if (expected?.changed_region && checks === 0) {
    // Only when nothing more specific is expected: the app must have changed — or, for a click
    // into a text field, which may change nothing visible, the field must have the focus.
    checks += 1;
    const shown = await changedOrFocused(input, after, expected.changed_region, settledBy);
    if (shown.ok) passes.push(shown.how);
    else failures.push(shown.how);
  }
  if (checks === 0) return { verified: undefined, reason: 'nothing to check' };
  return failures.length ? { verified: false, reason: failures.join('; ') } : { verified: true, reason: `${checks} check(s) passed${passes.length ? ` (${passes.join('; ')})` : ''}` };
}

/**
 * Whether one of the app's dialogs whose title agrees with the recorded one (by words, the
 * document's name left out) is the active window, looked for until `withinMs` has passed (a loaded
 * machine maps a dialog late).
 */
async function dialogShown(input: VerifyInput, title: string, withinMs: number): Promise<{ ok: boolean; how: string }> {
  const started = Date.now();
  let seen: string | undefined;
  for (;;) {
    const dialog = await input.surface.activeDialog?.().catch(() => undefined);
    if (dialog) {
      const mainTitle = (await input.surface.title?.().catch(() => undefined)) ?? '';
      if (dialogTitlesAgree(title, dialog.title, [mainTitle])) return { ok: true, how: `the app's dialog ${JSON.stringify(dialog.title)} opened` };
      seen = dialog.title;
    }
    if (Date.now() - started >= withinMs) break;
    await sleep(100, input.signal);
  }
  return { ok: false, how: seen !== undefined ? `the app's dialog ${JSON.stringify(seen)} is active, not one like the recorded ${JSON.stringify(title)}` : `no dialog of the app opened (the recording's next input went to its dialog ${JSON.stringify(title)})` };
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
          // Into open shadow roots: the document answers with the host.
          while (element && element.shadowRoot) {
            const inner = point ? element.shadowRoot.elementFromPoint(point.x, point.y) : element.shadowRoot.activeElement;
            if (!inner || inner === element) break;
            element = inner;
          }
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
    // Visible as Playwright's isVisible means it (a non-empty box, not `visibility: hidden`), read in
    // the page world the DOM rung has already set up: isVisible would start Playwright's second
    // (utility) world on the first check, 100–600 ms on a busy machine.
    const visible = await page
      .getByRole(item.role as Parameters<typeof page.getByRole>[0], { name: item.name, exact: true })
      .evaluateAll((nodes) =>
        nodes.some((node) => {
          const box = node.getBoundingClientRect();
          return box.width > 0 && box.height > 0 && getComputedStyle(node).visibility !== 'hidden';
        }),
      )
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

/**
 * Expected texts not read on screen: first in the (mapped) region the recording changed, then in the
 * whole app; `otherCase` holds those shown only with most letters in the other case (what was shown).
 */
async function missingText(input: VerifyInput, after: RgbaImage, wanted: readonly string[], changed: ExpectedPostState['changed_region'], passesAnyway: () => boolean): Promise<{ missing: string[]; otherCase: Map<string, string> }> {
  const otherCase = new Map<string, string>();
  const found = (lines: OcrLine[], text: string) => {
    if (!lines.some((line) => (findLabelInLine(text, line.text, line.box, line.words)?.score ?? 0) >= 0.75)) return false;
    const turned = lines.map((line) => turnedCase(text, line.text)).find((shown) => shown !== undefined);
    if (turned === undefined || lines.some((line) => collapse(line.text).includes(collapse(text)))) {
      otherCase.delete(text);
      return true;
    }
    otherCase.set(text, turned);
    return false;
  };
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
  if (missing.length && (otherCase.size || !passesAnyway())) {
    const lines = await input.readLines(after);
    missing = missing.filter((text) => !found(lines, text));
  }
  return { missing, otherCase };
}

const collapse = (text: string) => text.normalize('NFC').replace(/\s+/g, ' ').trim();

/**
 * The piece of `line` that is `text` with most of its letters in the other case ("fox toolkit" for
 * "FOX TOOLKIT"), or undefined. Texts of fewer than 4 cased letters are left alone: OCR's case of a
 * short word (an "o" or "x" drawn the same size either way) is no evidence.
 */
export function turnedCase(text: string, line: string): string | undefined {
  const wanted = collapse(text);
  const shown = collapse(line);
  const cased = [...wanted].filter((character) => character.toLowerCase() !== character.toUpperCase());
  if (cased.length < 4 || shown.includes(wanted) || shown.toLowerCase().length !== shown.length || wanted.toLowerCase().length !== wanted.length) return undefined;
  const at = shown.toLowerCase().indexOf(wanted.toLowerCase());
  if (at < 0) return undefined;
  const piece = shown.slice(at, at + wanted.length);
  const turned = [...wanted].filter((character, index) => character.toLowerCase() !== character.toUpperCase() && [...piece][index] !== character).length;
  return turned * 2 > cased.length ? piece : undefined;
}

/** A change in `region` that is evidence: caret-sized changes (a blink) do not count. */
function changedIn(input: VerifyInput, after: RgbaImage, region: Box): boolean {
  if (!input.before) return false;
  return evidenceOfChange(input.before, after).some((box) => boxesOverlap(box, region, 2));
}

/** How long to wait for a second look at a blinking caret: more than the off phase of GTK (400 ms) and Qt (500 ms). */
const blinkGapMs = 550;

/**
 * The app changed in its window — by evidence that holds still in a second capture, so a blink or
 * a spinner proves nothing — or the click put the focus in a text field: the accessibility tree
 * says so (where the surface has one), or a caret shows where the recording's change was, in
 * either of two captures half a blink apart.
 */
async function changedOrFocused(input: VerifyInput, afterFrame: RgbaImage | undefined, recorded: NonNullable<ExpectedPostState['changed_region']>, settledBy: string): Promise<{ ok: boolean; how: string }> {
  // Web, where no frame was taken: the page's own count of visible changes since the action
  // (rendered mutations, a value or checked state, a drawn focus, the URL) is the evidence.
  if (!input.before) return ['state', 'change', 'text', 'url'].includes(settledBy) ? { ok: true, how: 'the page changed (its own events)' } : { ok: false, how: 'nothing changed on the page' };
  const before = input.before;
  const after = afterFrame ?? (await input.surface.capture());
  // Only the app's region is compared (the window on X11): a fraction of the screen's pixels.
  const window = clampBox(input.region, after.width, after.height);
  const sameSize = before.width === after.width && before.height === after.height;
  const region = (image: RgbaImage) => (window && sameSize ? crop(image, window) : image);
  let evidence = evidenceOfChange(region(before), region(after));
  // Web screenshots hide the caret and stop animations: there is nothing to blink twice.
  if (evidence.length && input.surface.kind === 'web') return { ok: true, how: 'the page changed' };
  if (evidence.length) {
    await sleep(60, input.signal);
    input.signal?.throwIfAborted();
    const second = window && sameSize && input.surface.captureRegion ? await input.surface.captureRegion(window) : region(await input.surface.capture());
    evidence = evidenceOfChange(region(before), region(after), second);
    if (evidence.length) return { ok: true, how: 'the window changed' };
  }
  const clicked = input.action === 'click' || input.action === 'double_click';
  if (clicked && input.point && input.surface.accessibility) {
    const focused = await input.surface.accessibility.focusedAt(input.point).catch(() => undefined);
    if (focused === true) return { ok: true, how: 'the clicked element has the focus (accessibility)' };
  }
  const mapped = input.mapBox(recorded);
  const margin = 16;
  const near = clampBox([mapped[0] - margin, mapped[1] - margin, mapped[2] + 2 * margin, mapped[3] + 2 * margin], after.width, after.height);
  if (clicked && near) {
    if (findCaret(after, near)) return { ok: true, how: 'a text caret shows where the recording changed' };
    if (await caretWithin(input, near, after, blinkGapMs)) return { ok: true, how: 'a text caret shows where the recording changed (second look)' };
  }
  return { ok: false, how: 'nothing changed on screen (a blinking caret, pointer or spinner is not evidence)' };
}

/**
 * Looks again for a caret in its off phase: small grabs around `near` until it shows or a whole
 * off phase has passed — the same question as one look after the gap, answered the moment the
 * caret comes back. Without region grabs, one full capture after the gap.
 */
async function caretWithin(input: VerifyInput, near: Box, size: { width: number; height: number }, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  const grabRegion = input.surface.captureRegion?.bind(input.surface);
  // The caret is measured whole, past `near` (findCaret follows a stroke up to 64 px).
  const probe = clampBox([near[0] - 4, near[1] - frameMargin, near[2] + 8, near[3] + 2 * frameMargin], size.width, size.height);
  if (!grabRegion || !probe) {
    await sleep(ms, input.signal);
    const later = await input.surface.capture();
    return later.width === size.width && later.height === size.height && Boolean(findCaret(later, near));
  }
  const inProbe: Box = [near[0] - probe[0], near[1] - probe[1], near[2], near[3]];
  for (;;) {
    await sleep(caretPollMs, input.signal);
    if (findCaret(await grabRegion(probe), inProbe)) return true;
    if (Date.now() >= deadline) return false;
  }
}

/** How often a caret in its off phase is looked for again. */
const caretPollMs = 40;
