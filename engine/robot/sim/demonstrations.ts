import { TabletopScene } from '../../../core/schemas/tabletop.ts';
import { SkillframeError } from '../../../core/errors.ts';
import { jointNames } from '../arm/config.ts';
import { EpisodeRecorder, type EpisodeMeta } from '../dataset/episodes.ts';
import { pickAndPlace, homePose } from './pick-expert.ts';
import { seededRandom } from '../../../native/motors/sim/servos.ts';
import { defaultCamera, renderScene } from './render.ts';
import { followTarget, TabletopWorld } from './tabletop.ts';

/**
 * Scripted demonstrations recorded as a dataset (exportable as LeRobotDataset v3): the expert
 * picks the cube into the bin on the kinematic tabletop, the arm following each target at the
 * real step limit; every row carries the rendered camera frame. Cube and bin are jittered around
 * the scene's positions (the bin by `binJitter` when given, or anywhere in `binArea`, never on the
 * cube); only episodes that end with the cube in the bin (no collision) are kept.
 */
export const demoTask = 'put the cube in the bin';

/** A kept demonstration: its episode, and where the cube and the bin stood. */
export type DemonstrationMeta = EpisodeMeta & { success: boolean; cube: [number, number]; bin: [number, number] };

/** An area of the table: x from, x to, y from, y to (metres). */
export type TableArea = [number, number, number, number];

/** Parses "xmin,xmax,ymin,ymax" (the demo command's --bin-area). */
export function parseTableArea(text: string, field: string): TableArea {
  const values = text.split(',').map((part) => Number(part.trim()));
  if (values.length !== 4 || values.some((value) => !Number.isFinite(value) || Math.abs(value) > 1) || values[0] >= values[1] || values[2] >= values[3]) {
    throw new SkillframeError('bad_input', `${field}: expected "xmin,xmax,ymin,ymax" in metres (each within ±1, min < max), got ${JSON.stringify(text)}`);
  }
  return values as TableArea;
}

export async function recordDemonstrations(
  datasetDir: string,
  options: { scene: TabletopScene; episodes: number; jitter: number; binJitter?: number; binArea?: TableArea; seed: number; hz: number; signal?: AbortSignal; onEpisode?: (index: number, success: boolean) => void },
): Promise<{ episodes: DemonstrationMeta[]; attempts: number }> {
  const random = seededRandom(options.seed);
  const kept: DemonstrationMeta[] = [];
  let attempts = 0;
  while (kept.length < options.episodes && attempts < options.episodes * 3) {
    if (options.signal?.aborted) throw options.signal.reason;
    attempts += 1;
    const shift = (by = options.jitter) => (random() * 2 - 1) * by;
    const cube: [number, number] = [options.scene.cube.position[0] + shift(), options.scene.cube.position[1] + shift()];
    const binAt = (): [number, number] => {
      const area = options.binArea;
      if (!area) return [options.scene.bin.position[0] + shift(options.binJitter), options.scene.bin.position[1] + shift(options.binJitter)];
      // Anywhere in the area, but never on or against the cube (the expert would drop it at once).
      const clearance = options.scene.bin.size / 2 + options.scene.cube.size * 1.5;
      for (;;) {
        const point: [number, number] = [area[0] + random() * (area[1] - area[0]), area[2] + random() * (area[3] - area[2])];
        if (Math.hypot(point[0] - cube[0], point[1] - cube[1]) >= clearance) return point;
      }
    };
    const scene = TabletopScene.parse({ ...options.scene, cube: { ...options.scene.cube, position: cube }, bin: { ...options.scene.bin, position: binAt() } });
    // One speed and approach height for every demonstration: with a few dozen demos, a teacher that
    // varies them at random only adds modes the small policy has to average over.
    const targets = pickAndPlace(scene, { hz: options.hz });
    const world = new TabletopWorld(scene, homePose);
    const state: Record<string, number> = { ...homePose };
    const rows: { observation: number[]; action: number[]; image: Uint8Array }[] = [];
    for (const target of targets) {
      rows.push({ observation: jointNames.map((name) => state[name]), action: jointNames.map((name) => target[name]), image: renderScene(scene, world.state) });
      followTarget(state, target);
      world.step(state);
    }
    const success = world.state.inBin && !world.state.collided;
    options.onEpisode?.(kept.length, success);
    if (!success) continue;
    const recorder = await EpisodeRecorder.start(datasetDir, {
      task: demoTask,
      robotType: 'sim',
      fps: options.hz,
      jointNames: [...jointNames],
      cameras: [{ input: 'frames', name: 'front', width: defaultCamera.width, height: defaultCamera.height }],
    });
    rows.forEach((row, index) => recorder.append({ t: index / options.hz, observation: row.observation, action: row.action }, { front: row.image }));
    kept.push({ ...(await recorder.finish()), success, cube: scene.cube.position, bin: scene.bin.position });
  }
  return { episodes: kept, attempts };
}
