import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, test } from 'node:test';
import { SkillframeError } from '../../core/index.ts';
import { ModelRegistry } from '../../native/onnx/sessions.ts';
import { crop, decodeImage, type RgbaImage } from '../../native/image.ts';
import { createOcr, IncrementalOcr, type Ocr } from '../../perception/ocr.ts';

// Real PaddleOCR models on a real mousepad screenshot (testkit/fixtures/vision/app-mousepad.png).
const fixture = new URL('../../testkit/fixtures/vision/app-mousepad.png', import.meta.url).pathname;
const textArea: [number, number, number, number] = [318, 215, 400, 85];
let registry: ModelRegistry;
let ocr: Ocr;
let screen: RgbaImage;
/** The first test's reading, reused so the suite reads the editor once. */
let firstReading: Awaited<ReturnType<Ocr['recognize']>> | undefined;

before(async () => {
  registry = new ModelRegistry();
  ocr = await createOcr({ registry });
  screen = await decodeImage(fixture);
});
after(async () => {
  await ocr.dispose();
  await registry.dispose();
});

function blank(image: RgbaImage, box: [number, number, number, number]): RgbaImage {
  const data = image.data.slice();
  for (let y = box[1]; y < box[1] + box[3]; y += 1) data.fill(255, (y * image.width + box[0]) * 4, (y * image.width + box[0] + box[2]) * 4);
  return { data, width: image.width, height: image.height };
}

test('reads the lines of a real editor window with boxes and confidences', async () => {
  const result = await ocr.recognize(screen, { region: textArea });
  firstReading = result;
  const texts = result.lines.map((line) => line.text);
  const truth = ['Quarterly report draft', 'Revenue grew 12 percent in October', 'Send the summary to the finance team', 'Meeting moved to Friday afternoon'];
  // Every character right; a space between words may be lost now and then (the model's habit).
  assert.deepEqual(texts.map((text) => text.replace(/ /g, '')), truth.map((text) => text.replace(/ /g, '')));
  assert.ok(texts.filter((text, index) => text === truth[index]).length >= 3, JSON.stringify(texts));
  for (const line of result.lines) {
    assert.ok(line.confidence > 0.8 && line.confidence <= 1);
    assert.ok(line.box[0] >= textArea[0] - 1 && line.box[1] >= textArea[1] - 1 && line.box[0] + line.box[2] <= textArea[0] + textArea[2] + 1);
    assert.ok(line.box[3] >= 12 && line.box[3] <= 30, `line height ${line.box[3]}`);
  }
  assert.ok(result.lines[1].box[1] > result.lines[0].box[1], 'reading order is top to bottom');
  assert.equal(ocr.provider, 'cpu');
});

test('incremental OCR re-reads only what changed and keeps the rest', async () => {
  const first = firstReading ?? (await ocr.recognize(screen, { region: textArea }));
  const secondLine = first.lines[1].box;
  const changed = blank(screen, [secondLine[0], secondLine[1] + 2, secondLine[2], secondLine[3] - 4]);
  const updated = await ocr.update(changed, first, [[secondLine[0] + 10, secondLine[1] + 4, 40, 10]]);
  assert.deepEqual(updated.lines.map((line) => line.text.replace(/ /g, '')), ['Quarterlyreportdraft', 'Sendthesummarytothefinanceteam', 'MeetingmovedtoFridayafternoon']);
  // The stateful form diffs whole frames itself; a window-sized frame keeps the test quick.
  const window: [number, number, number, number] = [310, 205, 420, 100];
  const incremental = new IncrementalOcr(ocr);
  await incremental.recognize(crop(screen, window), {});
  const same = await incremental.recognize(crop(screen, window));
  assert.deepEqual(same.changed, []);
  assert.ok(same.ms < 2000, `an unchanged frame costs a diff only (${same.ms} ms)`);
  const next = await incremental.recognize(crop(changed, window));
  assert.equal(next.changed.length, 1);
  assert.ok(!next.lines.some((line) => line.text.includes('Revenue')));
  assert.ok(next.lines.some((line) => line.text.replace(/ /g, '') === 'MeetingmovedtoFridayafternoon'));
});

