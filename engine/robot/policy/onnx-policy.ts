import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

/** onnx-proto is CommonJS: its namespace arrives as the default export. */
const { onnx } = onnxProto;
import { SkillframeError } from '../../../core/errors.ts';
import type { PolicyKind } from './scheme.ts';
import { appResource } from '../../../native/app-root.ts';

/** The committed policy (trained by `npm run train:policy`), found through the app root so it resolves from source, bundle and asar alike. */
export const defaultPolicyFile = appResource('engine', 'robot', 'policy', 'assets', 'reach-flow.onnx');

export interface PolicyInfo {
  file: string;
  kind: PolicyKind;
  chunk: number;
  observation: number;
  steps: number;
  actionScale: number;
  /** Values per action: 2 for the planar reach policy, one per joint for an arm policy. */
  actionDims: number;
}

/**
 * A frozen action-chunk network behind onnxruntime-node. One call evaluates a whole batch of
 * particles: rows of (observation, noisy chunk, time) → velocity (flow) or noise (ddpm).
 */
export interface ChunkNetwork {
  readonly info: PolicyInfo;
  /** Network evaluations so far (batch rows), for matching methods on compute. */
  evaluations: number;
  evaluate(observations: Float32Array, actions: Float32Array, times: Float32Array, batch: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** Reads the policy's contract from the file itself and refuses a file whose inputs do not fit. */
export function inspectPolicy(file: string, bytes: Uint8Array): PolicyInfo {
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new SkillframeError('bad_input', `policy ${file}: not an ONNX model (${(error as Error).message})`);
  }
  const meta = new Map((model.metadataProps ?? []).map((entry) => [entry.key ?? '', entry.value ?? '']));
  const kindText = meta.get('skillframe.kind') ?? 'flow';
  if (kindText !== 'flow' && kindText !== 'ddpm') throw new SkillframeError('bad_input', `policy ${file}: metadata skillframe.kind must be flow or ddpm, got ${JSON.stringify(kindText)}`);
  const chunk = Number(meta.get('skillframe.chunk') ?? 16);
  const observation = Number(meta.get('skillframe.observation') ?? 2);
  const steps = Number(meta.get('skillframe.steps') ?? 10);
  const actionScale = Number(meta.get('skillframe.actionScale') ?? 0.05);
  for (const [name, value] of Object.entries({ chunk, observation, steps, actionScale })) {
    if (!Number.isFinite(value) || value <= 0) throw new SkillframeError('bad_input', `policy ${file}: metadata skillframe.${name} must be a positive number, got ${JSON.stringify(meta.get(`skillframe.${name}`))}`);
  }
  const expected: Record<string, number> = { observation, actions: chunk * 2, time: 1 };
  const inputs = model.graph?.input ?? [];
  const initializers = new Set((model.graph?.initializer ?? []).map((tensor) => tensor.name));
  const real = inputs.filter((input) => !initializers.has(input.name ?? ''));
  for (const [name, width] of Object.entries(expected)) {
    const input = real.find((candidate) => candidate.name === name);
    if (!input) throw new SkillframeError('bad_input', `policy ${file}: input ${name} is missing (inputs: ${real.map((candidate) => candidate.name).join(', ') || 'none'})`);
    const dims = input.type?.tensorType?.shape?.dim ?? [];
    const shown = `[${dims.map((dim) => dim.dimParam || String(dim.dimValue ?? '?')).join(', ')}]`;
    const last = dims[1];
    if (dims.length !== 2 || !last || Number(last.dimValue ?? 0) !== width) {
      throw new SkillframeError('bad_input', `policy ${file}: input ${name} must have shape [batch, ${width}], got ${shown}`);
    }
  }
  for (const name of Object.keys(expected)) {
    if (!real.some((candidate) => candidate.name === name)) continue;
  }
  const extra = real.filter((input) => !(input.name ?? '' in expected) && !Object.hasOwn(expected, input.name ?? ''));
  if (extra.length) throw new SkillframeError('bad_input', `policy ${file}: unexpected input ${extra[0].name}`);
  return { file, kind: kindText, chunk, observation, steps, actionScale, actionDims: 2 };
}

export async function loadPolicy(file: string = defaultPolicyFile): Promise<ChunkNetwork> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new SkillframeError('not_found', `policy file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const info = inspectPolicy(file, bytes);
  const ort = await import('onnxruntime-node');
  // One intra-op thread: the batches are tiny, and thread hand-offs cost more than they save.
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const width = info.chunk * 2;
  let disposed = false;
  const network: ChunkNetwork = {
    info,
    evaluations: 0,
    async evaluate(observations, actions, times, batch) {
      if (disposed) throw new SkillframeError('internal', 'policy used after dispose');
      if (observations.length !== batch * info.observation) throw new SkillframeError('bad_input', `observation: expected ${batch}×${info.observation} values, got ${observations.length}`);
      if (actions.length !== batch * width) throw new SkillframeError('bad_input', `actions: expected ${batch}×${width} values, got ${actions.length}`);
      const result = await session.run({
        observation: new ort.Tensor('float32', observations, [batch, info.observation]),
        actions: new ort.Tensor('float32', actions, [batch, width]),
        time: new ort.Tensor('float32', times, [batch, 1]),
      });
      network.evaluations += batch;
      return result.output.data as Float32Array;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
  return network;
}
