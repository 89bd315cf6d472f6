import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

/** onnx-proto is CommonJS: its namespace arrives as the default export. */
const { onnx } = onnxProto;
import { SkillframeError } from '../../../core/errors.ts';
import { chunkDataset, demonstrate } from '../sim/expert.ts';
import { Random, task, trainingLayout } from '../sim/reach.ts';
import { Adam, backward, createNetwork, forward, inputSize, type Network, parameterCount, timeFrequencies, writeFeatures } from './network.ts';
import { alphaBar, type PolicyKind } from './scheme.ts';

export interface TrainOptions {
  kind?: PolicyKind;
  steps?: number;
  batch?: number;
  hidden?: number;
  layers?: number;
  demonstrations?: number;
  seed?: number;
  learningRate?: number;
  signal?: AbortSignal;
  onProgress?: (step: number, loss: number) => void;
  /** Share of each batch drawn from the first steps of demos, where the modes fork. */
  forkShare?: number;
  /** Called every `checkpointEvery` steps with the current weights (long runs keep usable snapshots). */
  checkpointEvery?: number;
  onCheckpoint?: (network: Network, step: number) => void;
  /** Continue from these weights (same shape) instead of a fresh initialisation. */
  initial?: Network;
}

export interface TrainedPolicy {
  network: Network;
  kind: PolicyKind;
  /** Mean loss per block of steps (for checking that it falls). */
  losses: number[];
  leftShare: number;
  samples: number;
}

/**
 * Trains the action-chunk policy by behaviour cloning on expert demos of the training layout:
 * flow matching (velocity target) or DDPM (noise target). Plain TypeScript, no framework.
 */
export function trainPolicy(options: TrainOptions = {}): TrainedPolicy {
  const kind = options.kind ?? 'flow';
  const steps = options.steps ?? 10000;
  const batch = options.batch ?? 64;
  const random = new Random(options.seed ?? 7);
  const demos = Array.from({ length: options.demonstrations ?? 400 }, () => demonstrate(trainingLayout, random));
  const leftShare = demos.filter((demo) => demo.side === 'left').length / demos.length;
  const data = chunkDataset(demos);
  const action = task.chunk * 2;
  const forkShare = options.forkShare ?? 0.25;
  const shape = { observation: 2, action, hidden: options.hidden ?? 96, layers: options.layers ?? 3 };
  const network = options.initial ?? createNetwork(shape, () => random.next());
  if (options.initial && (options.initial.shape.hidden !== shape.hidden || options.initial.shape.layers !== shape.layers)) {
    throw new SkillframeError('bad_input', `initial network has hidden ${options.initial.shape.hidden} × ${options.initial.shape.layers} layers, training asked for ${shape.hidden} × ${shape.layers}`);
  }
  const optimizer = new Adam([...network.weights, ...network.biases]);
  const width = inputSize(shape);
  const features = new Float32Array(batch * width);
  const target = new Float32Array(batch * action);
  const noisy = new Float32Array(action);
  const losses: number[] = [];
  const block = Math.max(1, Math.floor(steps / 20));
  let blockLoss = 0;
  let blockCount = 0;
  const baseRate = options.learningRate ?? 2e-3;
  for (let step = 0; step < steps; step += 1) {
    if (options.signal?.aborted) throw new SkillframeError('aborted', 'training was cancelled');
    for (let row = 0; row < batch; row += 1) {
      // The modes split only at the first steps (a few % of the rows); oversampling them gives the
      // flow enough signal to learn the fork instead of a blurred mean through the obstacle.
      const sample = random.next() < forkShare ? data.forks[Math.floor(random.next() * data.forks.length)] : Math.floor(random.next() * data.count);
      // Half the times are drawn with density 2(1 − t), toward the noise end where the flow
      // decides between the detour modes; the other half uniformly.
      const draw = random.next();
      const time = random.next() < 0.5 ? draw : 1 - Math.sqrt(draw);
      corruptChunk(kind, data.chunks, sample * action, action, time, random, noisy, target, row * action);
      writeFeatures(features, row * width, data.observations, sample * 2, noisy, 0, time, shape);
    }
    const { output, trace } = forward(network, features, batch);
    const { loss, gradient } = squaredError(output, target);
    const gradients = backward(network, trace, gradient);
    const warm = Math.min(1, (step + 1) / 100);
    const rate = baseRate * warm * (0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * step) / steps)));
    optimizer.update([...gradients.weights, ...gradients.biases], rate);
    blockLoss += loss;
    blockCount += 1;
    if (options.onCheckpoint && options.checkpointEvery && (step + 1) % options.checkpointEvery === 0) options.onCheckpoint(network, step + 1);
    if (blockCount === block || step === steps - 1) {
      losses.push(blockLoss / blockCount);
      options.onProgress?.(step + 1, blockLoss / blockCount);
      blockLoss = 0;
      blockCount = 0;
    }
  }
  return { network, kind, losses, leftShare, samples: data.count };
}