test('bad regions and wrong model files get coded errors', async () => {
  await assert.rejects(ocr.recognize(screen, { region: [5000, 5000, 10, 10] }), (error: SkillframeError) => error.code === 'bad_input' && /outside/.test(error.message));
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(ocr.recognize(screen, { signal: controller.signal }), (error: SkillframeError) => error.code === 'aborted');
  const wrong = new ModelRegistry();
  wrong.register({ name: 'wrong', path: fixture });
  await assert.rejects(wrong.get('wrong'), (error: SkillframeError) => error.code === 'bad_input' && /not a loadable ONNX model/.test(error.message));
  await assert.rejects(wrong.get('absent'), (error: SkillframeError) => error.code === 'not_found');
  await wrong.dispose();
  await assert.rejects(createOcr({ modelDirectory: '/nonexistent' }), (error: SkillframeError) => error.code === 'unavailable' && /dictionary missing/.test(error.message));
});

test('recognition workers read the same lines as the main thread, and a failing worker falls back to it', async () => {
  const workerRuns: number[] = [];
  const spied = new ModelRegistry();
  const start = spied.workers.bind(spied);
  let breakNext = false;
  spied.workers = async (name, count) => {
    const workers = await start(name, count);
    const run = workers.run.bind(workers);
    workers.run = (feeds, signal) => {
      workerRuns.push(feeds.x.dims[3]);
      if (breakNext) return Promise.reject(new SkillframeError('internal', 'worker died (test)'));
      return run(feeds, signal);
    };
    return workers;
  };
  const onMain = await createOcr({ registry, lineCacheSize: 0, recognitionWorkers: 0 });
  const withWorkers = await createOcr({ registry: spied, lineCacheSize: 0, recognitionWorkers: 2, startWorkers: true });
  const broken = await createOcr({ registry: spied, lineCacheSize: 0, recognitionWorkers: 2, startWorkers: true });
  try {
    const expected = await onMain.recognize(screen);
    assert.ok(expected.lines.length >= 8, `the editor screen has many lines (${expected.lines.length})`);
    const got = await withWorkers.recognize(screen);
    assert.deepEqual(got.lines, expected.lines);
    assert.ok(workerRuns.length >= expected.lines.length, `every line went to a worker (${workerRuns.length} calls)`);
    // Widest lines go first, so no worker is left with a long line at the end.
    assert.ok(workerRuns[0] >= Math.max(...workerRuns.slice(2)), JSON.stringify(workerRuns));
    breakNext = true;
    const fallback = await broken.recognize(screen);
    assert.deepEqual(fallback.lines, expected.lines, 'a worker failure costs speed, never the reading');
    await assert.rejects(createOcr({ registry, recognitionWorkers: -1 }), (error: SkillframeError) => error.code === 'bad_input' && /recognitionWorkers/.test(error.message));
  } finally {
    await Promise.all([onMain.dispose(), withWorkers.dispose(), broken.dispose()]);
    await spied.dispose();
  }
});

test('recognition workers are on by default on a multi-core CPU (they start behind the second read of several lines, never for a one-shot read); SKILLFRAME_OCR_WORKERS=0 turns them off', async (t) => {
  if (availableParallelism() < 2) return t.skip('one core: the workers are off there by design');
  const saved = process.env.SKILLFRAME_OCR_WORKERS;
  const read = async (setting: string | undefined) => {
    if (setting === undefined) delete process.env.SKILLFRAME_OCR_WORKERS;
    else process.env.SKILLFRAME_OCR_WORKERS = setting;
    const own = new ModelRegistry();
    const reader = await createOcr({ registry: own, lineCacheSize: 0 });
    try {
      if (reader.provider !== 'cpu') return undefined;
      await reader.recognize(screen);
      const afterOne = own.hasWorkers;
      await reader.recognize(screen);
      assert.equal(afterOne, false, 'a one-shot reader (a CLI command) never starts them');
      return own.hasWorkers;
    } finally {
      await reader.dispose();
      await own.dispose();
    }
  };
  try {
    const byDefault = await read(undefined);
    if (byDefault === undefined) return t.skip('the models run on CUDA here');
    assert.equal(byDefault, true, 'workers start by default');
    assert.equal(await read('0'), false, 'SKILLFRAME_OCR_WORKERS=0 keeps every line on the main thread');
  } finally {
    if (saved === undefined) delete process.env.SKILLFRAME_OCR_WORKERS;
    else process.env.SKILLFRAME_OCR_WORKERS = saved;
  }
});
