import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import onnxProto from 'onnx-proto';
import { SkillframeError } from '../../core/index.ts';
import { loadOrt, ModelRegistry } from '../../native/onnx/sessions.ts';
import { WorkerSessions } from '../../native/onnx/worker-sessions.ts';

// A real onnxruntime session in real worker threads, on a tiny generated graph: y = 2x + 1.
const { onnx } = onnxProto as unknown as { onnx: typeof import('onnx-proto').onnx };
const directory = mkdtempSync(join(tmpdir(), 'sf-onnx-workers-'));
after(() => rmSync(directory, { recursive: true, force: true }));

function writeAffineModel(path: string): void {
  const floatType = onnx.TensorProto.DataType.FLOAT;
  const tensorType = (name: string) => ({ name, type: { tensorType: { elemType: floatType, shape: { dim: [{ dimParam: 'n' }, { dimParam: 'm' }] } } } });
  const scalar = (name: string, value: number) => ({ name, dataType: floatType, dims: [], floatData: [value] });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'skillframe-test',
    graph: {
      name: 'affine',
      input: [tensorType('x')],
      output: [tensorType('y')],
      initializer: [scalar('two', 2), scalar('one', 1)],
      node: [
        { opType: 'Mul', input: ['x', 'two'], output: ['doubled'] },
        { opType: 'Add', input: ['doubled', 'one'], output: ['y'] },
      ],
    },
  });
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
}

const modelPath = join(directory, 'affine.onnx');
writeAffineModel(modelPath);

test('a model runs in worker threads, calls side by side, inputs moved and outputs returned whole', async () => {
  const registry = new ModelRegistry();
  registry.register({ name: 'affine', path: modelPath, inputs: ['x'], warmUp: (ort) => ({ x: new ort.Tensor('float32', new Float32Array(4), [2, 2]) }) });
  try {
    const workers = await registry.workers('affine', 2);
    assert.equal(workers.size, 2);
    assert.equal(await registry.workers('affine', 3), workers, 'one set of workers per model, shared');
    const inputs = Array.from({ length: 9 }, (_, call) => Float32Array.from({ length: 6 }, (_, index) => call * 10 + index));
    const expected = inputs.map((input) => Array.from(input, (value) => 2 * value + 1));
    const results = await Promise.all(inputs.map((data) => workers.run({ x: { data, dims: [2, 3] } })));
    results.forEach((outputs, call) => {
      assert.deepEqual(outputs.y.dims, [2, 3]);
      assert.deepEqual(Array.from(outputs.y.data), expected[call]);
    });
    assert.equal(inputs[0].byteLength, 0, 'the input was transferred to the worker, not copied');
    // The same numbers as the main thread's own session.
    const ort = await loadOrt();
    const main = await registry.get('affine');
    const data = Float32Array.from([0.5, -3, 7, 1e-3]);
    const onMain = (await main.session.run({ x: new ort.Tensor('float32', data.slice(), [1, 4]) })).y.data as Float32Array;
    assert.deepEqual(Array.from((await workers.run({ x: { data, dims: [1, 4] } })).y.data), Array.from(onMain));
  } finally {
    await registry.dispose();
  }
  await assert.rejects(registry.workers('affine', 2), (error: SkillframeError) => error.code === 'unavailable');
});

test('worker sessions refuse bad counts, bad files, aborted and disposed calls with coded errors', async () => {
  await assert.rejects(WorkerSessions.start('affine', modelPath, 0), (error: SkillframeError) => error.code === 'bad_input' && /worker count/.test(error.message));
  const notModel = join(directory, 'not-a-model.onnx');
  writeFileSync(notModel, 'this is not an onnx file at all');
  await assert.rejects(WorkerSessions.start('broken', notModel, 1), (error: SkillframeError) => error.code === 'bad_input' && /did not load in a worker thread/.test(error.message));
  const registry = new ModelRegistry();
  registry.register({ name: 'absent', path: join(directory, 'absent.onnx') });
  await assert.rejects(registry.workers('absent', 1), (error: SkillframeError) => error.code === 'not_found');
  await assert.rejects(registry.workers('unregistered', 1), (error: SkillframeError) => error.code === 'not_found');
  await registry.dispose();

  const workers = await WorkerSessions.start('affine', modelPath, 1);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(workers.run({ x: { data: new Float32Array(2), dims: [1, 2] } }, controller.signal), (error: SkillframeError) => error.code === 'aborted');
  // A wrong shape is the model's error, reported by name; the worker keeps serving.
  await assert.rejects(workers.run({ x: { data: new Float32Array(2), dims: [1, 2, 3] } }), (error: SkillframeError) => error.code === 'internal' && /affine/.test(error.message));
  assert.deepEqual(Array.from((await workers.run({ x: { data: Float32Array.from([1, 2]), dims: [1, 2] } })).y.data), [3, 5]);
  await workers.dispose();
  await assert.rejects(workers.run({ x: { data: new Float32Array(2), dims: [1, 2] } }), (error: SkillframeError) => error.code === 'unavailable');
});

test('disposed workers release their sessions and end on their own (a thread torn down with a live session can abort the process)', async () => {
  const workers = await WorkerSessions.start('affine', modelPath, 2);
  const data = Float32Array.from([1, 2]);
  assert.deepEqual(Array.from((await workers.run({ x: { data, dims: [1, 2] } })).y.data), [3, 5]);
  // Exit code 0: the thread closed itself after releasing; terminate() would give 1.
  assert.deepEqual(await workers.dispose(), [0, 0]);
  assert.deepEqual(await workers.dispose(), [], 'a second dispose has nothing left to end');
});