/**
 * One training example's noisy chunk and regression target at flow/diffusion time `time`:
 * flow x_t = (1 − t) ε + t a with target a − ε; DDPM x_t = √ᾱ a + √(1 − ᾱ) ε with target ε.
 */
export function corruptChunk(kind: PolicyKind, chunks: Float32Array, offset: number, width: number, time: number, random: Random, noisy: Float32Array, target: Float32Array, targetOffset: number): void {
  for (let index = 0; index < width; index += 1) {
    const clean = chunks[offset + index];
    const noise = random.normal();
    if (kind === 'flow') {
      noisy[index] = (1 - time) * noise + time * clean;
      target[targetOffset + index] = clean - noise;
    } else {
      const alpha = alphaBar(time);
      noisy[index] = Math.sqrt(alpha) * clean + Math.sqrt(1 - alpha) * noise;
      target[targetOffset + index] = noise;
    }
  }
}

/** Mean squared error and its gradient over the output. */
export function squaredError(output: Float32Array, target: Float32Array): { loss: number; gradient: Float32Array } {
  const gradient = new Float32Array(output.length);
  let loss = 0;
  for (let index = 0; index < output.length; index += 1) {
    const difference = output[index] - target[index];
    loss += difference * difference;
    gradient[index] = (2 * difference) / output.length;
  }
  return { loss: loss / output.length, gradient };
}

/** Reads the weights back from an ONNX file this module wrote (to continue training). */
export function importOnnx(bytes: Uint8Array): Network {
  const model = onnx.ModelProto.decode(bytes);
  const tensors = new Map((model.graph?.initializer ?? []).map((tensor) => [tensor.name ?? '', tensor]));
  const weights: Float32Array[] = [];
  const biases: Float32Array[] = [];
  const read = (tensor: OnnxTypes.ITensorProto) => {
    const raw = tensor.rawData ?? new Uint8Array();
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  };
  const sizes: number[] = [];
  for (let layer = 0; tensors.has(`weight${layer}`); layer += 1) {
    const weight = tensors.get(`weight${layer}`)!;
    const dims = (weight.dims ?? []).map(Number);
    if (layer === 0) sizes.push(dims[0]);
    sizes.push(dims[1]);
    weights.push(read(weight));
    biases.push(read(tensors.get(`bias${layer}`)!));
  }
  if (weights.length < 2) throw new SkillframeError('bad_input', 'policy: not a network written by Skillframe (no weight0/weight1 initializers)');
  const action = sizes[sizes.length - 1];
  const observation = sizes[0] - action - 1 - 2 * timeFrequencies.length;
  return { shape: { observation, action, hidden: sizes[1], layers: weights.length - 1 }, weights, biases, sizes };
}

export interface PolicyMetadata {
  kind: PolicyKind;
  chunk: number;
  observation: number;
  steps: number;
  actionScale: number;
}

/**
 * Writes the network as an ONNX graph (opset 13): inputs observation, actions, time → output.
 * With `image`, the graph takes `state` [batch, joints] and `image` [batch, 3, H, W] instead of
 * `observation`, and builds the observation itself: the state, then the image encoded by the
 * encoder (average-pooled by `pool` × `pool` and flattened channel-major, or an embedded graph such
 * as the keypoint encoder; see ./arm-train.ts).
 */
export type ImageEncoder =
  | { kind: 'pool'; pool: number }
  /** ONNX nodes from `image` to `output` ([batch, features]), e.g. the keypoint encoder of ../vision/keypoints.ts. */
  | { kind: 'graph'; nodes: OnnxTypes.INodeProto[]; initializer: OnnxTypes.ITensorProto[]; output: string };

