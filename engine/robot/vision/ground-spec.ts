import { type KeypointGrounding, type KeypointRewardSpec, KeypointRewardSpec as KeypointRewardSpecSchema, type Point, type RewardSpec, type RewardTerm, type SpecPoint, type StageCondition } from '../../../core/commands/robot.ts';
import { parseOrThrow, SkillframeError } from '../../../core/index.ts';
import type { DetectorClass } from '../../../core/schemas/keypoints.ts';
import type { VlmProvider } from '../../../perception/models/vlm.ts';
import type { TabletopScene } from '../../../core/schemas/tabletop.ts';
import { homePose } from '../sim/pick-expert.ts';
import { renderScene } from '../sim/render.ts';
import { TabletopWorld } from '../sim/tabletop.ts';
import type { Detection, KeypointDetector, KeypointInstance } from './keypoints.ts';

/**
 * Perception-grounded reward specs: a spec names keypoints ("cube", "bin", "obstacle") instead
 * of coordinates; grounding replaces each name by where the keypoint detector finds it in the
 * live image. A name the detector does not know is `bad_input` (checked before anything moves);
 * a keypoint it cannot find is `not_found`. A keep-away term on a class that may have many
 * instances becomes one barrier per instance found (none found: no barrier).
 */
const isKeypoint = (point: SpecPoint): point is { keypoint: string } => !Array.isArray(point);

/** Every keypoint name the spec uses, with where (for error messages). */
export function specKeypoints(spec: KeypointRewardSpec): { name: string; field: string }[] {
  const names: { name: string; field: string }[] = [];
  spec.stages.forEach((stage, stageIndex) => {
    stage.terms.forEach((term, termIndex) => {
      const point = term.kind === 'reach' ? term.target : term.kind === 'keep_away' || term.kind === 'keep_above' || term.kind === 'side' ? term.center : undefined;
      if (point && isKeypoint(point)) names.push({ name: point.keypoint, field: `stages[${stageIndex}].terms[${termIndex}]` });
    });
    if (stage.until && isKeypoint(stage.until.point)) names.push({ name: stage.until.point.keypoint, field: `stages[${stageIndex}].until.point` });
  });
  return names;
}

/** Refuses a spec naming a keypoint the detector does not know (before the arm moves). */
export function checkSpecKeypoints(spec: KeypointRewardSpec, known: readonly string[], what = 'spec'): void {
  for (const { name, field } of specKeypoints(spec)) {
    if (!known.includes(name)) throw new SkillframeError('bad_input', `${what}.${field}: keypoint ${JSON.stringify(name)} is not one the detector finds (it knows ${known.join(', ')})`);
  }
}

export function parseKeypointSpec(raw: unknown, what = 'spec'): KeypointRewardSpec {
  return parseOrThrow(KeypointRewardSpecSchema, raw, what);
}

/** Where each keypoint the spec used was found (for reports). */
export type Grounding = KeypointGrounding;

export function groundSpec(spec: KeypointRewardSpec, detection: Detection | undefined, classes: readonly DetectorClass[], what = 'spec'): { spec: RewardSpec; grounding: Grounding } {
  const grounding: Grounding = {};
  const instances = (name: string, field: string): KeypointInstance[] => {
    const rule = classes.find((entry) => entry.name === name);
    if (!rule || !detection) throw new SkillframeError('bad_input', `${what}.${field}: keypoint ${JSON.stringify(name)} needs a keypoint detector that knows it${detection ? ` (it knows ${classes.slice(1).map((entry) => entry.name).join(', ')})` : ''}`);
    const found = detection.keypoints[name] ?? [];
    grounding[name] = found.map((instance) => ({ point: round(instance.point), area: instance.area, candidates: found.length, ...(instance.top !== undefined ? { top: instance.top } : {}) }));
    return found;
  };
  const best = (keypoint: string, field: string): KeypointInstance => {
    const found = instances(keypoint, field);
    // The most confident blob (findKeypoints sorts them): a look-alike gets lower class probabilities.
    if (!found.length) throw new SkillframeError('not_found', `${what}.${field}: keypoint ${JSON.stringify(keypoint)} is not in the camera image (the detector found no ${keypoint})`);
    return found[0];
  };
  const one = (point: SpecPoint, field: string): Point => (isKeypoint(point) ? round(best(point.keypoint, field).point) : point);
  const many = (point: { keypoint: string }) => classes.find((entry) => entry.name === point.keypoint)?.instances === 'many';
  // A keep_above's top comes from the image unless the spec gives it.
  const measuredTop = (instance: KeypointInstance, keypoint: string, field: string): number => {
    if (instance.top === undefined || !(instance.top > 0)) throw new SkillframeError('not_found', `${what}.${field}.top: the height of keypoint ${JSON.stringify(keypoint)} could not be measured in the camera image`);
    return instance.top;
  };
  const stages = spec.stages.map((stage, stageIndex) => {
    const terms: RewardTerm[] = [];
    stage.terms.forEach((term, termIndex) => {
      const field = `stages[${stageIndex}].terms[${termIndex}]`;
      switch (term.kind) {
        case 'reach':
          terms.push({ ...term, target: one(term.target, field) });
          break;
        case 'side':
          terms.push({ ...term, center: one(term.center, field) });
          break;
        case 'keep_away':
          if (isKeypoint(term.center) && many(term.center)) {
            for (const instance of instances(term.center.keypoint, field)) terms.push({ ...term, center: round(instance.point) });
          } else terms.push({ ...term, center: one(term.center, field) });
          break;
        case 'keep_above': {
          const center = term.center;
          if (!isKeypoint(center)) {
            if (term.top === undefined) throw new SkillframeError('bad_input', `${what}.${field}.top: a keep_above at coordinates needs the obstacle's top (metres)`);
            terms.push({ ...term, center, top: term.top });
          } else {
            const chosen = many(center) ? instances(center.keypoint, field) : [best(center.keypoint, field)];
            // The column stands on the object's measured axis (its foot), not on its blob's centre.
            for (const instance of chosen) terms.push({ ...term, center: round(instance.foot ?? instance.point), top: term.top ?? measuredTop(instance, center.keypoint, field) });
          }
          break;
        }
        case 'smooth':
          terms.push(term);
      }
    });
    // A stage whose only terms were barriers around absent obstacles still needs a term.
    if (!terms.length) terms.push({ kind: 'smooth', weight: 0.1 });
    const until: StageCondition | undefined = stage.until ? { ...stage.until, point: one(stage.until.point, `stages[${stageIndex}].until.point`) } : undefined;
    return { name: stage.name, terms, ...(until ? { until } : {}) };
  });
  return { spec: { version: 1, hold: spec.hold, stages }, grounding };
}

