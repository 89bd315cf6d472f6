// A process that ends while onnxruntime-node is busy in OCR worker threads, for the tests and the
// stress script (scripts/stress-ocr-exit.ts): a thread torn down inside the binding used to abort
// the whole process ("terminate called after throwing an instance of 'Napi::Error'", exit 134)
// after its work was done. Usage: node --import tsx testkit/onnx-exit-child.ts MODE
//   load     process.exit while the worker threads load the recognition model
//   run      process.exit while they run it on wide inputs
//   throw    an uncaught error while they run it (exit 1 expected)
//   read     two OCR reads of several lines (the second starts the workers behind it), then process.exit
//            within 0.8 s
//   natural  the same reads, then the event loop simply runs out
// Prints "ended MODE" just before it ends; the exit code says the rest.
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../native/image.ts';
import { sharedModelRegistry } from '../native/onnx/sessions.ts';
import { createOcr, defaultModelDirectory, ocrModelFiles } from '../perception/ocr.ts';

const mode = process.argv[2] ?? '';
const workers = 2;
const recognitionPath = join(defaultModelDirectory(), ocrModelFiles.recognition);

/** A page of short text lines: enough for the OCR to start its recognition workers after it. */
async function page() {
  const lines = Array.from({ length: 8 }, (_, index) => `<text x="20" y="${40 + index * 36}" font-family="Liberation Sans" font-size="18">Line ${index + 1} of the exit test page</text>`).join('');
  const png = await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="340"><rect width="100%" height="100%" fill="white"/>${lines}</svg>`)).png().toBuffer();
  return decodeImage(png);
}

function end(code: number): never {
  process.stdout.write(`ended ${mode}\n`);
  process.exit(code);
}

/** A wide line's worth of input: ~0.1–0.3 s of work for a one-thread session. */
const wideInput = () => ({ x: { data: new Float32Array(3 * 48 * 1200), dims: [1, 3, 48, 1200] } });

if (mode === 'load' || mode === 'run' || mode === 'throw') {
  const registry = sharedModelRegistry();
  registry.register({ name: 'ocr.recognition', path: recognitionPath, inputs: ['x'] });
  const starting = registry.workers('ocr.recognition', workers);
  if (mode === 'load') {
    // Both threads are inside InferenceSession.create within a few milliseconds of starting.
    setTimeout(() => end(0), 150 + Math.random() * 300);
  } else {
    const sessions = await starting;
    for (let call = 0; call < 2 * workers; call += 1) void sessions.run(wideInput()).catch(() => undefined);
    setTimeout(() => {
      if (mode === 'run') end(0);
      process.stdout.write(`ended ${mode}\n`);
      throw new Error('an uncaught error while the workers run');
    }, 20 + Math.random() * 150);
  }
} else if (mode === 'read' || mode === 'natural') {
  const ocr = await createOcr({ recognitionWorkers: workers });
  const image = await page();
  // The second read of several lines starts the workers behind it.
  for (let read = 0; read < 2; read += 1) {
    const result = await ocr.recognize(image);
    if (result.lines.length < 4) throw new Error(`the page read only ${result.lines.length} lines`);
  }
  // The workers start behind the read: end while they load or warm up (a test file's last test
  // done, its runner forcing the exit), or let the event loop run out.
  if (mode === 'read') setTimeout(() => end(0), Math.random() * 800);
  else process.stdout.write(`ended ${mode}\n`);
} else {
  process.stderr.write(`unknown mode ${JSON.stringify(mode)} (load, run, throw, read, natural)\n`);
  process.exit(2);
}
