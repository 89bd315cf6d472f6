import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SkillframeError } from '../../../core/index.ts';
import type { PolicySidecar } from '../../../core/schemas/policy.ts';
import { episodeFile, listEpisodes, readEpisodeFrames } from '../dataset/episodes.ts';
import { decodeFrames } from '../dataset/video.ts';
import { Random } from '../sim/reach.ts';
import { defaultCamera } from '../sim/render.ts';
import { cameraTensor } from '../sim/scenes.ts';
import { keypointEncoder, loadKeypointEncoder } from '../vision/keypoints.ts';
import { Adam, backward, createNetwork, forward, inputSize, writeFeatures } from './network.ts';
import type { PolicyKind } from './scheme.ts';
import { corruptChunk, exportOnnx, squaredError } from './train.ts';

/**
 * Trains an image-conditioned joint-space policy (flow or DDPM) from a recorded dataset —
 * scripted demonstrations or teleoperation — and writes it as ONNX plus its sidecar
 * (docs/POLICY.md). Input: the normalised joint state and the camera image through a frozen
 * encoder — the keypoint detector's class maps summarised by a spatial soft-argmax (cube and bin:
 * x, y, presence; ../vision/keypoints.ts), or, without a detector, 8 × 8 average pooling of the
 * 96 × 72 view (324 values) — then the same MLP as the planar policy (hand-written backward
 * pass, Adam). The encoder is part of the exported graph, so the policy still takes the raw image.
 * Kept small so it trains in minutes on 2 cores.
 */
export interface ArmTrainOptions {
  kind?: PolicyKind;
  steps?: number;
  batch?: number;
  hidden?: number;
  chunk?: number;
  execute?: number;
  denoise?: number;
  seed?: number;
  /** Keypoint detector (ONNX + sidecar) whose maps become the image encoder; without it, 8 × 8 average pooling. */
  detector?: string;
  /** Write the policy (ONNX + sidecar) every this many steps as well as at the end, so a long run leaves usable snapshots. */
  checkpointEvery?: number;
  signal?: AbortSignal;
  onProgress?: (step: number, loss: number) => void;
}

export const pool = 8;

/** The encoder in TypeScript, matching the exported AveragePool + Flatten (channel-major). */
export function poolImage(rgb: Uint8Array, width = defaultCamera.width, height = defaultCamera.height): Float32Array {
  const columns = Math.floor(width / pool);
  const rows = Math.floor(height / pool);
  const out = new Float32Array(3 * rows * columns);
  for (let channel = 0; channel < 3; channel += 1) {
    for (let row = 0; row < rows; row += 1) {
      for (let column = 0; column < columns; column += 1) {
        let sum = 0;
        for (let y = 0; y < pool; y += 1) for (let x = 0; x < pool; x += 1) sum += rgb[((row * pool + y) * width + column * pool + x) * 3 + channel];
        out[channel * rows * columns + row * columns + column] = sum / (pool * pool * 255);
      }
    }
  }
  return out;
}

function stats(rows: number[][]): { mean: number[]; std: number[] } {
  const width = rows[0].length;
  const mean = Array.from({ length: width }, (_, index) => rows.reduce((sum, row) => sum + row[index], 0) / rows.length);
  // A floor keeps a joint that barely moved in the demonstrations from blowing up when it does.
  const std = mean.map((value, index) => Math.max(5, Math.sqrt(rows.reduce((sum, row) => sum + (row[index] - value) ** 2, 0) / rows.length)));
  return { mean: mean.map((value) => Math.round(value * 1000) / 1000), std: std.map((value) => Math.round(value * 1000) / 1000) };
}

