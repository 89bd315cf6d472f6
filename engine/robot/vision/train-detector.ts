import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { TabletopScene } from '../../../core/schemas/tabletop.ts';
import type { DetectorClass, DetectorSidecar } from '../../../core/schemas/keypoints.ts';
import { Adam, backward, forward, type Network } from '../policy/network.ts';
import { homePose, pickAndPlace } from '../sim/pick-expert.ts';
import { Random } from '../sim/reach.ts';
import { type Camera, defaultCamera, renderLabels, renderScene, sceneLabels } from '../sim/render.ts';
import { followTarget, TabletopWorld } from '../sim/tabletop.ts';
import { type DetectorShape, exportDetectorOnnx, findKeypoints } from './keypoints.ts';

/**
 * Trains the tabletop keypoint detector on rendered frames: random scenes (cube, bin, obstacles,
 * distractors of any colour, lighting and table colour varied well beyond the benchmark's), the
 * arm caught mid pick-and-place so it occludes and carries the cube. Every pixel's label comes
 * from rendering the same frame with class ids (../sim/render.ts renderLabels). Each step is a
 * class-balanced batch of pixels (half the background ones from non-table pixels: arm,
 * distractors, edges). Held-out frames then fit each class's back-projection height and
 * measure recall and table-plane error, written into the sidecar.
 */
export interface DetectorTrainOptions {
  frames?: number;
  validationFrames?: number;
  steps?: number;
  batch?: number;
  hidden?: number;
  kernel?: number;
  seed?: number;
  camera?: Camera;
  onProgress?: (step: number, loss: number) => void;
}

interface Frame {
  scene: TabletopScene;
  rgb: Uint8Array;
  labels: Uint8Array;
  cube: [number, number];
  /** Pixels of each label, and background pixels that are not bare table. */
  pixels: number[][];
  hard: number[];
}

const classRules: Omit<DetectorClass, 'planeHeight'>[] = [
  { name: 'background', threshold: 1, minArea: 1, instances: 'many' },
  { name: 'cube', threshold: 0.5, minArea: 3, instances: 'one' },
  { name: 'bin', threshold: 0.5, minArea: 8, instances: 'one' },
  { name: 'obstacle', threshold: 0.5, minArea: 10, instances: 'many' },
];

/** A random tabletop scene inside the arm's reach, varied in every way the renderer allows. */
export function randomScene(random: Random, name: string): TabletopScene {
  const uniform = (low: number, high: number) => low + (high - low) * random.next();
  const place = (): [number, number] => [uniform(-0.16, 0.18), uniform(-0.35, -0.13)];
  const cube = place();
  let bin = place();
  while (Math.hypot(bin[0] - cube[0], bin[1] - cube[1]) < 0.09) bin = place();
  const clear = (point: [number, number], from: number) => Math.hypot(point[0] - cube[0], point[1] - cube[1]) > from && Math.hypot(point[0] - bin[0], point[1] - bin[1]) > from + 0.03;
  const colour = (): [number, number, number] => [random.next(), random.next(), random.next()];
  const obstacles = Array.from({ length: Math.floor(random.next() * 2.4) }, () => {
    let position = place();
    while (!clear(position, 0.06)) position = place();
    return { position, radius: uniform(0.012, 0.03), height: uniform(0.04, 0.16) };
  });
  const distractors = Array.from({ length: Math.floor(random.next() * 3.5) }, () => {
    let position = place();
    while (!clear(position, 0.045)) position = place();
    // A third of the distractors are reddish: the detector must not take them for the cube.
    const tone: [number, number, number] = random.next() < 0.33 ? [uniform(0.5, 1), uniform(0, 0.45), uniform(0, 0.45)] : colour();
    return { position, size: uniform(0.015, 0.045), colour: tone };
  });
  return TabletopScene.parse({
    name,
    cube: { position: cube, size: uniform(0.025, 0.035) },
    bin: { position: bin, size: uniform(0.07, 0.11) },
    obstacles,
    distractors,
    lighting: { brightness: uniform(0.5, 1.5), tint: [uniform(0.75, 1), uniform(0.75, 1), uniform(0.75, 1)] },
    table: { colour: [uniform(0.4, 0.7), uniform(0.4, 0.65), uniform(0.35, 0.6)] },
  });
}

