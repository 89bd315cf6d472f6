import type { PlanFile, PlanStep, TargetDescriptor } from '../../../core/schemas/skill.ts';
import type { Box, RgbaImage } from '../../../perception/image.ts';
import { crop, decodeImage } from '../../../perception/image.ts';
import type { OcrLine } from '../../../perception/ocr.ts';
import { findTemplate } from '../../../perception/template.ts';
import type { Point, Surface } from './surface.ts';
import { findLabelInLine, normalizeLabel } from './text-match.ts';
import type { GroundingTier } from './types.ts';

/** A place to act, and how sure the ladder is that it is the recorded target. */
export interface Grounding {
  tier: GroundingTier;
  point: Point;
  box: Box;
  confidence: number;
  evidence: string;
}

export interface Attempt {
  tier: GroundingTier;
  confidence?: number;
  reason: string;
}

type TargetStep = Extract<PlanStep, { target: TargetDescriptor }>;

/** Everything one step's grounding may look at; expensive things are computed once, lazily. */
export interface GroundingInput {
  surface: Surface;
  plan: PlanFile;
  step: TargetStep;
  frame: RgbaImage;
  /** Where to look (the app window on X11; the viewport on the web). */
  region: Box;
  /** The recorded point mapped into the live frame (through the moved/resized window on X11). */
  expected: Point;
  /**
   * Whether `expected` may break ties between look-alike candidates: true on X11, where it is
   * mapped through the window; false on the web, where a banner or a reordered list moves targets
   * by more than the distance between look-alikes (rows of "Archive" buttons).
   */
  positionTrusted: boolean;
  /** Live/recorded size ratio of the region (1 on the web unless the viewport changed). */
  scale: { x: number; y: number };
  readLines: () => Promise<OcrLine[]>;
  templateImage: (file: string) => Promise<RgbaImage | undefined>;
  /** Asks the vision-language model (only when the other tiers fail and one is configured). */
  askModel?: (step: TargetStep, frame: RgbaImage) => Promise<Grounding | undefined>;
  threshold: number;
  disabled: ReadonlySet<GroundingTier>;
  signal?: AbortSignal;
}

/**
 * The grounding ladder (DESIGN.md §5): DOM/a11y → template → OCR → relative anchors → VLM,
 * stopping at the first tier confident enough. A tier that finds several equally good places and
 * cannot tell them apart reports low confidence rather than guessing: replay never clicks when
 * unsure, so an ambiguous target ends the replay as `unsafe` instead of hitting the wrong thing.
 */