export async function trainArmPolicy(datasetDir: string, out: string, options: ArmTrainOptions = {}): Promise<{ sidecar: PolicySidecar; losses: number[]; samples: number; episodes: number }> {
  const kind = options.kind ?? 'flow';
  const chunk = options.chunk ?? 10;
  const episodes = listEpisodes(datasetDir).filter((episode) => (episode.length ?? 0) > 0);
  if (!episodes.length) throw new SkillframeError('not_found', `dataset ${datasetDir} has no finished episodes to train on`);
  const joints = episodes[0].jointNames;
  const camera = episodes[0].cameras.find((candidate) => candidate.name === 'front') ?? episodes[0].cameras[0];
  if (!camera) throw new SkillframeError('bad_input', `dataset ${datasetDir} has no camera; an image-conditioned policy needs one`);
  const encoder = options.detector ? keypointEncoder(options.detector) : undefined;
  const encode = options.detector ? await loadKeypointEncoder(options.detector) : undefined;
  const states: number[][] = [];
  const actions: number[][] = [];
  const images: Float32Array[] = [];
  const starts: number[] = [];
  for (const episode of episodes) {
    if (episode.jointNames.join() !== joints.join()) throw new SkillframeError('bad_input', `episode ${episode.index} has joints ${episode.jointNames.join(',')}, unlike ${joints.join(',')}`);
    const frames = readEpisodeFrames(datasetDir, episode.index);
    const video = await decodeFrames(episodeFile(datasetDir, episode.index, camera.file), defaultCamera.width, defaultCamera.height);
    if (video.length !== frames.length) throw new SkillframeError('bad_input', `episode ${episode.index}: ${video.length} video frames for ${frames.length} rows`);
    starts.push(states.length);
    const encoded = encode ? await encode.encode(video.map((rgb) => cameraTensor(rgb))) : video.map((rgb) => poolImage(rgb));
    frames.forEach((frame, index) => {
      states.push(frame.observation);
      actions.push(frame.action);
      images.push(encoded[index]);
    });
  }
  await encode?.dispose();
  starts.push(states.length);
  const stateStats = stats(states);
  const actionStats = stats(actions);
  const dims = joints.length;
  const imageWidth = images[0].length;
  const width = chunk * dims;
  // One sample per row: the normalised state + pooled image, and the next `chunk` actions (the last one repeated past the end).
  const observations = new Float32Array(states.length * (dims + imageWidth));
  const chunks = new Float32Array(states.length * width);
  for (let episode = 0; episode + 1 < starts.length; episode += 1) {
    for (let row = starts[episode]; row < starts[episode + 1]; row += 1) {
      states[row].forEach((value, joint) => (observations[row * (dims + imageWidth) + joint] = (value - stateStats.mean[joint]) / stateStats.std[joint]));
      observations.set(images[row], row * (dims + imageWidth) + dims);
      for (let step = 0; step < chunk; step += 1) {
        const source = Math.min(row + step, starts[episode + 1] - 1);
        actions[source].forEach((value, joint) => (chunks[row * width + step * dims + joint] = (value - actionStats.mean[joint]) / actionStats.std[joint]));
      }
    }
  }
  const random = new Random(options.seed ?? 7);
  const shape = { observation: dims + imageWidth, action: width, hidden: options.hidden ?? 128, layers: 3 };
  const network = createNetwork(shape, () => random.next());
  const optimizer = new Adam([...network.weights, ...network.biases]);
  const steps = options.steps ?? 3000;
  const batch = options.batch ?? 64;
  const features = new Float32Array(batch * inputSize(shape));
  const target = new Float32Array(batch * width);
  const noisy = new Float32Array(width);
  const losses: number[] = [];
  const block = Math.max(1, Math.floor(steps / 20));
  let blockLoss = 0;
  let blockCount = 0;
  const write = (): PolicySidecar => {
    const denoise = options.denoise ?? 10;
    const bytes = exportOnnx(
      network,
      { kind, chunk, observation: dims + imageWidth, steps: denoise, actionScale: 1 },
      { state: dims, height: defaultCamera.height, width: defaultCamera.width, encoder: encoder ? { kind: 'graph', nodes: encoder.nodes, initializer: encoder.initializer, output: 'keypoint_features' } : { kind: 'pool', pool } },
    );
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, bytes);
    const sidecar: PolicySidecar = {
      version: 1,
      kind,
      steps: denoise,
      chunk,
      execute: options.execute ?? Math.max(1, Math.floor(chunk / 2)),
      fps: episodes[0].fps,
      joints,
      inputs: {
        state: { name: 'state', shape: ['batch', dims] },
        actions: { name: 'actions', shape: ['batch', width] },
        time: { name: 'time', shape: ['batch', 1] },
        image: { name: 'image', shape: [encoder ? 1 : 'batch', 3, defaultCamera.height, defaultCamera.width] },
      },
      output: { name: 'output', shape: ['batch', width] },
      normalisation: { state: stateStats, action: actionStats },
      // Blending each new plan with the previous one where they overlap halves the sampling noise the arm sees.
      ensemble: 0.5,
    };
    writeFileSync(out.replace(/\.onnx$/i, '.json'), `${JSON.stringify(sidecar, null, 2)}\n`);
    return sidecar;
  };
  for (let step = 0; step < steps; step += 1) {
    if (options.signal?.aborted) throw new SkillframeError('aborted', 'training was cancelled');
    for (let row = 0; row < batch; row += 1) {
      const sample = Math.floor(random.next() * states.length);
      const time = random.next();
      corruptChunk(kind, chunks, sample * width, width, time, random, noisy, target, row * width);
      writeFeatures(features, row * inputSize(shape), observations, sample * (dims + imageWidth), noisy, 0, time, shape);
    }
    const { output, trace } = forward(network, features, batch);
    const { loss, gradient } = squaredError(output, target);
    const gradients = backward(network, trace, gradient);
    const rate = 2e-3 * Math.min(1, (step + 1) / 100) * (0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * step) / steps)));
    optimizer.update([...gradients.weights, ...gradients.biases], rate);
    blockLoss += loss;
    blockCount += 1;
    if (blockCount === block || step === steps - 1) {
      losses.push(blockLoss / blockCount);
      options.onProgress?.(step + 1, blockLoss / blockCount);
      blockLoss = 0;
      blockCount = 0;
    }
    if (options.checkpointEvery && (step + 1) % options.checkpointEvery === 0 && step + 1 < steps) write();
  }
  const sidecar = write();
  return { sidecar, losses, samples: states.length, episodes: episodes.length };
}