export function exportOnnx(network: Network, metadata: PolicyMetadata, image?: { state: number; height: number; width: number; encoder: ImageEncoder }): Uint8Array {
  const { shape } = network;
  const floatTensor = (name: string, dims: number[], values: Float32Array) =>
    onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) });
  const valueInfo = (name: string, width: number) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: width }] } } },
    });
  const node = (opType: string, input: string[], output: string[], attribute: OnnxTypes.IAttributeProto[] = []) =>
    onnx.NodeProto.create({ opType, input, output, name: output[0], attribute });

  const longTensor = (name: string, values: number[]) => onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
  const initializer: OnnxTypes.ITensorProto[] = [
    floatTensor('frequencies', [1, timeFrequencies.length], Float32Array.from(timeFrequencies)),
    ...(image?.encoder.kind === 'graph' ? [...image.encoder.initializer, longTensor('zero_index', [0]), longTensor('one_index', [1]), longTensor('two_index', [2])] : []),
  ];
  const ints = (name: string, values: number[]) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
  const nodes: OnnxTypes.INodeProto[] = [
    ...(image?.encoder.kind === 'pool'
      ? [
          node('AveragePool', ['image'], ['pooled'], [ints('kernel_shape', [image.encoder.pool, image.encoder.pool]), ints('strides', [image.encoder.pool, image.encoder.pool])]),
          node('Flatten', ['pooled'], ['pooled_flat'], [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 })]),
          node('Concat', ['state', 'pooled_flat'], ['observation'], [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 })]),
        ]
      : []),
    // A graph encoder sees one image per call ([1, 3, H, W]): every particle and denoising row of
    // the batch shares it, so the encoder runs once per call however many particles are sampled.
    ...(image?.encoder.kind === 'graph'
      ? [
          ...image.encoder.nodes,
          node('Shape', ['state'], ['state_shape']),
          node('Slice', ['state_shape', 'zero_index', 'one_index'], ['batch_size']),
          node('Shape', [image.encoder.output], ['encoded_shape']),
          node('Slice', ['encoded_shape', 'one_index', 'two_index'], ['encoded_width']),
          node('Concat', ['batch_size', 'encoded_width'], ['encoded_batch_shape'], [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 })]),
          node('Expand', [image.encoder.output, 'encoded_batch_shape'], ['encoded_batch']),
          node('Concat', ['state', 'encoded_batch'], ['observation'], [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 })]),
        ]
      : []),
    node('Mul', ['time', 'frequencies'], ['angle']),
    node('Sin', ['angle'], ['sine']),
    node('Cos', ['angle'], ['cosine']),
    node('Concat', ['observation', 'actions', 'time', 'sine', 'cosine'], ['features'], [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 })]),
  ];
  let current = 'features';
  for (let layer = 0; layer < network.weights.length; layer += 1) {
    initializer.push(floatTensor(`weight${layer}`, [network.sizes[layer], network.sizes[layer + 1]], network.weights[layer]));
    initializer.push(floatTensor(`bias${layer}`, [network.sizes[layer + 1]], network.biases[layer]));
    const last = layer === network.weights.length - 1;
    nodes.push(node('MatMul', [current, `weight${layer}`], [`product${layer}`]));
    nodes.push(node('Add', [`product${layer}`, `bias${layer}`], [last ? 'output' : `pre${layer}`]));
    if (!last) {
      nodes.push(node('Sigmoid', [`pre${layer}`], [`gate${layer}`]));
      nodes.push(node('Mul', [`pre${layer}`, `gate${layer}`], [`hidden${layer}`]));
      current = `hidden${layer}`;
    }
  }
  const graph = onnx.GraphProto.create({
    name: 'skillframe_action_chunk_policy',
    node: nodes,
    initializer,
    input: [
      ...(image
        ? [
            valueInfo('state', image.state),
            onnx.ValueInfoProto.create({
              name: 'image',
              type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [image.encoder.kind === 'graph' ? { dimValue: 1 } : { dimParam: 'batch' }, { dimValue: 3 }, { dimValue: image.height }, { dimValue: image.width }] } } },
            }),
          ]
        : [valueInfo('observation', shape.observation)]),
      valueInfo('actions', shape.action),
      valueInfo('time', 1),
    ],
    output: [valueInfo('output', shape.action)],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'skillframe',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 13 }],
    graph,
    metadataProps: Object.entries({ ...metadata, parameters: parameterCount(network) }).map(([key, value]) => onnx.StringStringEntryProto.create({ key: `skillframe.${key}`, value: String(value) })),
  });
  return onnx.ModelProto.encode(model).finish();
}
