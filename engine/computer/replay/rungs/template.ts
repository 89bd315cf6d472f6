import type { Box, RgbaImage } from '../../../../native/image.ts';
import { crop } from '../../../../native/image.ts';
import { findTemplate } from '../../../../perception/template.ts';
import type { Point } from '../surface.ts';
import { disambiguate, farFromWindowPosition, lumaSpread, type Grounding, type GroundingInput, type Rung } from './rung.ts';

async function ground(input: GroundingInput): Promise<Grounding | string> {
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

/** Template match of the recorded focus crop, multi-scale, on the live frame. */
export const templateRung: Rung = { surfaces: ['web', 'x11'], ground };