function round(point: readonly number[]): Point {
  return [Math.round(point[0] * 1e4) / 1e4, Math.round(point[1] * 1e4) / 1e4];
}

export const tabletopSpecPrompt = (keypoints: readonly string[]) => `You write reward specs that steer a robot arm's policy over a table. The image is the arm's camera.
Points are named keypoints that a detector finds in the image — use them, never coordinates: ${keypoints.map((name) => `{"keypoint":"${name}"}`).join(', ')}.
Reply with ONE JSON object and nothing else, of this shape:
{"version":1,"hold":6,"stages":[{"name":"…","terms":[TERM,…],"until":CONDITION}]}
TERM is one of {"kind":"reach","target":POINT,"weight":w} | {"kind":"keep_away","center":POINT,"radius":r,"margin":m,"weight":w} | {"kind":"keep_above","center":POINT,"radius":r,"clearance":c,"weight":w} | {"kind":"smooth","weight":w}.
A keep_away or keep_above on a keypoint that can appear several times applies to each one seen; keep_above keeps the gripper above that object's top (its height is measured from the image) while it passes over it. Radii, margins and clearances are in metres.
CONDITION is {"kind":"near","point":POINT,"within":r} (the gripper within r of the point on the table) | {"kind":"grasped","point":POINT,"within":r} (the jaws closed within r of it: use it to end a stage that picks the object up); the last stage has no "until".
Instruction: `;

/**
 * Asks a VLM for a spec from the camera image and the instruction. The reply is validated
 * against the keypoint spec schema and checked against the detector's names; it is data and is
 * never executed.
 */
export async function specFromCamera(provider: VlmProvider, png: Uint8Array, instruction: string, keypoints: readonly string[], signal?: AbortSignal): Promise<KeypointRewardSpec> {
  if (!provider.supportsImages) throw new SkillframeError('unavailable', `the VLM ${provider.kind}/${provider.model} does not accept images; a reward spec needs the camera image`);
  const result = await provider.complete({
    messages: [{ role: 'user', content: [{ type: 'text', text: tabletopSpecPrompt(keypoints) + instruction }, { type: 'image', image: png, mime: 'image/png' }] }],
    schema: KeypointRewardSpecSchema,
    temperature: 0,
    ...(signal ? { signal } : {}),
  });
  checkSpecKeypoints(result.value, keypoints, `${provider.kind} reply`);
  return result.value;
}

/**
 * The tabletop's camera at the start pose → the VLM's spec (from the image and the instruction)
 * → its keypoints grounded by the detector in the same frame.
 */
export async function specFromSceneCamera(scene: TabletopScene, detector: KeypointDetector, provider: VlmProvider, instruction: string, signal?: AbortSignal): Promise<{ written: KeypointRewardSpec; spec: RewardSpec; grounding: Grounding; detectorMs: number }> {
  const world = new TabletopWorld(scene, homePose);
  const rgb = renderScene(scene, world.state);
  const { width, height } = detector.sidecar.camera;
  const sharp = (await import('sharp')).default;
  const png = new Uint8Array(await sharp(Buffer.from(rgb), { raw: { width, height, channels: 3 } }).png().toBuffer());
  const written = await specFromCamera(provider, png, instruction, detector.names, signal);
  const detection = await detector.detect(rgb);
  const { spec, grounding } = groundSpec(written, detection, detector.sidecar.classes, `${scene.name} spec`);
  return { written, spec, grounding, detectorMs: detection.ms };
}
