import type { Box } from '../../../../native/image.ts';
import type { Point } from '../surface.ts';
import { normalizeLabel } from '../text-match.ts';
import { lookAlikeTextsSource } from '../../look-alike.ts';
import { center, type Grounding, type GroundingInput, type Refusal, type Rung } from './rung.ts';

interface DomCandidate {
  point: Point;
  box: Box;
  context: string;
  /** The candidate is the topmost element at its centre (nothing covers it). */
  hit: boolean;
  /** Wholly inside the viewport, so `point` and `hit` are where a click would land. */
  inView: boolean;
  /** Its index among the locator's matches (to scroll it into view once picked). */
  index: number;
}

async function ground(input: GroundingInput): Promise<Grounding | Refusal | string> {
  const page = input.surface.page;
  const locator = input.step.target.locator;
  if (!page) return 'no page';
  if (!locator) return 'the step has no DOM locator';
  // The recorded name and text are cleaned (no invisible characters); where the app's own string
  // differs beyond what Playwright ignores, the raw one is matched too (an upgrade may drop them).
  type Root = Pick<import('playwright-core').Page, 'getByRole' | 'getByTestId' | 'getByText' | 'locator'>;
  const byRole = (root: Root, name: string) => root.getByRole(locator.role as Parameters<typeof page.getByRole>[0], { name, exact: true });
  const byText = (root: Root, text: string) => root.getByText(text, { exact: true });
  const strategies: { name: string; confidence: number; make: (root: Root) => import('playwright-core').Locator | undefined }[] = [
    {
      name: `role=${locator.role} name=${JSON.stringify(locator.name)}`,
      confidence: 0.98,
      make: (root) => (locator.role && locator.name ? (locator.raw_name ? byRole(root, locator.raw_name).or(byRole(root, locator.name)) : byRole(root, locator.name)) : undefined),
    },
    { name: `test id ${JSON.stringify(locator.test_id)}`, confidence: 0.96, make: (root) => (locator.test_id ? root.getByTestId(locator.test_id) : undefined) },
    { name: `text ${JSON.stringify(locator.text)}`, confidence: 0.9, make: (root) => (locator.text && locator.text.length <= 80 ? (locator.raw_text ? byText(root, locator.raw_text).or(byText(root, locator.text)) : byText(root, locator.text)) : undefined) },
    { name: `css ${JSON.stringify(locator.css)}`, confidence: 0.86, make: (root) => (locator.css ? root.locator(locator.css) : undefined) },
  ];
  const reasons: string[] = [];
  // When a stronger locator saw several look-alikes it could not tell apart, a weaker one that
  // happens to match one of them (a positional CSS path, a text) is not evidence of which.
  let tieSeen = false;
  let anchorMisses = false;
  for (const strategy of strategies) {
    input.signal?.throwIfAborted();
    let located;
    try {
      located = strategy.make(page);
    } catch {
      located = undefined;
    }
    if (!located) continue;
    let candidates = await domCandidates(located);
    // Look-alikes (one "Try" button per operation, or more than can be ranked): the one inside
    // the recorded scope, when that settles it.
    const inScope = candidates.length !== 1 && locator.scope ? strategy.make(page.locator(locator.scope).first()) : undefined;
    const scoped = inScope ? await domCandidates(inScope).catch(() => []) : [];
    let scopedPick = false;
    if (inScope && scoped.length === 1) {
      candidates = scoped;
      located = inScope;
      scopedPick = true;
    }
    if (candidates.length === 0) {
      reasons.push(`${strategy.name}: none visible`);
      continue;
    }
    let pick: DomCandidate | undefined;
    let confidence = strategy.confidence;
    if (candidates.length === 1 && tieSeen && !strategy.name.startsWith('test id')) {
      reasons.push(`${strategy.name}: one match, but a stronger locator found look-alikes this cannot rank`);
      continue;
    }
    const anchorText = locator.anchor_text;
    const place = anchorText ? undefined : locator.row;
    if ((anchorText || place) && strategy.name.startsWith('css')) {
      // A CSS path names a position, not a row: recorded among look-alikes, it may now point at another row's.
      reasons.push(`${strategy.name}: the target was one of several look-alikes, told apart by ${anchorText ? JSON.stringify(anchorText) : 'its place among those showing the same texts'}, which a CSS path does not check`);
      continue;
    }
    if (anchorText) {
      // Recorded among look-alikes: only the match whose own row or card still carries the text the
      // recording told it apart by; none, or more than one, is not a target (never a guess by position).
      const carrying = await carryingAnchor(located, candidates, anchorText);
      if (carrying.length !== 1) {
        tieSeen = true;
        anchorMisses = true;
        reasons.push(`${strategy.name}: ${candidates.length} match(es), ${carrying.length} in a row or card showing ${JSON.stringify(anchorText)}`);
        continue;
      }
      pick = carrying[0];
      confidence -= 0.04;
    } else if (place && candidates.length > 1) {
      // Recorded among look-alikes with no text of its own row (two empty rows): the one at its
      // place among those showing exactly its texts, only while the page shows as many (never a guess).
      const alike = await showingTexts(located, candidates, place.texts);
      if (alike.length !== place.count) {
        tieSeen = true;
        anchorMisses = true;
        reasons.push(`${strategy.name}: ${candidates.length} matches, ${alike.length} in a row showing ${JSON.stringify(place.texts.join(' '))} where exploration saw ${place.count}`);
        continue;
      }
      pick = alike[place.nth];
      confidence -= 0.06;
    } else if (candidates.length === 1) {
      pick = candidates[0];
      if (scopedPick) confidence -= 0.03;
    } else {
      // Several matches (e.g. a "Delete" button per table row): the recorded neighbourhood decides.
      const anchors = input.step.target.anchors.map((anchor) => normalizeLabel(anchor.text)).filter(Boolean);
      const scored = candidates.map((candidate) => ({ candidate, score: anchors.filter((text) => candidate.context.includes(text)).length }));
      scored.sort((a, b) => b.score - a.score);
      if (anchors.length && scored[0].score > 0 && scored[0].score > scored[1].score) {
        pick = scored[0].candidate;
        confidence -= 0.06;
      } else {
        tieSeen = true;
        reasons.push(`${strategy.name}: ${candidates.length} matches that nothing tells apart`);
        continue;
      }
    }
    // Out of view: scrolled in (as a person would) and measured again where it now is.
    if (!pick.inView) pick = (await scrolledIntoView(located, pick)) ?? pick;
    if (!pick.hit) {
      reasons.push(`${strategy.name}: covered by another element`);
      continue;
    }
    return { tier: 'dom', point: pick.point, box: pick.box, confidence, evidence: strategy.name };
  }
  // Recorded among look-alikes, and the page still has them but no single one in a row or card
  // showing the recorded text: a later rung only sees pictures of identical buttons, and one read
  // or matched a little better than the rest is not the right row. The ladder stops here.
  if ((locator.anchor_text || locator.row) && anchorMisses) return { refused: reasons.join('; ') };
  return reasons.join('; ') || 'no usable locator';
}

