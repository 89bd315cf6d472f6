import type { Box, RgbaImage } from '../../../../native/image.ts';
import { crop } from '../../../../native/image.ts';
import { findTemplate } from '../../../../perception/template.ts';
import type { Point } from '../surface.ts';
import { disambiguate, distance, farFromWindowPosition, lumaSpread, type Deferral, type Grounding, type GroundingInput, type Rung } from './rung.ts';

async function ground(input: GroundingInput): Promise<Grounding | Deferral | string> {
  const template = input.step.target.template;
  if (!template) return 'the step has no template';
  const needle = await input.templateImage(template.file);
  if (!needle) return 'template image missing';
  if (needle.width < 8 || needle.height < 8) return 'template too small to trust';
  // The whole crop; then, since a resized window stretches buttons and their spacing but text and
  // icons keep their size, the core of the crop around the pointer (the glyph on the button),
  // which still matches at ~1×. The recorded label's own box is the tightest core: a
  // fixed fraction of the crop also holds the button's borders, which a narrower window moves
  // closer to the glyph (xedit's and xcalc's buttons at 0.8×).
  const label = labelCoreOf(needle, input, template);
  const core = coreOf(needle, template.point_in_crop, input);
  const searches: Search[] = [
    { kind: 'whole crop', run: () => matchTemplate(input, needle, template.point_in_crop, wholeScales(input), 'template'), mayPutOff: true },
    ...(label ? [{ kind: 'label' as const, run: () => matchCore(input, label) }] : []),
    ...(core ? [{ kind: 'core' as const, run: () => matchCore(input, core) }] : []),
  ];
  // The whole crop is searched across the whole window at ten scales: most of the rung's time.
  // Where it has missed more often than it found its target on the earlier steps in this window
  // (see GroundingMemory), it is put off: the label's glyphs and the core are searched near the
  // target, then the other rungs (OCR reads again only what changed), and the whole crop only if
  // none of them is sure. On galculator dark and with a large font it missed on every step;
  // resized, it found the "AC" key (at its own size) and missed every digit after it. The local
  // searches cost little and are never put off (the label's glyphs, missed on one key, still find
  // the next one in a resized window).
  const putOff = searches.filter((search) => {
    const record = search.mayPutOff ? input.memory?.searches.get(searchKey(input, search)) : undefined;
    return record !== undefined && record.missed > record.found;
  });
  let best = await runSearches(input, searches.filter((search) => !putOff.includes(search)), undefined);
  if (!putOff.length || (typeof best === 'object' && best.confidence >= input.threshold)) return best ?? 'template: nothing to search';
  const earlier = putOff.map((search) => (({ missed, found }) => `${search.kind}: missed ${missed}×, found ${found}×`)(input.memory!.searches.get(searchKey(input, search))!)).join('; ');
  const why = `put off, having missed in this window more often than not (${earlier}): searched only if no other rung is sure`;
  return {
    deferred: typeof best === 'object' ? `${best.evidence} (below the threshold); ${why}` : best ? `${best}; ${why}` : `template: ${why}`,
    ...(typeof best === 'object' ? { best } : {}),
    resume: async () => (best = (await runSearches(input, putOff, best)) ?? 'template: nothing to search'),
  };
}

interface Search {
  kind: 'whole crop' | 'label' | 'core';
  run: () => Grounding | string;
  /** Its outcomes are remembered, and it is put off where it has only missed. */
  mayPutOff?: true;
}

/** Runs searches in order until one is confident, remembering each outcome for this window; the best so far, or why nothing was found. */
async function runSearches(input: GroundingInput, searches: Search[], best: Grounding | string | undefined): Promise<Grounding | string | undefined> {
  for (const search of searches) {
    const found = search.run();
    const memory = input.memory?.searches;
    if (memory && search.mayPutOff) {
      const key = searchKey(input, search);
      const record = memory.get(key) ?? { found: 0, missed: 0 };
      if (typeof found !== 'string' && found.confidence >= input.threshold) record.found += 1;
      else record.missed += 1;
      memory.set(key, record);
    }
    if (typeof found === 'string') best = typeof best === 'object' ? best : best ? `${best}; ${found}` : found;
    else if (typeof best !== 'object' || found.confidence > best.confidence) best = found;
    if (typeof best === 'object' && best.confidence >= input.threshold) break;
  }
  return best;
}

