import type { Box } from '../../../../native/image.ts';
import type { Point } from '../surface.ts';
import { normalizeLabel } from '../text-match.ts';
import { center, type Grounding, type GroundingInput, type Rung } from './rung.ts';

interface DomCandidate {
  point: Point;
  box: Box;
  context: string;
  hit: boolean;
}

async function ground(input: GroundingInput): Promise<Grounding | string> {
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
    const scoped = candidates.length !== 1 && locator.scope ? await scopedCandidates(strategy.make(page.locator(locator.scope).first())) : [];
    let scopedPick = false;
    if (scoped.length === 1) {
      candidates = scoped;
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
    if (candidates.length === 1) {
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
    if (!pick.hit) {
      reasons.push(`${strategy.name}: covered by another element`);
      continue;
    }
    return { tier: 'dom', point: pick.point, box: pick.box, confidence, evidence: strategy.name };
  }
  return reasons.join('; ') || 'no usable locator';
}

async function scopedCandidates(located: import('playwright-core').Locator | undefined): Promise<DomCandidate[]> {
  return located ? domCandidates(located).catch(() => []) : [];
}

async function domCandidates(located: import('playwright-core').Locator): Promise<DomCandidate[]> {
  const count = await located.count();
  if (count === 0 || count > 20) return [];
  const out: DomCandidate[] = [];
  for (let index = 0; index < count; index += 1) {
    const element = located.nth(index);
    if (!(await element.isVisible().catch(() => false))) continue;
    await element.scrollIntoViewIfNeeded({ timeout: 2000 }).catch(() => undefined);
    const info = await element
      .evaluate((node: Element) => {
        const rect = node.getBoundingClientRect();
        const x = rect.left + rect.width / 2;
        const y = rect.top + rect.height / 2;
        // Inside a shadow root the document answers with the host; the root itself knows better.
        const root = node.getRootNode() as Document | ShadowRoot;
        const top = (typeof root.elementFromPoint === 'function' ? root : document).elementFromPoint(x, y);
        const hit = Boolean(top && (top === node || node.contains(top) || top.contains(node)));
        const scope = node.closest('tr, li, [role=row], [role=listitem], [role=menuitem], fieldset, form, section, article, dialog, [role=dialog]') ?? node.parentElement;
        const context = (scope?.textContent ?? '').replace(/\s+/g, ' ').trim().toLowerCase().slice(0, 2000);
        return { x: rect.left, y: rect.top, width: rect.width, height: rect.height, hit, context };
      })
      .catch(() => undefined);
    if (!info || info.width < 1 || info.height < 1) continue;
    const box: Box = [Math.round(info.x), Math.round(info.y), Math.round(info.width), Math.round(info.height)];
    out.push({ box, point: center(box), context: info.context, hit: info.hit });
  }
  return out;
}

/** Web: Playwright locators by role + accessible name, then test id, text, CSS. */
export const domRung: Rung = { surfaces: ['web'], readsPixels: false, ground };
