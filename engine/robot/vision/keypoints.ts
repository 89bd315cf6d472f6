import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { SkillframeError } from '../../../core/index.ts';
import { readJsonFile, readModelFile } from '../json-file.ts';
import { type DetectorClass, DetectorSidecar } from '../../../core/schemas/keypoints.ts';
import type { Network } from '../policy/network.ts';
import { backProject, type Camera, pixelRay } from '../sim/render.ts';

const { onnx } = onnxProto;

/** The detector trained in the repo for the SO-101 tabletop camera (./train-detector.ts). */
export const defaultDetectorFile = fileURLToPath(new URL('./assets/so101-keypoints.onnx', import.meta.url));

/**
 * The tabletop keypoint detector: a small convolutional network (a k × k convolution to a few
 * SiLU features, then a 1 × 1 convolution to class scores and a softmax over classes) that labels
 * every pixel of the camera image; blobs of a class become keypoints, their centres back-projected
 * onto the table. It is trained in the repo on rendered frames (./train-detector.ts), kept as
 * ONNX + sidecar, and run through onnxruntime. Reward specs name its keypoints instead of true
 * positions (./ground-spec.ts).
 */
export interface DetectorShape {
  kernel: number;
  hidden: number;
  classes: number;
}

/** ONNX nodes of the detector from `input` ([batch, 3, H, W]) to `output` ([batch, classes, H, W] probabilities), weights named with `prefix`. */
export function detectorGraph(network: Network, shape: DetectorShape, input: string, output: string, prefix = 'detector_'): { nodes: OnnxTypes.INodeProto[]; initializer: OnnxTypes.ITensorProto[] } {
  const { kernel, hidden, classes } = shape;
  const patch = 3 * kernel * kernel;
  if (network.sizes.join() !== [patch, hidden, classes].join()) throw new SkillframeError('internal', `detector network sizes ${network.sizes.join('×')} do not match ${patch}×${hidden}×${classes}`);
  // network.ts keeps weights as [inputs × outputs]; Conv wants [outputs, channels, kh, kw] with input index c·k² + y·k + x.
  const transpose = (weight: Float32Array, inputs: number, outputs: number) => {
    const out = new Float32Array(weight.length);
    for (let i = 0; i < inputs; i += 1) for (let o = 0; o < outputs; o += 1) out[o * inputs + i] = weight[i * outputs + o];
    return out;
  };
  const tensor = (name: string, dims: number[], values: Float32Array) =>
    onnx.TensorProto.create({ name: prefix + name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) });
  const ints = (name: string, values: number[]) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
  const node = (opType: string, inputs: string[], outputs: string[], attribute: OnnxTypes.IAttributeProto[] = []) => onnx.NodeProto.create({ opType, input: inputs, output: outputs, name: outputs[0], attribute });
  const pad = (kernel - 1) / 2;
  return {
    initializer: [
      tensor('w1', [hidden, 3, kernel, kernel], transpose(network.weights[0], patch, hidden)),
      tensor('b1', [hidden], network.biases[0]),
      tensor('w2', [classes, hidden, 1, 1], transpose(network.weights[1], hidden, classes)),
      tensor('b2', [classes], network.biases[1]),
    ],
    nodes: [
      node('Conv', [input, `${prefix}w1`, `${prefix}b1`], [`${prefix}pre`], [ints('kernel_shape', [kernel, kernel]), ints('pads', [pad, pad, pad, pad])]),
      node('Sigmoid', [`${prefix}pre`], [`${prefix}gate`]),
      node('Mul', [`${prefix}pre`, `${prefix}gate`], [`${prefix}features`]),
      node('Conv', [`${prefix}features`, `${prefix}w2`, `${prefix}b2`], [`${prefix}scores`], [ints('kernel_shape', [1, 1])]),
      node('Softmax', [`${prefix}scores`], [output], [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 })]),
    ],
  };
}