export async function groundStep(input: GroundingInput): Promise<{ found?: Grounding; best?: Grounding; attempts: Attempt[] }> {
  const attempts: Attempt[] = [];
  let best: Grounding | undefined;
  const tiers: [GroundingTier, () => Promise<Grounding | undefined | string>][] = [
    [input.surface.kind === 'web' ? 'dom' : 'a11y', () => (input.surface.kind === 'web' ? groundDom(input) : groundWindow(input))],
    ['template', () => groundTemplate(input)],
    ['ocr', () => groundOcr(input)],
    ['anchor', () => groundAnchors(input)],
    ['vlm', async () => (input.askModel ? (await input.askModel(input.step, input.frame)) ?? 'the model did not find the target' : 'no vision-language model configured')],
  ];
  for (const [tier, run] of tiers) {
    input.signal?.throwIfAborted();
    if (input.disabled.has(tier)) continue;
    let result: Grounding | undefined | string;
    try {
      result = await run();
    } catch (error) {
      if (input.signal?.aborted) throw error;
      result = `failed: ${(error as Error).message}`;
    }
    if (result === undefined || typeof result === 'string') {
      attempts.push({ tier, reason: result ?? 'no candidate' });
      continue;
    }
    attempts.push({ tier, confidence: round(result.confidence), reason: result.evidence });
    if (!best || result.confidence > best.confidence) best = result;
    if (result.confidence >= input.threshold) return { found: result, best, attempts };
  }
  return { best, attempts };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function center(box: Box): Point {
  return { x: box[0] + box[2] / 2, y: box[1] + box[3] / 2 };
}

function distance(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/**
 * Picks one candidate among several: the single one, or the one clearly closest to where the
 * recorded target should be now. `undefined` when they cannot be told apart.
 */
function disambiguate<T extends { point: Point }>(candidates: T[], expected: Point, trusted: boolean, margin = 0.5): { pick?: T; ambiguous: boolean } {
  if (candidates.length === 0) return { ambiguous: false };
  if (candidates.length === 1) return { pick: candidates[0], ambiguous: false };
  if (!trusted) return { ambiguous: true };
  const sorted = [...candidates].sort((a, b) => distance(a.point, expected) - distance(b.point, expected));
  const first = distance(sorted[0].point, expected);
  const second = distance(sorted[1].point, expected);
  return first < second * margin ? { pick: sorted[0], ambiguous: true } : { ambiguous: true };
}

// --- tier 1 (web): DOM / accessibility locators through Playwright ----------------------------

interface DomCandidate {
  point: Point;
  box: Box;
  context: string;
  hit: boolean;
}

async function groundDom(input: GroundingInput): Promise<Grounding | string> {
  const page = input.surface.page;
  const locator = input.step.target.locator;
  if (!page) return 'no page';
  if (!locator) return 'the step has no DOM locator';
  const strategies: { name: string; confidence: number; make: () => import('playwright-core').Locator | undefined }[] = [
    {
      name: `role=${locator.role} name=${JSON.stringify(locator.name)}`,
      confidence: 0.98,
      make: () => (locator.role && locator.name ? page.getByRole(locator.role as Parameters<typeof page.getByRole>[0], { name: locator.name, exact: true }) : undefined),
    },
    { name: `test id ${JSON.stringify(locator.test_id)}`, confidence: 0.96, make: () => (locator.test_id ? page.getByTestId(locator.test_id) : undefined) },
    { name: `text ${JSON.stringify(locator.text)}`, confidence: 0.9, make: () => (locator.text && locator.text.length <= 80 ? page.getByText(locator.text, { exact: true }) : undefined) },
    { name: `css ${JSON.stringify(locator.css)}`, confidence: 0.86, make: () => (locator.css ? page.locator(locator.css) : undefined) },
  ];
  const reasons: string[] = [];
  // When a stronger locator saw several look-alikes it could not tell apart, a weaker one that
  // happens to match one of them (a positional CSS path, a text) is not evidence of which.
  let tieSeen = false;
  for (const strategy of strategies) {
    input.signal?.throwIfAborted();
    let located;
    try {
      located = strategy.make();
    } catch {
      located = undefined;
    }
    if (!located) continue;
    const candidates = await domCandidates(located);
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
    if (candidates.length === 1) pick = candidates[0];
    else {
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
        const top = document.elementFromPoint(x, y);
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

// --- tier 1 (X11): the window moved or resized; the recorded point maps through it -------------

async function groundWindow(input: GroundingInput): Promise<Grounding | string> {
  const template = input.step.target.template;
  if (input.surface.kind !== 'x11') return 'not an X11 surface';
  if (!input.step.target.window?.point_in_window) return 'the step has no window-relative point';
  if (!template) return 'no template to check the mapped point against';
  const needle = await input.templateImage(template.file);
  if (!needle) return 'template image missing';
  if (lumaSpread(needle, [0, 0, needle.width, needle.height]) < 2) {
    // An empty text area or canvas: nothing to match, but the same flat colour at the mapped point
    // (stretched with the window when resized) is where a click lands the same way.
    const probe: Box = [Math.round(input.expected.x - 6), Math.round(input.expected.y - 6), 12, 12];
    const liveSpread = lumaSpread(input.frame, probe);
    const difference = colourDistance(meanColour(input.frame, probe), meanColour(needle, [Math.round(template.point_in_crop.x - 6), Math.round(template.point_in_crop.y - 6), 12, 12]));
    if (liveSpread < 4 && difference < 12) return { tier: 'a11y', point: input.expected, box: probe, confidence: 0.86, evidence: `window-relative point in a flat area of the recorded colour (Δ ${difference.toFixed(1)})` };
    return 'flat target, and the mapped point does not have its colour';
  }
  if (Math.abs(input.scale.x - 1) > 0.02 || Math.abs(input.scale.y - 1) > 0.02) return 'the window was resized: window-relative points are not trusted';
  // The window moved but kept its size: the target should sit exactly where the mapping says.
  const predicted: Box = [Math.round(input.expected.x - template.point_in_crop.x), Math.round(input.expected.y - template.point_in_crop.y), needle.width, needle.height];
  const margin = 6;
  const region: Box = [predicted[0] - margin, predicted[1] - margin, predicted[2] + 2 * margin, predicted[3] + 2 * margin];
  const matches = findTemplate(input.frame, needle, { scales: [1], region, minScore: 0.5, maxResults: 1, signal: input.signal });
  if (!matches.length) return 'the mapped point does not look like the recorded target';
  const match = matches[0];
  const point = { x: match.box[0] + template.point_in_crop.x, y: match.box[1] + template.point_in_crop.y };
  return { tier: 'a11y', point, box: match.box, confidence: Math.min(0.99, match.score), evidence: `window-relative point, checked by template (score ${match.score.toFixed(3)})` };
}

// --- tier 2: template match of the focus crop, multi-scale -----------------------------------

async function groundTemplate(input: GroundingInput): Promise<Grounding | string> {
  const template = input.step.target.template;
  if (!template) return 'the step has no template';
  const needle = await input.templateImage(template.file);
  if (!needle) return 'template image missing';
  if (needle.width < 8 || needle.height < 8) return 'template too small to trust';
  const scaleGuess = Math.sqrt(input.scale.x * input.scale.y);
  const scales = [0.8, 0.85, 0.9, 0.95, 1, 1.05, 1.1, 1.15, 1.2, 1.25].map((scale) => scale * (Math.abs(scaleGuess - 1) > 0.05 ? scaleGuess : 1));
  const whole = matchTemplate(input, needle, template.point_in_crop, scales, 'template');
  if (typeof whole !== 'string' && whole.confidence >= input.threshold) return whole;
  // A resized window stretches buttons and their spacing, but text and icons keep their size:
  // the core of the crop around the pointer (the glyph on the button) still matches at ~1×.
  const core = coreOf(needle, template.point_in_crop);
  if (!core) return whole;
  const inner = matchTemplate(input, core.image, core.point, [0.9, 0.95, 1, 1.05, 1.1], 'template core');
  if (typeof inner === 'string') return typeof whole === 'string' ? `${whole}; ${inner}` : whole;
  return typeof whole === 'string' || inner.confidence > whole.confidence ? inner : whole;
}

function matchTemplate(input: GroundingInput, needle: RgbaImage, pointInCrop: Point, scales: number[], what: string): Grounding | string {
  const needleSpread = lumaSpread(needle, [0, 0, needle.width, needle.height]);
  // NCC ignores contrast, so a faint crop can "match" any strong edge (a window border): a match
  // must also have about the contrast of what was recorded.
  const matches = findTemplate(input.frame, needle, { region: input.region, minScore: 0.55, maxResults: 6, scales, signal: input.signal }).filter((match) => {
    const ratio = lumaSpread(input.frame, match.box) / Math.max(1, needleSpread);
    return ratio >= 0.5 && ratio <= 2;
  });
  if (!matches.length) return `${what}: no match above 0.55 with the recorded contrast`;
  const hits = matches.map((match) => ({
    match,
    point: { x: match.box[0] + pointInCrop.x * match.scale, y: match.box[1] + pointInCrop.y * match.scale },
  }));
  const top = hits[0];
  // Near-equal matches elsewhere (two identical icons): only a clearly closer one may be taken.
  const rivals = hits.filter((hit) => hit.match.score >= top.match.score - 0.04);
  const { pick, ambiguous } = disambiguate(rivals, input.expected, input.positionTrusted);
  if (!pick) return `${what}: ${rivals.length} equally good matches (score ${top.match.score.toFixed(3)}) that position cannot tell apart`;
  // On X11 the window tells where the target should be; a match far from there (a neighbouring
  // button that happens to correlate) is not enough on its own.
  const far = farFromWindowPosition(input, pick.point);
  const confidence = pick.match.score * (ambiguous ? 0.9 : 1) * (far ? 0.75 : 1);
  return { tier: 'template', point: pick.point, box: pick.match.box, confidence, evidence: `${far ? 'far from the window-relative position; ' : ''}${what} score ${pick.match.score.toFixed(3)} at scale ${pick.match.scale.toFixed(2)}${ambiguous ? ', nearest of several' : ''}` };
}

function meanColour(image: RgbaImage, box: Box): [number, number, number] {
  const total = [0, 0, 0];
  let count = 0;
  for (let y = Math.max(0, box[1]); y < Math.min(image.height, box[1] + box[3]); y += 1) {
    for (let x = Math.max(0, box[0]); x < Math.min(image.width, box[0] + box[2]); x += 1) {
      const at = (y * image.width + x) * 4;
      total[0] += image.data[at];
      total[1] += image.data[at + 1];
      total[2] += image.data[at + 2];
      count += 1;
    }
  }
  return count ? [total[0] / count, total[1] / count, total[2] / count] : [0, 0, 0];
}

function colourDistance(a: [number, number, number], b: [number, number, number]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/**
 * On X11 the window says where the target should be (mapped through its move and resize). A rung
 * that lands far from there — a neighbouring button that correlates, a look-alike label — is not
 * enough on its own to act.
 */
function farFromWindowPosition(input: GroundingInput, point: Point): boolean {
  return input.positionTrusted && distance(point, input.expected) > Math.max(40, 0.2 * Math.hypot(input.region[2], input.region[3]));
}

/** Standard deviation of luma inside a box: how much contrast a patch has. */
function lumaSpread(image: RgbaImage, box: Box): number {
  const [x0, y0, width, height] = box;
  let sum = 0;
  let squares = 0;
  let count = 0;
  for (let y = Math.max(0, y0); y < Math.min(image.height, y0 + height); y += 1) {
    for (let x = Math.max(0, x0); x < Math.min(image.width, x0 + width); x += 1) {
      const at = (y * image.width + x) * 4;
      const luma = 0.299 * image.data[at] + 0.587 * image.data[at + 1] + 0.114 * image.data[at + 2];
      sum += luma;
      squares += luma * luma;
      count += 1;
    }
  }
  if (count === 0) return 0;
  const mean = sum / count;
  return Math.sqrt(Math.max(0, squares / count - mean * mean));
}

/** The middle of a crop around the pointer: big enough to be distinctive, small enough not to span the gaps between controls. */
function coreOf(needle: RgbaImage, point: Point): { image: RgbaImage; point: Point } | undefined {
  const width = Math.min(needle.width, Math.max(16, Math.round(needle.width * 0.45)));
  const height = Math.min(needle.height, Math.max(14, Math.round(needle.height * 0.55)));
  if (width >= needle.width && height >= needle.height) return undefined;
  const x = Math.max(0, Math.min(needle.width - width, Math.round(point.x - width / 2)));
  const y = Math.max(0, Math.min(needle.height - height, Math.round(point.y - height / 2)));
  const image = crop(needle, [x, y, width, height]);
  return { image, point: { x: point.x - x, y: point.y - y } };
}

// --- tier 3: OCR label ---------------------------------------------------------------------------

async function groundOcr(input: GroundingInput): Promise<Grounding | string> {
  const label = input.step.target.ocr?.text ?? input.step.target.locator?.name ?? input.step.target.locator?.text;
  if (!label) return 'the step has no label text';
  const lines = await input.readLines();
  // One- and two-character labels ("+", "-", "7") are too short for fuzzy matching or for a
  // position estimated inside a longer line: they must be read exactly, as a line of their own.
  const short = normalizeLabel(label).length <= 2;
  const hits = lines
    .map((line) => ({ line, hit: short ? (normalizeLabel(line.text) === normalizeLabel(label) ? { box: line.box, score: 1 } : undefined) : findLabelInLine(label, line.text, line.box) }))
    .filter((entry): entry is { line: OcrLine; hit: NonNullable<ReturnType<typeof findLabelInLine>> } => Boolean(entry.hit && entry.hit.score >= 0.8))
    .map((entry) => ({ ...entry, point: center(entry.hit.box), score: entry.hit.score * Math.min(1, 0.15 + entry.line.confidence) }));
  if (!hits.length) return `label ${JSON.stringify(label)} not read on screen`;
  hits.sort((a, b) => b.score - a.score);
  const rivals = hits.filter((hit) => hit.score >= hits[0].score - 0.05);
  const { pick, ambiguous } = disambiguate(rivals, input.expected, input.positionTrusted);
  if (!pick) return `label ${JSON.stringify(label)} read ${rivals.length} times; position cannot tell which`;
  const far = farFromWindowPosition(input, pick.point);
  const confidence = Math.min(0.97, pick.score) * (ambiguous ? 0.9 : 1) * (far ? 0.75 : 1);
  return { tier: 'ocr', point: pick.point, box: pick.hit.box, confidence, evidence: `${far ? 'far from the window-relative position; ' : ''}read ${JSON.stringify(pick.line.text)} (match ${pick.hit.score.toFixed(2)})${ambiguous ? ', nearest of several' : ''}` };
}

// --- tier 4: relative anchors (stable text near the target) ------------------------------------

async function groundAnchors(input: GroundingInput): Promise<Grounding | string> {
  const anchors = input.step.target.anchors;
  if (!anchors.length) return 'the step has no anchors';
  const lines = await input.readLines();
  const predictions: Point[] = [];
  for (const anchor of anchors) {
    const hits = lines
      .map((line) => ({ line, hit: findLabelInLine(anchor.text, line.text, line.box) }))
      .filter((entry) => entry.hit && entry.hit.score >= 0.85);
    if (hits.length !== 1) continue; // an anchor must be unique to anchor anything
    const found = center(hits[0].hit!.box);
    predictions.push({ x: found.x + anchor.offset.dx * input.scale.x, y: found.y + anchor.offset.dy * input.scale.y });
  }
  if (!predictions.length) return 'no anchor read uniquely';
  const mean = { x: predictions.reduce((sum, p) => sum + p.x, 0) / predictions.length, y: predictions.reduce((sum, p) => sum + p.y, 0) / predictions.length };
  const spread = Math.max(...predictions.map((p) => distance(p, mean)));
  const tolerance = Math.max(10, 0.01 * input.frame.width);
  if (spread > tolerance) return `anchors disagree by ${Math.round(spread)} px`;
  // One anchor alone is a guess; agreeing anchors are evidence.
  const confidence = (predictions.length >= 2 ? 0.9 : 0.7) * (farFromWindowPosition(input, mean) ? 0.75 : 1);
  const box: Box = [Math.round(mean.x - 8), Math.round(mean.y - 8), 16, 16];
  return { tier: 'anchor', point: mean, box, confidence, evidence: `${predictions.length} anchor(s) agree within ${Math.round(spread)} px` };
}

/** Loads a template from the package once and keeps it (decoded) for the whole replay. */
export function templateLoader(images: Map<string, Buffer>): (file: string) => Promise<RgbaImage | undefined> {
  const cache = new Map<string, Promise<RgbaImage | undefined>>();
  return (file) => {
    let pending = cache.get(file);
    if (!pending) {
      const data = images.get(file);
      pending = data ? decodeImage(data).catch(() => undefined) : Promise.resolve(undefined);
      cache.set(file, pending);
    }
    return pending;
  };
}

