import { type Layout, type RewardSpec, RewardSpec as RewardSpecSchema, type RewardStage, type RewardTerm } from '../../../core/commands/robot.ts';
import { SkillframeError } from '../../../core/errors.ts';
import type { VlmProvider } from '../../../perception/models/vlm.ts';
import { travelDirection } from '../sim/reach.ts';
import { parseRewardSpec } from './reward.ts';
import { loadSharp } from '../../../native/image.ts';

/**
 * Where reward specs come from: the scene description (what a careful person — or a VLM given
 * correct keypoints — would write), a JSON file, or a VLM reply. Every source ends in the same zod
 * schema; a reply that breaks it is `bad_input` naming the field. Nothing is ever executed.
 */
export interface SceneSpecOptions {
  /** Keep-away terms around obstacles (the original VLS prompts leave these out). */
  barriers?: boolean;
  barrierWeight?: number;
  reachWeight?: number;
}

export function specFromScene(layout: Layout, options: SceneSpecOptions = {}): RewardSpec {
  const barriers = options.barriers ?? true;
  const direction = travelDirection(layout);
  const keepAway: RewardTerm[] = barriers
    ? layout.obstacles.map((obstacle) => ({ kind: 'keep_away', center: obstacle.center, radius: obstacle.radius, margin: 0.05, weight: options.barrierWeight ?? 3 }))
    : [];
  const reach: RewardTerm = { kind: 'reach', target: layout.goal, weight: options.reachWeight ?? 1 };
  const stages: RewardStage[] = [];
  const first = layout.obstacles[0];
  if (layout.constraint && first) {
    stages.push({
      name: layout.constraint === 'pass_left' ? 'pass the obstacle on the left' : 'pass the obstacle on the right',
      terms: [
        { kind: 'side', center: first.center, side: layout.constraint === 'pass_left' ? 'left' : 'right', direction, margin: first.radius + 0.07, weight: 4 },
        reach,
        ...keepAway,
      ],
      until: { kind: 'past', point: first.center, direction },
    });
  }
  stages.push({ name: 'reach the goal', terms: [reach, ...keepAway] });
  return { version: 1, stages, hold: 2 };
}

/** Parses a spec from JSON text (a file or a model reply), naming the bad field. */
export function specFromJson(text: string, what = 'spec'): RewardSpec {
  const json = extractJson(text);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new SkillframeError('bad_input', `${what}: not valid JSON (${(error as Error).message})`);
  }
  return parseRewardSpec(raw, what);
}

/** Models often wrap JSON in prose or a code fence; take the outermost object only. */
function extractJson(text: string): string {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  return start >= 0 && end > start ? text.slice(start, end + 1) : text;
}

export const specPrompt = `You write reward specs for a planar robot that moves a point from the green start to the red goal.
The image shows the scene in world coordinates (x right, y up; the grid lines are 0.1 apart). Grey circles are obstacles.
Reply with ONE JSON object and nothing else, of this shape:
{"version":1,"hold":2,"stages":[{"name":"…","terms":[TERM,…],"until":CONDITION}]}
TERM is one of {"kind":"reach","target":[x,y],"weight":w} | {"kind":"keep_away","center":[x,y],"radius":r,"margin":m,"weight":w} |
{"kind":"side","center":[x,y],"side":"left"|"right","direction":[dx,dy],"margin":m,"weight":w} | {"kind":"smooth","weight":w}.
CONDITION is {"kind":"near","point":[x,y],"within":r} or {"kind":"past","point":[x,y],"direction":[dx,dy]}; the last stage has no "until".
Instruction: `;

/** Renders the layout as an SVG picture for the VLM (and the UI). */
export function sceneSvg(layout: Layout, size = 512): string {
  const [minX, maxX, minY, maxY] = [-0.2, 1.2, -0.7, 0.7];
  const scale = size / (maxX - minX);
  const px = (x: number) => ((x - minX) * scale).toFixed(1);
  const py = (y: number) => ((maxY - y) * scale).toFixed(1);
  const grid: string[] = [];
  for (let value = -0.2; value <= 1.2001; value += 0.1) grid.push(`<line x1="${px(value)}" y1="0" x2="${px(value)}" y2="${size}" stroke="#ddd"/>`);
  for (let value = -0.7; value <= 0.7001; value += 0.1) grid.push(`<line x1="0" y1="${py(value)}" x2="${size}" y2="${py(value)}" stroke="#ddd"/>`);
  const obstacles = layout.obstacles.map((obstacle) => `<circle cx="${px(obstacle.center[0])}" cy="${py(obstacle.center[1])}" r="${(obstacle.radius * scale).toFixed(1)}" fill="#777"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="${size}" height="${size}" fill="white"/>${grid.join('')}${obstacles.join('')}<circle cx="${px(layout.start[0])}" cy="${py(layout.start[1])}" r="6" fill="green"/><circle cx="${px(layout.goal[0])}" cy="${py(layout.goal[1])}" r="6" fill="red"/></svg>`;
}

/**
 * Asks a VLM provider (perception/models) for a spec, given a picture of the scene and an
 * instruction. The provider validates the reply against the RewardSpec schema; a reply that
 * breaks it is `bad_input` naming the field. The reply is data — it is never executed.
 */
export async function specFromVision(provider: VlmProvider, layout: Layout, instruction: string, signal?: AbortSignal): Promise<RewardSpec> {
  if (!provider.supportsImages) throw new SkillframeError('unavailable', `the VLM ${provider.kind}/${provider.model} does not accept images; a reward spec needs a picture of the scene`);
  const sharp = await loadSharp();
  const png = new Uint8Array(await sharp(Buffer.from(sceneSvg(layout))).png().toBuffer());
  const result = await provider.complete({
    messages: [{ role: 'user', content: [{ type: 'text', text: specPrompt + instruction }, { type: 'image', image: png, mime: 'image/png' }] }],
    schema: RewardSpecSchema,
    temperature: 0,
    ...(signal ? { signal } : {}),
  });
  return result.value;
}