export function exportDetectorOnnx(network: Network, shape: DetectorShape, camera: Camera): Uint8Array {
  const { nodes, initializer } = detectorGraph(network, shape, 'image', 'probabilities');
  const dims = (values: (number | string)[]) => ({ dim: values.map((value) => (typeof value === 'string' ? { dimParam: value } : { dimValue: value })) });
  const graph = onnx.GraphProto.create({
    name: 'skillframe_tabletop_keypoints',
    node: nodes,
    initializer,
    input: [onnx.ValueInfoProto.create({ name: 'image', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: dims(['batch', 3, camera.height, camera.width]) } } })],
    output: [onnx.ValueInfoProto.create({ name: 'probabilities', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: dims(['batch', shape.classes, camera.height, camera.width]) } } })],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'skillframe', producerVersion: '1', opsetImport: [{ domain: '', version: 13 }], graph });
  return onnx.ModelProto.encode(model).finish();
}

/** One blob of a class: its centre on the table (metres), in the image (pixels), its size and mean probability. */
export interface KeypointInstance {
  point: [number, number];
  pixel: [number, number];
  area: number;
  score: number;
  /** How high the object stands above the table (m), and where its axis meets the table, measured from the blob's outline (`uprightObject`); absent when they cannot be measured. */
  top?: number;
  foot?: [number, number];
}

export interface Detection {
  /** Instances per class name (background left out), most confident (highest mean probability) first. */
  keypoints: Record<string, KeypointInstance[]>;
  ms: number;
}

/**
 * Blobs of each class in the probability maps ([classes, H, W]): 4-connected pixels above the
 * class threshold, centre weighted by probability, back-projected onto the class's plane.
 */
export function findKeypoints(probabilities: Float32Array, classes: readonly DetectorClass[], camera: Camera): Record<string, KeypointInstance[]> {
  const { width, height } = camera;
  const plane = width * height;
  const seen = new Uint8Array(plane);
  const stack: number[] = [];
  const result: Record<string, KeypointInstance[]> = {};
  for (let index = 1; index < classes.length; index += 1) {
    const spec = classes[index];
    const offset = index * plane;
    seen.fill(0);
    const found: KeypointInstance[] = [];
    for (let start = 0; start < plane; start += 1) {
      if (seen[start] || probabilities[offset + start] < spec.threshold) continue;
      let area = 0;
      let mass = 0;
      let sumX = 0;
      let sumY = 0;
      // The blob's lowest and highest rows (with the mean column of each) and its widest extent.
      const lowest = { row: -1, columns: 0, count: 0 };
      const highest = { row: height, columns: 0, count: 0 };
      let left = width;
      let right = -1;
      seen[start] = 1;
      stack.push(start);
      while (stack.length) {
        const pixel = stack.pop()!;
        const p = probabilities[offset + pixel];
        const x = pixel % width;
        const y = (pixel - x) / width;
        area += 1;
        mass += p;
        sumX += p * (x + 0.5);
        sumY += p * (y + 0.5);
        for (const [edge, beyond] of [[lowest, y > lowest.row], [highest, y < highest.row]] as const) {
          if (beyond) Object.assign(edge, { row: y, columns: 0, count: 0 });
          if (y === edge.row) {
            edge.columns += x + 0.5;
            edge.count += 1;
          }
        }
        left = Math.min(left, x);
        right = Math.max(right, x);
        for (const next of [x > 0 ? pixel - 1 : -1, x + 1 < width ? pixel + 1 : -1, y > 0 ? pixel - width : -1, y + 1 < height ? pixel + width : -1]) {
          if (next >= 0 && !seen[next] && probabilities[offset + next] >= spec.threshold) {
            seen[next] = 1;
            stack.push(next);
          }
        }
      }
      if (area < spec.minArea) continue;
      const pixel: [number, number] = [sumX / mass, sumY / mass];
      const point = backProject(camera, pixel[0], pixel[1], spec.planeHeight);
      const upright = uprightObject(camera, [lowest.columns / lowest.count, lowest.row + 1], [highest.columns / highest.count, highest.row], right - left + 1);
      if (point) found.push({ point, pixel, area, score: mass / area, ...(upright ?? {}) });
    }
    // Most confident first: a look-alike (a red distractor) is as large as the cube but the detector is less sure of it.
    found.sort((a, b) => b.score - a.score);
    result[spec.name] = found;
  }
  return result;
}