function renderFrames(count: number, random: Random, camera: Camera): Frame[] {
  const frames: Frame[] = [];
  while (frames.length < count) {
    const scene = randomScene(random, `detector-${frames.length}`);
    const targets = pickAndPlace(scene, { random: () => random.next() });
    // A few moments of the pick and place: the arm above, around and carrying the cube.
    const ticks = new Set(Array.from({ length: 3 }, () => Math.floor(random.next() * targets.length)));
    ticks.add(0);
    const world = new TabletopWorld(scene, homePose);
    const state: Record<string, number> = { ...homePose };
    for (let tick = 0; tick < targets.length && frames.length < count; tick += 1) {
      if (ticks.has(tick)) {
        const rendered = renderScene(scene, world.state, camera);
        // Half the frames as a recorded video delivers them (4:2:0 chroma): datasets store mp4.
        const rgb = random.next() < 0.5 ? chromaSubsampled(rendered, camera) : rendered;
        const labels = renderLabels(scene, world.state, camera);
        const pixels: number[][] = sceneLabels.map(() => []);
        const hard: number[] = [];
        const table = scene.table.colour.map((value, channel) => Math.round(Math.min(255, value * scene.lighting.tint[channel] * scene.lighting.brightness * 0.9 * 255)));
        for (let pixel = 0; pixel < labels.length; pixel += 1) {
          pixels[labels[pixel]].push(pixel);
          if (labels[pixel] === 0 && (Math.abs(rgb[pixel * 3] - table[0]) > 2 || Math.abs(rgb[pixel * 3 + 1] - table[1]) > 2 || Math.abs(rgb[pixel * 3 + 2] - table[2]) > 2)) hard.push(pixel);
        }
        frames.push({ scene, rgb, labels, cube: [world.state.cube[0], world.state.cube[1]], pixels, hard });
      }
      followTarget(state, targets[tick]);
      world.step(state);
    }
  }
  return frames;
}

/** The frame after a YCbCr 4:2:0 round trip (chroma averaged over 2 × 2 pixels), as libx264's yuv420p leaves it. */
export function chromaSubsampled(rgb: Uint8Array, camera: Camera): Uint8Array {
  const { width, height } = camera;
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x += 2) {
      const block: number[] = [];
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) if (x + dx < width && y + dy < height) block.push(((y + dy) * width + x + dx) * 3);
      let cb = 0;
      let cr = 0;
      for (const at of block) {
        const [r, g, b] = [rgb[at], rgb[at + 1], rgb[at + 2]];
        cb += -0.168736 * r - 0.331264 * g + 0.5 * b;
        cr += 0.5 * r - 0.418688 * g - 0.081312 * b;
      }
      cb /= block.length;
      cr /= block.length;
      for (const at of block) {
        const luma = 0.299 * rgb[at] + 0.587 * rgb[at + 1] + 0.114 * rgb[at + 2];
        out[at] = Math.max(0, Math.min(255, Math.round(luma + 1.402 * cr)));
        out[at + 1] = Math.max(0, Math.min(255, Math.round(luma - 0.344136 * cb - 0.714136 * cr)));
        out[at + 2] = Math.max(0, Math.min(255, Math.round(luma + 1.772 * cb)));
      }
    }
  }
  return out;
}