/** A search's record is per window geometry: a moved or resized window starts afresh. */
function searchKey(input: GroundingInput, search: Search): string {
  return `template ${search.kind} in ${input.region.join(',')}`;
}

/** Scales of the whole crop: around the window's size change, and its own size. */
function wholeScales(input: GroundingInput): number[] {
  const scaleGuess = Math.sqrt(input.scale.x * input.scale.y);
  const scales = [0.8, 0.85, 0.9, 0.95, 1, 1.05, 1.1, 1.15, 1.2, 1.25].map((scale) => scale * (Math.abs(scaleGuess - 1) > 0.05 ? scaleGuess : 1));
  // A menu, a toolbar's icons and text keep their size when the window around them is resized: the
  // crop at its own size too. Without it a window made 1.3× larger searched only 1.04–1.63×, and
  // the label's glyphs alone then matched IDLE's three menu items that begin with "Save"; the one
  // nearest the window-scaled point ("Save Copy As…") was clicked.
  if (!scales.some((scale) => Math.abs(scale - 1) < 0.03)) scales.push(1);
  return scales;
}

function matchCore(input: GroundingInput, core: Core): Grounding | string {
  return matchTemplate(input, core.image, core.point, [0.9, 0.95, 1, 1.05, 1.1], core.what, core.within);
}

function matchTemplate(input: GroundingInput, needle: RgbaImage, pointInCrop: Point, scales: number[], what: string, within?: number): Grounding | string {
  if (within !== undefined && !input.positionTrusted) return `${what}: only where the window says the target is, and it says nothing here`;
  const needleSpread = lumaSpread(needle, [0, 0, needle.width, needle.height]);
  // A needle that is only a glyph counts only around where the window puts the target, and is
  // looked for twice as far, where a look-alike makes it ambiguous (below).
  const reach = within === undefined ? undefined : 2 * within;
  const region: Box | undefined = reach === undefined ? input.region : clip([Math.round(input.expected.x - reach - needle.width), Math.round(input.expected.y - reach - needle.height), Math.round(2 * (reach + needle.width)), Math.round(2 * (reach + needle.height))], input.region);
  if (!region) return `${what}: the expected place lies outside the window`;
  // NCC ignores contrast, so a faint crop can "match" any strong edge (a window border): a match
  // must also have about the contrast of what was recorded.
  const search = (minScore: number, searched: number[]) =>
    findTemplate(input.frame, needle, { region, minScore, maxResults: 6, scales: searched, signal: input.signal })
      .filter((match) => {
        const ratio = lumaSpread(input.frame, match.box) / Math.max(1, needleSpread);
        return ratio >= 0.5 && ratio <= 2;
      })
      .map((match) => ({ match, point: { x: match.box[0] + pointInCrop.x * match.scale, y: match.box[1] + pointInCrop.y * match.scale } }));
  const found = search(0.55, scales);
  if (!found.length) return `${what}: no match above 0.55 with the recorded contrast`;
  let hits = found.filter((hit) => within === undefined || distance(hit.point, input.expected) <= within);
  if (!hits.length) return `${what}: no match within ${Math.round(within ?? 0)} px of where the window puts the target`;
  const top = hits[0];
  // The search over several scales refines few candidates and may keep a look-alike at its own
  // size but the target only at another, weaker (uikit: two identical nav items one under the
  // other, the upper found at 1.00, the lower at 0.95 scale and 0.64): one clear match, the wrong
  // one. At the best match's own scale, another as good is a rival too.
  if (scales.length > 1) {
    const twins = search(top.match.score - 0.04, [top.match.scale]).filter((hit) => within === undefined || distance(hit.point, input.expected) <= within);
    // Each place once, by its best score (the target found weakly at another scale, strongly here).
    for (const twin of twins) {
      const kept = hits.filter((hit) => distance(hit.point, twin.point) > 3 || hit.match.score >= twin.match.score);
      hits = kept.length < hits.length || !kept.some((hit) => distance(hit.point, twin.point) <= 3) ? [...kept, twin] : kept;
    }
    hits.sort((a, b) => b.match.score - a.match.score);
  }
  // Near-equal matches elsewhere (two identical icons): only a clearly closer one may be taken.
  const rivals = hits.filter((hit) => hit.match.score >= top.match.score - 0.04);
  // A glyph alone (the label's ink, the crop's core) says nothing of its neighbours: another as good
  // near where the window puts the target (menu items that begin with the same word, rows apart)
  // cannot be told apart by a position the window's resize may have moved. IDLE resized 1.3×: the
  // "Save" of "Save Copy As…" lay at the scaled point, File › Save's 44 px above it.
  const lookalikes = within === undefined ? [] : found.filter((hit) => hit.match.score >= top.match.score - 0.04 && distance(hit.point, top.point) > 3);
  if (lookalikes.length) return `${what}: ${lookalikes.length + 1} equally good matches (score ${top.match.score.toFixed(3)}) near where the window puts the target: a glyph alone cannot tell them apart`;
  const { pick, ambiguous } = disambiguate(rivals, input.expected, input.positionTrusted);
  if (!pick) return `${what}: ${rivals.length} equally good matches (score ${top.match.score.toFixed(3)}) that position cannot tell apart`;
  // On X11 the window tells where the target should be; a match far from there (a neighbouring
  // button that happens to correlate) is not enough on its own.
  const far = farFromWindowPosition(input, pick.point);
  const confidence = pick.match.score * (ambiguous ? 0.9 : 1) * (far ? 0.75 : 1);
  return { tier: 'template', point: pick.point, box: pick.match.box, confidence, evidence: `${far ? 'far from the window-relative position; ' : ''}${what} score ${pick.match.score.toFixed(3)} at scale ${pick.match.scale.toFixed(2)}${ambiguous ? ', nearest of several' : ''}` };
}





