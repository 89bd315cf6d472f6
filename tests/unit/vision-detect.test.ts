import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import onnxProto from 'onnx-proto';
import { SkillframeError } from '../../core/index.ts';
import { ModelRegistry } from '../../native/onnx/sessions.ts';
import { decodeImage, intersectionOverUnion, type Box } from '../../native/image.ts';
import { createClassicalDetector, loadOnnxDetector } from '../../perception/detect.ts';

const { onnx } = onnxProto as unknown as { onnx: typeof import('onnx-proto').onnx };
const directory = mkdtempSync(join(tmpdir(), 'sf-detector-'));
const registry = new ModelRegistry();
after(async () => {
  await registry.dispose();
  rmSync(directory, { recursive: true, force: true });
});

/**
 * Writes a tiny YOLOv8-shaped ONNX graph: input images [1,3,64,64], output [1, 4+2, 8] that is a
 * constant plus 0 × mean(images), so the output does not depend on the picture but the graph
 * still reads its input like a real detector.
 */
function writeYoloModel(path: string, candidates: number[][], inputShape = [1, 3, 64, 64]): void {
  const count = candidates.length;
  const attributes = candidates[0].length;
  const values = new Float32Array(attributes * count);
  candidates.forEach((candidate, index) => candidate.forEach((value, attribute) => (values[attribute * count + index] = value)));
  const floatType = onnx.TensorProto.DataType.FLOAT;
  const tensorType = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: floatType, shape: { dim: dims.map((dimValue) => ({ dimValue })) } } } });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'skillframe-test',
    graph: {
      name: 'tiny-yolo',
      input: [tensorType('images', inputShape)],
      output: [tensorType('output0', [1, attributes, count])],
      initializer: [
        { name: 'table', dataType: floatType, dims: [1, attributes, count], floatData: Array.from(values) },
        { name: 'zero', dataType: floatType, dims: [], floatData: [0] },
      ],
      node: [
        { opType: 'ReduceMean', input: ['images'], output: ['mean'], attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
        { opType: 'Mul', input: ['mean', 'zero'], output: ['nothing'] },
        { opType: 'Add', input: ['table', 'nothing'], output: ['output0'] },
      ],
    },
  });
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
}

test('a user-supplied YOLO-style ONNX detector is decoded, suppressed and mapped back', async () => {
  const path = join(directory, 'tiny-yolo.onnx');
  // cx, cy, w, h, score(button), score(icon) in 64×64 input pixels.
  writeYoloModel(path, [
    [16, 16, 10, 8, 0.9, 0.05],
    [17, 16, 10, 8, 0.8, 0.05],
    [40, 40, 12, 12, 0.02, 0.7],
    [5, 5, 2, 2, 0.01, 0.01],
    [5, 5, 2, 2, 0.01, 0.01],
    [5, 5, 2, 2, 0.01, 0.01],
    [5, 5, 2, 2, 0.01, 0.01],
    [5, 5, 2, 2, 0.01, 0.01],
  ]);
  const detector = await loadOnnxDetector(path, { classes: ['button', 'icon'], registry });
  assert.equal(detector.provider, 'cpu');
  const image = { data: new Uint8Array(128 * 128 * 4).fill(200), width: 128, height: 128 };
  const elements = await detector.detect(image);
  assert.equal(elements.length, 2, JSON.stringify(elements));
  assert.equal(elements[0].kind, 'button');
  assert.deepEqual(elements[0].box, [22, 24, 20, 16]);
  assert.equal(elements[0].score, 0.9);
  assert.equal(elements[1].kind, 'icon');
  assert.deepEqual(elements[1].box, [68, 68, 24, 24]);
  await detector.dispose();
});

test('wrong detector files get coded errors', async () => {
  const notModel = join(directory, 'not-a-model.onnx');
  writeFileSync(notModel, 'this is not protobuf at all, just text');
  await assert.rejects(loadOnnxDetector(notModel, { registry }), (error: SkillframeError) => error.code === 'bad_input' && /not a loadable ONNX model/.test(error.message));
  await assert.rejects(loadOnnxDetector(join(directory, 'absent.onnx'), { registry }), (error: SkillframeError) => error.code === 'not_found');
  const flat = join(directory, 'flat-input.onnx');
  writeYoloModel(flat, Array.from({ length: 8 }, () => [1, 1, 1, 1, 0.5, 0.5]), [1, 64]);
  await assert.rejects(loadOnnxDetector(flat, { registry }), (error: SkillframeError) => error.code === 'bad_input' && /2 dimensions/.test(error.message));
});

test('the classical detector finds bordered buttons and fields and underlined links on a rendered page', async () => {
  const fixture = new URL('../../testkit/fixtures/vision/page-light-sans.png', import.meta.url).pathname;
  const truth = JSON.parse(readFileSync(fixture.replace('.png', '.json'), 'utf8')) as { lines: { text: string; box: Box }[]; elements: { kind: string; box: Box }[] };
  const image = await decodeImage(fixture);
  // Text lines come from the DOM here so the test measures the detector, not the OCR.
  const lines = truth.lines.map((line) => ({ text: line.text, box: line.box, confidence: 1 }));
  const detector = createClassicalDetector();
  const elements = (await detector.detect(image, { lines })).filter((element) => element.kind !== 'text');
  let found = 0;
  for (const expected of truth.elements) if (elements.some((element) => intersectionOverUnion(element.box, expected.box) >= 0.5)) found += 1;
  assert.ok(found >= 7, `recall ${found}/${truth.elements.length}`);
  const correct = elements.filter((element) => truth.elements.some((expected) => intersectionOverUnion(element.box, expected.box) >= 0.5)).length;
  assert.ok(correct / elements.length >= 0.5, `precision ${correct}/${elements.length}: ${JSON.stringify(elements.slice(0, 8))}`);
});