/** The k × k × 3 patch around a pixel (zero outside the image), channel-major as Conv weights expect. */
function writePatch(into: Float32Array, offset: number, rgb: Uint8Array, pixel: number, kernel: number, camera: Camera): void {
  const { width, height } = camera;
  const x = pixel % width;
  const y = (pixel - x) / width;
  const half = (kernel - 1) / 2;
  let at = offset;
  for (let channel = 0; channel < 3; channel += 1) {
    for (let dy = -half; dy <= half; dy += 1) {
      for (let dx = -half; dx <= half; dx += 1) {
        const column = x + dx;
        const row = y + dy;
        into[at++] = column < 0 || row < 0 || column >= width || row >= height ? 0 : rgb[(row * width + column) * 3 + channel] / 255;
      }
    }
  }
}

/** Class probabilities of every pixel ([classes, H, W]), computed in TypeScript (the same maths as the ONNX graph). */
export function detectInTypeScript(network: Network, shape: DetectorShape, rgb: Uint8Array, camera: Camera): Float32Array {
  const plane = camera.width * camera.height;
  const patch = 3 * shape.kernel * shape.kernel;
  const input = new Float32Array(plane * patch);
  for (let pixel = 0; pixel < plane; pixel += 1) writePatch(input, pixel * patch, rgb, pixel, shape.kernel, camera);
  const { output } = forward(network, input, plane);
  const out = new Float32Array(shape.classes * plane);
  for (let pixel = 0; pixel < plane; pixel += 1) {
    let max = -Infinity;
    for (let label = 0; label < shape.classes; label += 1) max = Math.max(max, output[pixel * shape.classes + label]);
    let sum = 0;
    for (let label = 0; label < shape.classes; label += 1) sum += Math.exp(output[pixel * shape.classes + label] - max);
    for (let label = 0; label < shape.classes; label += 1) out[label * plane + pixel] = Math.exp(output[pixel * shape.classes + label] - max) / sum;
  }
  return out;
}