/** The most matches a locator may have and still be ranked: more is not a target, it is a pattern. */
const maxCandidates = 20;

/**
 * Every visible match of the locator, measured in one round trip to the page (not four per match):
 * box, whether it is the topmost element at its centre, and the text of its row/item/form for
 * telling look-alikes apart. Nothing is scrolled here; the pick is, if it lies out of view.
 */
async function domCandidates(located: import('playwright-core').Locator): Promise<DomCandidate[]> {
  const measured = await located.evaluateAll(measureSource, maxCandidates).catch(() => undefined);
  if (!measured || measured.count === 0 || measured.count > maxCandidates) return [];
  return measured.items.filter((item) => item.width >= 1 && item.height >= 1).map(toCandidate);
}

/**
 * The texts identifying each match's own row, item or card (look-alike.ts), all in one round trip:
 * a function built from source text, because the page runs the same code as the recorder.
 */
const lookAlikeTextsAll = new Function('nodes', `const texts = ${lookAlikeTextsSource}; return nodes.map((node) => texts(node, nodes));`) as (nodes: Element[]) => string[][];

/** The candidates whose own row or card shows `anchorText` (compared as labels are: case and spacing aside). */
async function carryingAnchor(located: import('playwright-core').Locator, candidates: DomCandidate[], anchorText: string): Promise<DomCandidate[]> {
  if (candidates.length > maxCandidates) return [];
  const texts = await located.evaluateAll(lookAlikeTextsAll).catch(() => undefined);
  if (!texts) return [];
  const wanted = normalizeLabel(anchorText);
  return candidates.filter((candidate) => (texts[candidate.index] ?? []).some((text) => normalizeLabel(text) === wanted));
}

/** The candidates, in page order, whose own row or card shows exactly `wanted` (the texts compared as labels are). */
async function showingTexts(located: import('playwright-core').Locator, candidates: DomCandidate[], wanted: readonly string[]): Promise<DomCandidate[]> {
  const texts = await located.evaluateAll(lookAlikeTextsAll).catch(() => undefined);
  if (!texts) return [];
  const key = (list: readonly string[]) => list.map(normalizeLabel).join('\n');
  return candidates.filter((candidate) => key(texts[candidate.index] ?? []) === key(wanted)).sort((a, b) => a.index - b.index);
}

/** Scrolls the picked match into view (instantly, ignoring smooth scrolling) and measures it again. */
async function scrolledIntoView(located: import('playwright-core').Locator, pick: DomCandidate): Promise<DomCandidate | undefined> {
  const element = located.nth(pick.index);
  await element.scrollIntoViewIfNeeded({ timeout: 2000 }).catch(() => undefined);
  const measured = await element.evaluateAll(measureSource, 1).catch(() => undefined);
  const item = measured?.items[0];
  return item && item.width >= 1 && item.height >= 1 ? { ...toCandidate(item), index: pick.index } : undefined;
}

interface Measured {
  index: number;
  x: number;
  y: number;
  width: number;
  height: number;
  hit: boolean;
  inView: boolean;
  context: string;
}