/**
 * An upright object's height and axis from its blob in one image (`bottom`, `top`: the pixel
 * column and row of the blob's lower and upper edges, mid-row). The camera looks down at the
 * table from the front, so the blob's lowest row is the near foot of the object (on the table,
 * z = 0) and its highest row the far edge of its top. The object is about as deep as it is wide;
 * its width in metres is the blob's width in pixels at the foot's depth. The top is where the ray
 * through the highest row has gone that depth beyond the foot; the axis stands half that depth
 * beyond the foot. Flat objects (the bin) give a top of ~0. (The blob's centre, back-projected on
 * one fitted plane, drifts toward the camera the taller the object is.)
 */
export function uprightObject(camera: Camera, bottom: [number, number], top: [number, number], widthPixels: number): { top: number; foot: [number, number] } | undefined {
  if (![...bottom, ...top].every(Number.isFinite)) return undefined;
  const foot = backProject(camera, bottom[0], bottom[1], 0);
  if (!foot) return undefined;
  const { focal } = pixelRay(camera, bottom[0], bottom[1]);
  const [ex, ey, ez] = camera.eye;
  const depth = Math.hypot(foot[0] - ex, foot[1] - ey, ez);
  const objectWidth = (widthPixels * depth) / focal;
  const { ray } = pixelRay(camera, top[0], top[1]);
  // |eye + t·ray − foot| on the table plane = objectWidth: the larger root of a quadratic in t.
  const ox = ex - foot[0];
  const oy = ey - foot[1];
  const a = ray[0] * ray[0] + ray[1] * ray[1];
  const b = 2 * (ox * ray[0] + oy * ray[1]);
  const c = ox * ox + oy * oy - objectWidth * objectWidth;
  const discriminant = b * b - 4 * a * c;
  if (a < 1e-12 || discriminant < 0) return undefined;
  const t = (-b + Math.sqrt(discriminant)) / (2 * a);
  const away = Math.hypot(ox, oy) || 1;
  const round = (value: number) => Math.round(value * 1e4) / 1e4;
  return { top: round(Math.max(0, ez + t * ray[2])), foot: [round(foot[0] - (ox / away) * (objectWidth / 2)), round(foot[1] - (oy / away) * (objectWidth / 2))] };
}

export interface KeypointDetector {
  readonly file: string;
  readonly sidecar: DetectorSidecar;
  /** Names a reward spec may use (every class but the background). */
  readonly names: string[];
  /** Keypoints in one RGB frame (height × width × 3 bytes). */
  detect(rgb: Uint8Array): Promise<Detection>;
  dispose(): Promise<void>;
}

export function readDetectorSidecar(file: string): DetectorSidecar {
  const path = file.replace(/\.onnx$/i, '.json');
  if (path === file || !existsSync(path)) throw new SkillframeError('not_found', `keypoint detector ${file} has no sidecar JSON (${path})`);
  return readJsonFile(DetectorSidecar, path, 'detector sidecar', 'sidecar');
}