/**
 * The recorded label's box inside the crop, with a few pixels of the control around it: the
 * glyphs alone, which keep their size when the window is resized. Undefined when the step has no
 * label under the pointer or its box is too small to be distinctive.
 */
function labelCoreOf(needle: RgbaImage, input: GroundingInput, template: NonNullable<TemplateTarget['template']>): Core | undefined {
  const target = input.step.target;
  const label = target.ocr?.box;
  if (!label) return undefined;
  // OCR boxes are padded (23 px high around a 9 px digit): the ink inside is what keeps its size.
  const ink = inkBox(needle, [Math.round(label.x - template.box.x), Math.round(label.y - template.box.y), Math.round(label.width), Math.round(label.height)]);
  // A dot is everywhere; a stroke of 4 px or more is a glyph.
  if (!ink || Math.max(ink[2], ink[3]) < 4) return undefined;
  // Two pixels of the control around the ink, more around a small glyph (xcalc's "-" is 4×1
  // pixels): the empty button around a stroke is part of what it looks like, and a needle of at
  // least 9 px each way is one a match can be scored on.
  const marginX = Math.max(2, Math.ceil((9 - ink[2]) / 2));
  const marginY = Math.max(2, Math.ceil((9 - ink[3]) / 2));
  const x = Math.max(0, ink[0] - marginX);
  const y = Math.max(0, ink[1] - marginY);
  const width = Math.min(needle.width - x, ink[2] + 2 * marginX);
  const height = Math.min(needle.height - y, ink[3] + 2 * marginY);
  if (Math.min(width, height) < 8 || width * height < 80 || width >= needle.width * 0.9) return undefined;
  // The pointer must fall on the label (its margin included), or the label is a neighbour's.
  const point = { x: template.point_in_crop.x - x, y: template.point_in_crop.y - y };
  if (point.x < 0 || point.y < 0 || point.x > width || point.y > height) return undefined;
  // The same glyph elsewhere ("+" on "+/-", a "6" that correlates with a "9" a row away) is not
  // the target: a glyph counts only within one label size of where the window puts it.
  const scale = Math.max(1, input.scale.x, input.scale.y);
  return { image: crop(needle, [x, y, width, height]), point, what: 'template label', within: Math.max(label.width, label.height) * scale };
}

