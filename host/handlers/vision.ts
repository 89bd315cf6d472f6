import { z } from 'zod';
import type { Ocr } from '../../perception/ocr.ts';
import type { HandlerTable } from '../dispatcher.ts';
import { readSettings } from '../home.ts';

/**
 * Handlers of the vision room. Keep this file thin: import heavy modules lazily inside each
 * handler so the CLI starts fast.
 */

let sharedOcr: Promise<Ocr> | undefined;
/** One OCR per process: its sessions are large and take a moment to warm up. */
function ocrInstance(): Promise<Ocr> {
  sharedOcr ??= import('../../perception/ocr.ts').then(({ createOcr }) => createOcr());
  sharedOcr.catch(() => (sharedOcr = undefined));
  return sharedOcr;
}

export const visionHandlers: HandlerTable = {
  ocr: async (input, context) => {
    const { decodeImage } = await import('../../native/image.ts');
    const image = await decodeImage(input.image);
    const ocr = await ocrInstance();
    const result = await ocr.recognize(image, { signal: context.signal, ...(input.region ? { region: input.region } : {}) });
    return { lines: result.lines, ms: Math.round(result.ms * 10) / 10 };
  },
  'vision.match': async (input, context) => {
    const { decodeImage } = await import('../../native/image.ts');
    const { findTemplate } = await import('../../perception/template.ts');
    const [haystack, needle] = await Promise.all([decodeImage(input.haystack), decodeImage(input.needle)]);
    const started = performance.now();
    const matches = findTemplate(haystack, needle, { minScore: input.minScore, signal: context.signal, ...(input.region ? { region: input.region } : {}) });
    return { matches: matches.map((match) => ({ ...match, score: Math.round(match.score * 1000) / 1000 })), ms: Math.round((performance.now() - started) * 10) / 10 };
  },
  'vision.hash': async (input) => {
    const { decodeImage } = await import('../../native/image.ts');
    const { dHash, pHash, hammingDistance } = await import('../../perception/hash.ts');
    const image = await decodeImage(input.image);
    const hashes = { dHash: dHash(image), pHash: pHash(image) };
    if (!input.other) return hashes;
    const other = await decodeImage(input.other);
    return { ...hashes, distance: { dHash: hammingDistance(hashes.dHash, dHash(other)), pHash: hammingDistance(hashes.pHash, pHash(other)) } };
  },
  'vision.detect': async (input, context) => {
    const { decodeImage } = await import('../../native/image.ts');
    const { createClassicalDetector, loadOnnxDetector } = await import('../../perception/detect.ts');
    const image = await decodeImage(input.image);
    const detector = input.model
      ? await loadOnnxDetector(input.model, input.classes ? { classes: input.classes } : {})
      : createClassicalDetector(input.ocr ? { ocr: await ocrInstance() } : {});
    try {
      const started = performance.now();
      const elements = await detector.detect(image, { signal: context.signal });
      return { detector: detector.name, elements, ms: Math.round((performance.now() - started) * 10) / 10 };
    } finally {
      await detector.dispose();
    }
  },
  'vlm.check': async (input, context) => {
    const { createProvider } = await import('../../perception/models/index.ts');
    const settings = readSettings().vlm;
    const provider = await createProvider(settings);
    try {
      const started = performance.now();
      const schema = z.object({ answer: z.string() });
      const content = input.image
        ? [{ type: 'text' as const, text: 'Describe this image in at most five words. Reply as JSON {"answer": string}.' }, { type: 'image' as const, image: input.image }]
        : 'Say hello in one word. Reply as JSON {"answer": string}.';
      const result = await provider.complete({ messages: [{ role: 'user', content }], schema, signal: context.signal, maxTokens: 64 });
      return { provider: provider.kind, model: provider.model, ok: true, ms: Math.round(performance.now() - started), reply: result.value };
    } finally {
      await provider.dispose();
    }
  },
};