export async function loadKeypointDetector(file: string): Promise<KeypointDetector> {
  const bytes = readModelFile(file, 'keypoint detector');
  const sidecar = readDetectorSidecar(file);
  const ort = await import('onnxruntime-node');
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  } catch (error) {
    throw new SkillframeError('bad_input', `keypoint detector ${file}: onnxruntime cannot load it (${(error as Error).message})`);
  }
  if (!session.inputNames.includes(sidecar.input.name) || !session.outputNames.includes(sidecar.output.name)) {
    await session.release();
    throw new SkillframeError('bad_input', `detector sidecar: input ${sidecar.input.name} / output ${sidecar.output.name}, but ${file} has inputs ${session.inputNames.join(', ')} and outputs ${session.outputNames.join(', ')}`);
  }
  const { camera } = sidecar;
  const plane = camera.width * camera.height;
  const input = new Float32Array(3 * plane);
  return {
    file,
    sidecar,
    names: sidecar.classes.slice(1).map((entry) => entry.name),
    async detect(rgb) {
      if (rgb.length !== plane * 3) throw new SkillframeError('bad_input', `image: expected ${camera.width}×${camera.height} RGB (${plane * 3} bytes), got ${rgb.length}`);
      const started = performance.now();
      for (let pixel = 0; pixel < plane; pixel += 1) {
        input[pixel] = rgb[pixel * 3] / 255;
        input[plane + pixel] = rgb[pixel * 3 + 1] / 255;
        input[2 * plane + pixel] = rgb[pixel * 3 + 2] / 255;
      }
      const result = await session.run({ [sidecar.input.name]: new ort.Tensor('float32', input, [1, 3, camera.height, camera.width]) });
      const probabilities = result[sidecar.output.name].data as Float32Array;
      if (probabilities.length !== sidecar.classes.length * plane) throw new SkillframeError('bad_input', `keypoint detector ${file} returned ${probabilities.length} values; its sidecar says ${sidecar.classes.length} classes of ${camera.width}×${camera.height}`);
      return { keypoints: findKeypoints(probabilities, sidecar.classes, camera), ms: performance.now() - started };
    },
    dispose: () => session.release(),
  };
}

/** Detector classes the policy encoder summarises (cube, bin), each as x, y and presence. */
export const encoderClasses = ['cube', 'bin'] as const;
export const encoderFeatures = encoderClasses.length * 3;

/**
 * The image encoder of keypoint-conditioned policies: the detector's probability maps, then a
 * spatial soft-argmax per class (Levine et al.'s keypoint encoder, here on class maps): with
 * w = relu(p − ½), the expected column and row in −1..1 and a presence m / (m + 4), m = Σ w.
 * Returned as ONNX nodes from `image` to `output` ([batch, 6]) so a policy graph can embed it,
 * and as a stand-alone model for computing the features while training.
 */