function toCandidate(item: Measured): DomCandidate {
  const box: Box = [Math.round(item.x), Math.round(item.y), Math.round(item.width), Math.round(item.height)];
  return { box, point: center(box), context: item.context, hit: item.hit, inView: item.inView, index: item.index };
}

/**
 * Runs in the page over all of a locator's matches. Visible as Playwright's isVisible means it: a
 * non-empty box and not `visibility: hidden`. Plain function (no closures over this module).
 */
function measureSource(nodes: Element[], limit: number): { count: number; items: Measured[] } {
  if (nodes.length === 0 || nodes.length > limit) return { count: nodes.length, items: [] };
  const items: Measured[] = [];
  nodes.forEach((node, index) => {
    const rect = node.getBoundingClientRect();
    if (rect.width <= 0 || rect.height <= 0 || getComputedStyle(node).visibility === 'hidden') return;
    const x = rect.left + rect.width / 2;
    const y = rect.top + rect.height / 2;
    const inView = rect.left >= 0 && rect.top >= 0 && rect.right <= innerWidth && rect.bottom <= innerHeight;
    // Inside a shadow root the document answers with the host; the root itself knows better.
    const root = node.getRootNode() as Document | ShadowRoot;
    const top = (typeof root.elementFromPoint === 'function' ? root : document).elementFromPoint(x, y);
    const hit = Boolean(top && (top === node || node.contains(top) || top.contains(node)));
    const scope = node.closest('tr, li, [role=row], [role=listitem], [role=menuitem], fieldset, form, section, article, dialog, [role=dialog]') ?? node.parentElement;
    const context = (scope?.textContent ?? '').replace(/\s+/g, ' ').trim().toLowerCase().slice(0, 2000);
    items.push({ index, x: rect.left, y: rect.top, width: rect.width, height: rect.height, hit, inView, context });
  });
  return { count: nodes.length, items };
}

/**
 * Web: whether the element at `point` is one the step's DOM locator describes — a match of its role
 * and name, test id, text or CSS path holds the point, with nothing covering it there — or, where
 * `roleAlone` allows it (a labelled target found by its picture or its label), an element of the
 * recorded role. Answers why not, or undefined when it is. A place found by looks (a template, OCR,
 * anchors, a model) is only acted on where the page confirms it: an unlabelled target's picture or
 * the offset from its anchors can fall on another control (rapidoc: a click grounded by its anchors
 * landed on '#servers'), and the page can tell.
 */
export async function unconfirmedAt(page: import('playwright-core').Page, locator: NonNullable<GroundingInput['step']['target']['locator']>, point: Point, roleAlone: boolean): Promise<string | undefined> {
  const holds = async (located: import('playwright-core').Locator | undefined) => (located ? await located.evaluateAll(holdsPointSource, point).catch(() => false) : false);
  const named = locator.role && locator.name ? page.getByRole(locator.role as Parameters<typeof page.getByRole>[0], { name: locator.name, exact: true }) : undefined;
  if (await holds(named)) return undefined;
  if (locator.test_id && (await holds(page.getByTestId(locator.test_id)))) return undefined;
  if (locator.text && locator.text.length <= 80 && (await holds(page.getByText(locator.text, { exact: true })))) return undefined;
  // A CSS path confirms only where no look-alikes were recorded: among them it names a position, not the row.
  if (locator.css && !locator.anchor_text && (await holds(page.locator(locator.css)))) return undefined;
  if (roleAlone && locator.role && locator.name && (await holds(page.getByRole(locator.role as Parameters<typeof page.getByRole>[0])))) return undefined;
  const there = await page.evaluate(describeAtSource, point).catch(() => 'nothing readable');
  return `the page has no element the recording describes there (at (${Math.round(point.x)}, ${Math.round(point.y)}): ${there})`;
}

/** Runs in the page over a locator's matches: one of them holds `point` and is (or holds) what is on top there. */
function holdsPointSource(nodes: Element[], point: { x: number; y: number }): boolean {
  return nodes.some((node) => {
    const rect = node.getBoundingClientRect();
    if (point.x < rect.left || point.x > rect.right || point.y < rect.top || point.y > rect.bottom) return false;
    const root = node.getRootNode() as Document | ShadowRoot;
    const top = (typeof root.elementFromPoint === 'function' ? root : document).elementFromPoint(point.x, point.y);
    return Boolean(top && (top === node || node.contains(top)));
  });
}

/** Runs in the page: a short description of the element at `point` (through open shadow roots), for the evidence. */
function describeAtSource(point: { x: number; y: number }): string {
  let element = document.elementFromPoint(point.x, point.y);
  while (element && element.shadowRoot) {
    const inner = element.shadowRoot.elementFromPoint(point.x, point.y);
    if (!inner || inner === element) break;
    element = inner;
  }
  if (!element) return 'nothing';
  const text = (element.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 40);
  return `${element.localName}${element.id ? `#${element.id}` : ''}${text ? ` ${JSON.stringify(text)}` : ''}`;
}

/** Web: Playwright locators by role + accessible name, then test id, text, CSS. */
export const domRung: Rung = { surfaces: ['web'], readsPixels: false, ground };