/** The bounding box of the pixels inside `box` that stand out from its most common shade (a label's glyphs on its button). */
function inkBox(image: RgbaImage, box: Box): Box | undefined {
  const x0 = Math.max(0, box[0]);
  const y0 = Math.max(0, box[1]);
  const x1 = Math.min(image.width, box[0] + box[2]);
  const y1 = Math.min(image.height, box[1] + box[3]);
  if (x1 - x0 < 2 || y1 - y0 < 2) return undefined;
  const luma = (x: number, y: number) => {
    const at = (y * image.width + x) * 4;
    return Math.round(0.299 * image.data[at] + 0.587 * image.data[at + 1] + 0.114 * image.data[at + 2]);
  };
  const counts = new Uint32Array(256);
  for (let y = y0; y < y1; y += 1) for (let x = x0; x < x1; x += 1) counts[luma(x, y)] += 1;
  const background = counts.indexOf(Math.max(...counts));
  const inked = (x: number, y: number) => Math.abs(luma(x, y) - background) >= 48;
  // A line across the whole box is the control's border, not the label: OCR boxes are padded, and
  // the padding can take in the edge of the button (xcalc's "9": its button's bottom border lay in
  // the OCR box, and a label core 20×25 with the border in it matched nothing once a narrower
  // window moved that border closer to the glyph). Glyphs do not span a padded box edge to edge.
  const borderRows = new Set<number>();
  const borderColumns = new Set<number>();
  for (let y = y0; y < y1; y += 1) {
    let count = 0;
    for (let x = x0; x < x1; x += 1) if (inked(x, y)) count += 1;
    if (count === x1 - x0) borderRows.add(y);
  }
  for (let x = x0; x < x1; x += 1) {
    let count = 0;
    for (let y = y0; y < y1; y += 1) if (inked(x, y)) count += 1;
    if (count === y1 - y0) borderColumns.add(x);
  }
  let left = x1;
  let top = y1;
  let right = -1;
  let bottom = -1;
  for (let y = y0; y < y1; y += 1) {
    if (borderRows.has(y)) continue;
    for (let x = x0; x < x1; x += 1) {
      if (borderColumns.has(x) || !inked(x, y)) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  return right < 0 ? undefined : [left, top, right - left + 1, bottom - top + 1];
}

type TemplateTarget = GroundingInput['step']['target'];
interface Core {
  image: RgbaImage;
  point: Point;
  what: string;
  /** Matches farther than this from the window-mapped point are not the target. */
  within?: number;
}

function clip(box: Box, bounds: Box): Box | undefined {
  const x0 = Math.max(box[0], bounds[0]);
  const y0 = Math.max(box[1], bounds[1]);
  const x1 = Math.min(box[0] + box[2], bounds[0] + bounds[2]);
  const y1 = Math.min(box[1] + box[3], bounds[1] + bounds[3]);
  return x1 > x0 && y1 > y0 ? [x0, y0, x1 - x0, y1 - y0] : undefined;
}

/** The middle of a crop around the pointer: big enough to be distinctive, small enough not to span the gaps between controls. */
function coreOf(needle: RgbaImage, point: Point, input: GroundingInput): Core | undefined {
  const width = Math.min(needle.width, Math.max(16, Math.round(needle.width * 0.45)));
  const height = Math.min(needle.height, Math.max(14, Math.round(needle.height * 0.55)));
  if (width >= needle.width && height >= needle.height) return undefined;
  const x = Math.max(0, Math.min(needle.width - width, Math.round(point.x - width / 2)));
  const y = Math.max(0, Math.min(needle.height - height, Math.round(point.y - height / 2)));
  const image = crop(needle, [x, y, width, height]);
  // Like the label's glyphs, a core is searched only near where the window puts the target: at
  // 1.3× xcalc's "+" core matched the "+" of "+/-" 117 px away (0.831) and was clicked.
  return { image, point: { x: point.x - x, y: point.y - y }, what: 'template core', within: 0.6 * Math.max(width, height) * Math.max(1, input.scale.x, input.scale.y) };
}

/** Template match of the recorded focus crop, multi-scale, on the live frame. */
export const templateRung: Rung = { surfaces: ['web', 'x11'], ground };