export function trainKeypointDetector(out: string, options: DetectorTrainOptions = {}): { sidecar: DetectorSidecar; losses: number[]; network: Network; shape: DetectorShape } {
  const camera = options.camera ?? defaultCamera;
  const random = new Random(options.seed ?? 11);
  const shape: DetectorShape = { kernel: options.kernel ?? 5, hidden: options.hidden ?? 16, classes: sceneLabels.length };
  const patch = 3 * shape.kernel * shape.kernel;
  const frames = renderFrames(options.frames ?? 400, random, camera);
  const validation = renderFrames(options.validationFrames ?? 80, random, camera);
  const sizes = [patch, shape.hidden, shape.classes];
  const network: Network = {
    shape: { observation: patch, action: shape.classes, hidden: shape.hidden, layers: 1 },
    sizes,
    weights: [0, 1].map((layer) => Float32Array.from({ length: sizes[layer] * sizes[layer + 1] }, () => (random.next() * 2 - 1) * Math.sqrt(6 / sizes[layer]) * 0.5)),
    biases: [0, 1].map((layer) => new Float32Array(sizes[layer + 1])),
  };
  const optimizer = new Adam([...network.weights, ...network.biases]);
  const steps = options.steps ?? 4000;
  const batch = options.batch ?? 256;
  const input = new Float32Array(batch * patch);
  const labels = new Uint8Array(batch);
  const losses: number[] = [];
  let blockLoss = 0;
  const block = Math.max(1, Math.floor(steps / 20));
  for (let step = 0; step < steps; step += 1) {
    for (let row = 0; row < batch; row += 1) {
      let frame = frames[Math.floor(random.next() * frames.length)];
      let label = Math.floor(random.next() * shape.classes);
      // A class this frame lacks (the cube hidden under the arm, no obstacle): another frame.
      while (!frame.pixels[label].length) {
        frame = frames[Math.floor(random.next() * frames.length)];
        label = Math.floor(random.next() * shape.classes);
      }
      const pool = label === 0 && frame.hard.length && random.next() < 0.5 ? frame.hard : frame.pixels[label];
      writePatch(input, row * patch, frame.rgb, pool[Math.floor(random.next() * pool.length)], shape.kernel, camera);
      labels[row] = label;
    }
    const { output, trace } = forward(network, input, batch);
    const gradient = new Float32Array(output.length);
    let loss = 0;
    for (let row = 0; row < batch; row += 1) {
      const offset = row * shape.classes;
      let max = -Infinity;
      for (let label = 0; label < shape.classes; label += 1) max = Math.max(max, output[offset + label]);
      let sum = 0;
      for (let label = 0; label < shape.classes; label += 1) sum += Math.exp(output[offset + label] - max);
      for (let label = 0; label < shape.classes; label += 1) {
        const probability = Math.exp(output[offset + label] - max) / sum;
        gradient[offset + label] = (probability - (label === labels[row] ? 1 : 0)) / batch;
        if (label === labels[row]) loss -= Math.log(Math.max(1e-12, probability)) / batch;
      }
    }
    const gradients = backward(network, trace, gradient);
    optimizer.update([...gradients.weights, ...gradients.biases], 3e-3 * (0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * step) / steps))));
    blockLoss += loss;
    if ((step + 1) % block === 0) {
      losses.push(blockLoss / block);
      options.onProgress?.(step + 1, blockLoss / block);
      blockLoss = 0;
    }
  }
  // Held-out frames: fit each class's plane height, then measure recall and table-plane error with it.
  const maps = validation.map((frame) => detectInTypeScript(network, shape, frame.rgb, camera));
  const truth = (frame: Frame, name: string): [number, number][] =>
    name === 'cube' ? [frame.cube] : name === 'bin' ? [frame.scene.bin.position] : frame.scene.obstacles.map((obstacle) => obstacle.position);
  const classes: DetectorClass[] = [];
  const report: NonNullable<DetectorSidecar['validation']> = {};
  for (const [index, rule] of classRules.entries()) {
    if (index === 0) {
      classes.push({ ...rule, planeHeight: 0 });
      continue;
    }
    let best = { planeHeight: 0, meanError: Infinity, recall: 0, frames: 0 };
    for (let height = 0; height <= 0.1; height += 0.0025) {
      const candidate: DetectorClass = { ...rule, planeHeight: Math.round(height * 1e4) / 1e4 };
      let error = 0;
      let matched = 0;
      let expected = 0;
      validation.forEach((frame, at) => {
        if (!frame.pixels[index].length) return;
        const found = findKeypoints(maps[at], classes.concat(candidate).map((entry, slot) => (slot === index ? entry : { ...entry, threshold: 2 })), camera)[rule.name] ?? [];
        for (const point of truth(frame, rule.name)) {
          expected += 1;
          const nearest = Math.min(...found.map((instance) => Math.hypot(instance.point[0] - point[0], instance.point[1] - point[1])));
          if (nearest < 0.05) {
            matched += 1;
            error += nearest;
          }
        }
      });
      const meanError = matched ? error / matched : Infinity;
      if (meanError < best.meanError) best = { planeHeight: candidate.planeHeight, meanError, recall: expected ? matched / expected : 0, frames: validation.length };
    }
    classes.push({ ...rule, planeHeight: best.planeHeight });
    report[rule.name] = { meanError: Number.isFinite(best.meanError) ? Math.round(best.meanError * 1e4) / 1e4 : null, recall: Math.round(best.recall * 1000) / 1000, frames: best.frames };
  }
  const sidecar: DetectorSidecar = {
    version: 1,
    classes,
    input: { name: 'image', shape: ['batch', 3, camera.height, camera.width] },
    output: { name: 'probabilities' },
    camera: { width: camera.width, height: camera.height, eye: camera.eye, target: camera.target, fov: camera.fov },
    validation: report,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, exportDetectorOnnx(network, shape, camera));
  writeFileSync(out.replace(/\.onnx$/i, '.json'), `${JSON.stringify(sidecar, null, 2)}\n`);
  return { sidecar, losses, network, shape };
}
