import { writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { PolicySidecar } from '../../core/schemas/policy.ts';

const { onnx } = onnxProto;

/**
 * Writes an "externally trained" joint-space flow policy the way another toolchain would: its
 * own input names (obs_state, noisy_chunk, flow_t → velocity) and a sidecar that maps them. The
 * graph is the exact flow velocity toward one target chunk, target = state / 4 + delta
 * (normalised units; the arm settles at 4/3 delta): v = (target − x_t) / (1 − t). Enough to test the contract, the safety path
 * and steering without training anything.
 */
export const externalJoints = ['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper'];

export function writeExternalFlowPolicy(file: string, options: { chunk?: number; delta?: number[]; names?: Partial<Record<'state' | 'actions' | 'time' | 'output', string>> } = {}): PolicySidecar {
  const chunk = options.chunk ?? 10;
  const joints = externalJoints.length;
  const width = chunk * joints;
  const delta = options.delta ?? [0.5, 0, 0.75, 0.5, 0, 0];
  const names = { state: 'obs_state', actions: 'noisy_chunk', time: 'flow_t', output: 'velocity', ...options.names };
  const floatTensor = (name: string, dims: number[], values: number[]) => {
    const data = Float32Array.from(values);
    return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer) });
  };
  const valueInfo = (name: string, dims: (number | 'batch')[]) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((dim) => (dim === 'batch' ? { dimParam: 'batch' } : { dimValue: dim })) } } } });
  const node = (opType: string, input: string[], output: string[]) => onnx.NodeProto.create({ opType, input, output, name: output[0] });
  const graph = onnx.GraphProto.create({
    name: 'external_flow_policy',
    node: [
      node('Tile', ['obs_state_in', 'repeats'], ['tiled']),
      node('Mul', ['tiled', 'gain'], ['pulled']),
      node('Add', ['pulled', 'delta'], ['target']),
      node('Sub', ['target', 'noisy_in'], ['difference']),
      node('Sub', ['one', 'time_in'], ['remaining']),
      node('Div', ['difference', 'remaining'], ['velocity_out']),
    ].map((entry) => {
      // Rename graph-facing tensors to the external names.
      entry.input = entry.input!.map((name) => (name === 'obs_state_in' ? names.state : name === 'noisy_in' ? names.actions : name === 'time_in' ? names.time : name));
      entry.output = entry.output!.map((name) => (name === 'velocity_out' ? names.output : name));
      return entry;
    }),
    initializer: [
      onnx.TensorProto.create({ name: 'repeats', dims: [2], dataType: onnx.TensorProto.DataType.INT64, int64Data: [1, chunk] }),
      floatTensor('delta', [1, width], Array.from({ length: width }, (_, index) => delta[index % joints])),
      floatTensor('one', [1, 1], [1.0001]),
      floatTensor('gain', [1, 1], [0.25]),
    ] as OnnxTypes.ITensorProto[],
    input: [valueInfo(names.state, ['batch', joints]), valueInfo(names.actions, ['batch', width]), valueInfo(names.time, ['batch', 1])],
    output: [valueInfo(names.output, ['batch', width])],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'external-trainer', opsetImport: [{ domain: '', version: 13 }], graph });
  writeFileSync(file, onnx.ModelProto.encode(model).finish());
  const scale = { mean: [0, 0, 0, 0, 0, 50], std: [30, 30, 30, 30, 30, 50] };
  const sidecar: PolicySidecar = {
    version: 1,
    kind: 'flow',
    steps: 8,
    chunk,
    execute: Math.max(1, Math.floor(chunk / 2)),
    fps: 30,
    joints: externalJoints,
    inputs: { state: { name: names.state, shape: ['batch', joints] }, actions: { name: names.actions, shape: ['batch', width] }, time: { name: names.time, shape: ['batch', 1] } },
    output: { name: names.output, shape: ['batch', width] },
    normalisation: { state: scale, action: scale },
  };
  writeFileSync(file.replace(/\.onnx$/, '.json'), `${JSON.stringify(sidecar, null, 2)}\n`);
  return sidecar;
}