export function keypointEncoder(detectorFile: string, output = 'keypoint_features'): { nodes: OnnxTypes.INodeProto[]; initializer: OnnxTypes.ITensorProto[]; model: Uint8Array; sidecar: DetectorSidecar } {
  const sidecar = readDetectorSidecar(detectorFile);
  let detector: OnnxTypes.ModelProto;
  try {
    detector = onnx.ModelProto.decode(readFileSync(detectorFile));
  } catch (error) {
    throw new SkillframeError('bad_input', `keypoint detector ${detectorFile}: not an ONNX model (${(error as Error).message})`);
  }
  const indices = encoderClasses.map((name) => sidecar.classes.findIndex((entry) => entry.name === name));
  if (indices.some((index) => index < 0)) throw new SkillframeError('bad_input', `keypoint detector ${detectorFile} lacks the classes ${encoderClasses.join(', ')} a policy encoder needs`);
  if (indices.some((index, at) => index !== indices[0] + at)) throw new SkillframeError('bad_input', `keypoint detector ${detectorFile}: classes ${encoderClasses.join(', ')} must be adjacent`);
  const { width, height } = sidecar.camera;
  const floats = (name: string, dims: number[], values: Float32Array) =>
    onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) });
  const longs = (name: string, values: number[]) => {
    const data = BigInt64Array.from(values.map((value) => BigInt(value)));
    return onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) });
  };
  const node = (opType: string, inputs: string[], outputs: string[], attribute: OnnxTypes.IAttributeProto[] = []) => onnx.NodeProto.create({ opType, input: inputs, output: outputs, name: outputs[0], attribute });
  const int = (name: string, value: number) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
  const columns = new Float32Array(width * height);
  const rows = new Float32Array(width * height);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      columns[y * width + x] = ((x + 0.5) / width) * 2 - 1;
      rows[y * width + x] = ((y + 0.5) / height) * 2 - 1;
    }
  }
  const probabilities = sidecar.output.name;
  const initializer = [
    ...(detector.graph?.initializer ?? []),
    longs('kp_starts', [indices[0]]),
    longs('kp_ends', [indices[0] + indices.length]),
    longs('kp_axes', [1]),
    longs('kp_spatial', [2, 3]),
    floats('kp_half', [1], Float32Array.of(0.5)),
    floats('kp_epsilon', [1], Float32Array.of(1e-3)),
    floats('kp_four', [1], Float32Array.of(4)),
    floats('kp_columns', [1, 1, height, width], columns),
    floats('kp_rows', [1, 1, height, width], rows),
  ];
  const nodes = [
    ...(detector.graph?.node ?? []),
    node('Slice', [probabilities, 'kp_starts', 'kp_ends', 'kp_axes'], ['kp_maps']),
    node('Sub', ['kp_maps', 'kp_half'], ['kp_shifted']),
    node('Relu', ['kp_shifted'], ['kp_weight']),
    node('ReduceSum', ['kp_weight', 'kp_spatial'], ['kp_mass'], [int('keepdims', 0)]),
    node('Add', ['kp_mass', 'kp_epsilon'], ['kp_mass_safe']),
    node('Mul', ['kp_weight', 'kp_columns'], ['kp_weighted_columns']),
    node('ReduceSum', ['kp_weighted_columns', 'kp_spatial'], ['kp_column_sum'], [int('keepdims', 0)]),
    node('Div', ['kp_column_sum', 'kp_mass_safe'], ['kp_column']),
    node('Mul', ['kp_weight', 'kp_rows'], ['kp_weighted_rows']),
    node('ReduceSum', ['kp_weighted_rows', 'kp_spatial'], ['kp_row_sum'], [int('keepdims', 0)]),
    node('Div', ['kp_row_sum', 'kp_mass_safe'], ['kp_row']),
    node('Add', ['kp_mass', 'kp_four'], ['kp_mass_four']),
    node('Div', ['kp_mass', 'kp_mass_four'], ['kp_presence']),
    node('Concat', ['kp_column', 'kp_row', 'kp_presence'], [output], [int('axis', 1)]),
  ];
  const inputInfo = detector.graph?.input?.find((entry) => entry.name === sidecar.input.name);
  if (!inputInfo) throw new SkillframeError('bad_input', `keypoint detector ${detectorFile} has no input ${sidecar.input.name}`);
  const graph = onnx.GraphProto.create({
    name: 'skillframe_keypoint_encoder',
    node: nodes,
    initializer,
    input: [inputInfo],
    output: [onnx.ValueInfoProto.create({ name: output, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: encoderFeatures }] } } } })],
  });
  const model = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, producerName: 'skillframe', producerVersion: '1', opsetImport: [{ domain: '', version: 13 }], graph })).finish();
  return { nodes, initializer, model, sidecar };
}

/**
 * The keypoint encoder as a running model: camera tensors ([3, H, W] in 0..1) → features (cube
 * and bin x, y, presence). Used to encode training frames and as the image embedding in
 * retrieve-then-steer memory keys (../steer/success-memory.ts).
 */
export interface KeypointEncoderSession {
  readonly width: number;
  encode(tensors: readonly Float32Array[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export async function loadKeypointEncoder(detectorFile: string = defaultDetectorFile): Promise<KeypointEncoderSession> {
  const { model, sidecar } = keypointEncoder(detectorFile);
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const { width, height } = sidecar.camera;
  const plane = 3 * width * height;
  return {
    width: encoderFeatures,
    async encode(tensors) {
      const out: Float32Array[] = [];
      for (let start = 0; start < tensors.length; start += 64) {
        const batch = tensors.slice(start, start + 64);
        const input = new Float32Array(batch.length * plane);
        batch.forEach((tensor, row) => {
          if (tensor.length !== plane) throw new SkillframeError('bad_input', `image: expected 3×${height}×${width} values, got ${tensor.length}`);
          input.set(tensor, row * plane);
        });
        const result = await session.run({ [sidecar.input.name]: new ort.Tensor('float32', input, [batch.length, 3, height, width]) });
        const values = result.keypoint_features.data as Float32Array;
        for (let row = 0; row < batch.length; row += 1) out.push(values.slice(row * encoderFeatures, (row + 1) * encoderFeatures));
      }
      return out;
    },
    dispose: () => session.release(),
  };
}
