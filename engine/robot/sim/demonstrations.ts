import { TabletopScene } from '../../../core/schemas/tabletop.ts';
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
 * the scene's positions (the bin by `binJitter` when given); only episodes that end with the cube in the bin (no collision) are kept.
 */
export const demoTask = 'put the cube in the bin';

export async function recordDemonstrations(
  datasetDir: string,
  options: { scene: TabletopScene; episodes: number; jitter: number; binJitter?: number; seed: number; hz: number; signal?: AbortSignal; onEpisode?: (index: number, success: boolean) => void },
): Promise<{ episodes: (EpisodeMeta & { success: boolean })[]; attempts: number }> {
  const random = seededRandom(options.seed);
  const kept: (EpisodeMeta & { success: boolean })[] = [];
  let attempts = 0;
  while (kept.length < options.episodes && attempts < options.episodes * 3) {
    if (options.signal?.aborted) throw options.signal.reason;
    attempts += 1;
    const shift = (by = options.jitter) => (random() * 2 - 1) * by;
    const scene = TabletopScene.parse({
      ...options.scene,
      cube: { ...options.scene.cube, position: [options.scene.cube.position[0] + shift(), options.scene.cube.position[1] + shift()] },
      bin: { ...options.scene.bin, position: [options.scene.bin.position[0] + shift(options.binJitter), options.scene.bin.position[1] + shift(options.binJitter)] },
    });
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
    kept.push({ ...(await recorder.finish()), success });
  }
  return { episodes: kept, attempts };
}
