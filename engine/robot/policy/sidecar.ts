import { existsSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { SkillframeError } from '../../../core/index.ts';
import { readJsonFile, readModelFile } from '../json-file.ts';
import { PolicySidecar, type TensorSpec } from '../../../core/schemas/policy.ts';
import type { ChunkNetwork } from './onnx-policy.ts';

const { onnx } = onnxProto;

/** `policy.onnx` → `policy.json` (or `policy.onnx.json`). */
export function sidecarPath(file: string): string | undefined {
  const candidates = [file.replace(/\.onnx$/i, '.json'), `${file}.json`];
  return candidates.find((candidate) => candidate !== file && existsSync(candidate));
}

/** Reads the sidecar and checks it against the graph: names, ranks and fixed sizes must agree. */
export function readSidecar(file: string, bytes: Uint8Array): PolicySidecar {
  const path = sidecarPath(file);
  if (!path) throw new SkillframeError('not_found', `policy ${file} has no sidecar JSON (${file.replace(/\.onnx$/i, '.json')}); see docs/POLICY.md`);
  const sidecar = readJsonFile(PolicySidecar, path, 'policy sidecar', 'sidecar');
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new SkillframeError('bad_input', `policy ${file}: not an ONNX model (${(error as Error).message})`);
  }
  const initializers = new Set((model.graph?.initializer ?? []).map((tensor) => tensor.name));
  const graphInputs = (model.graph?.input ?? []).filter((input) => !initializers.has(input.name ?? ''));
  const graphOutputs = model.graph?.output ?? [];
  const declared: [string, TensorSpec][] = Object.entries(sidecar.inputs).filter((entry): entry is [string, TensorSpec] => entry[1] !== undefined);
  const check = (role: string, spec: TensorSpec, value: OnnxTypes.IValueInfoProto | undefined, kind: 'input' | 'output') => {
    const names = (kind === 'input' ? graphInputs : graphOutputs).map((candidate) => candidate.name).join(', ');
    if (!value) throw new SkillframeError('bad_input', `policy sidecar ${path}: ${kind} ${role} is named ${JSON.stringify(spec.name)}, but ${file} has no such ${kind} (it has ${names || 'none'})`);
    const dims = value.type?.tensorType?.shape?.dim ?? [];
    const shown = `[${dims.map((dim) => dim.dimParam || String(dim.dimValue ?? '?')).join(', ')}]`;
    const fits = dims.length === spec.shape.length && spec.shape.every((size, index) => size === 'batch' || !dims[index].dimValue || Number(dims[index].dimValue) === size);
    if (!fits) throw new SkillframeError('bad_input', `policy sidecar ${path}: ${kind} ${spec.name} (${role}) is ${JSON.stringify(spec.shape)} in the sidecar but ${shown} in ${file}`);
  };
  for (const [role, spec] of declared) check(role, spec, graphInputs.find((input) => input.name === spec.name), 'input');
  const undeclared = graphInputs.filter((input) => !declared.some(([, spec]) => spec.name === input.name));
  if (undeclared.length) throw new SkillframeError('bad_input', `policy sidecar ${path}: ${file} takes input ${undeclared.map((input) => input.name).join(', ')}, which the sidecar does not declare`);
  check('output', sidecar.output, graphOutputs.find((output) => output.name === sidecar.output.name), 'output');
  return sidecar;
}

export interface SidecarNetwork extends ChunkNetwork {
  readonly sidecar: PolicySidecar;
  /** The camera image for the next evaluations ([3, height, width] RGB in 0..1); needed when the policy takes one. */
  setImage(image: Float32Array): void;
}

/** Loads a joint-space ONNX policy through its sidecar; refuses a mismatch before anything moves. */
export async function loadSidecarPolicy(file: string): Promise<SidecarNetwork> {
  const bytes = readModelFile(file, 'policy file');
  const sidecar = readSidecar(file, bytes);
  const joints = sidecar.joints.length;
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const width = sidecar.chunk * joints;
  const imageShape = sidecar.inputs.image?.shape.slice(1).map(Number);
  // An image input of batch 1 is shared by every row (the encoder runs once per call); otherwise it is repeated per row.
  const sharedImage = sidecar.inputs.image?.shape[0] === 1;
  let image: Float32Array | undefined;
  let disposed = false;
  const network: SidecarNetwork = {
    sidecar,
    info: { file, kind: sidecar.kind, chunk: sidecar.chunk, observation: joints, steps: sidecar.steps, actionScale: 1, actionDims: joints },
    evaluations: 0,
    setImage(next) {
      if (imageShape && next.length !== imageShape[0] * imageShape[1] * imageShape[2]) throw new SkillframeError('bad_input', `image: expected ${imageShape.join('×')} values, got ${next.length}`);
      image = next;
    },
    async evaluate(observations, actions, times, batch) {
      if (disposed) throw new SkillframeError('internal', 'policy used after dispose');
      if (observations.length !== batch * joints || actions.length !== batch * width) throw new SkillframeError('internal', `policy batch of ${batch}: state ${observations.length}, actions ${actions.length} values`);
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
        [sidecar.inputs.state.name]: new ort.Tensor('float32', observations, [batch, joints]),
        [sidecar.inputs.actions.name]: new ort.Tensor('float32', actions, [batch, width]),
        [sidecar.inputs.time.name]: new ort.Tensor('float32', times, [batch, 1]),
      };
      if (sidecar.inputs.image && imageShape) {
        if (!image) throw new SkillframeError('unavailable', `policy ${file} needs a camera image (input ${sidecar.inputs.image.name}) and none is available`);
        if (sharedImage) feeds[sidecar.inputs.image.name] = new ort.Tensor('float32', image, [1, ...imageShape]);
        else {
          const batched = new Float32Array(batch * image.length);
          for (let row = 0; row < batch; row += 1) batched.set(image, row * image.length);
          feeds[sidecar.inputs.image.name] = new ort.Tensor('float32', batched, [batch, ...imageShape]);
        }
      }
      const result = await session.run(feeds);
      network.evaluations += batch;
      return result[sidecar.output.name].data as Float32Array;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
  return network;
}
