import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SkillframeError } from '../../../core/index.ts';
import type { Ocr } from '../../vision/ocr.ts';
import type { HandlerTable } from '../dispatcher.ts';
import { readSettings } from '../home.ts';

/**
 * Handlers of the vision room. Keep this file thin: import heavy modules lazily inside each
 * handler so the CLI starts fast.
 */

let sharedOcr: Promise<Ocr> | undefined;
/** One OCR per process: its sessions are large and take a moment to warm up. */
function ocrInstance(): Promise<Ocr> {
  sharedOcr ??= import('../../vision/ocr.ts').then(({ createOcr }) => createOcr());
  sharedOcr.catch(() => (sharedOcr = undefined));
  return sharedOcr;
}

export const visionHandlers: HandlerTable = {
  ocr: async (input, context) => {
    const { decodeImage } = await import('../../vision/image.ts');
    const image = await decodeImage(input.image);
    const ocr = await ocrInstance();
    const result = await ocr.recognize(image, { signal: context.signal, ...(input.region ? { region: input.region } : {}) });
    return { lines: result.lines, ms: Math.round(result.ms * 10) / 10 };
  },
  'vision.match': async (input, context) => {
    const { decodeImage } = await import('../../vision/image.ts');
    const { findTemplate } = await import('../../vision/template.ts');
    const [haystack, needle] = await Promise.all([decodeImage(input.haystack), decodeImage(input.needle)]);
    const started = performance.now();
    const matches = findTemplate(haystack, needle, { minScore: input.minScore, signal: context.signal, ...(input.region ? { region: input.region } : {}) });
    return { matches: matches.map((match) => ({ ...match, score: Math.round(match.score * 1000) / 1000 })), ms: Math.round((performance.now() - started) * 10) / 10 };
  },
  'vision.hash': async (input) => {
    const { decodeImage } = await import('../../vision/image.ts');
    const { dHash, pHash, hammingDistance } = await import('../../vision/hash.ts');
    const image = await decodeImage(input.image);
    const hashes = { dHash: dHash(image), pHash: pHash(image) };
    if (!input.other) return hashes;
    const other = await decodeImage(input.other);
    return { ...hashes, distance: { dHash: hammingDistance(hashes.dHash, dHash(other)), pHash: hammingDistance(hashes.pHash, pHash(other)) } };
  },
  'vision.detect': async (input, context) => {
    const { decodeImage } = await import('../../vision/image.ts');
    const { createClassicalDetector, loadOnnxDetector } = await import('../../vision/detect.ts');
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
    const { createProvider } = await import('../../models/index.ts');
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
  'bench.vision': async (input, context) => {
    // The benchmark lives in bench/ (product code does not import it); run it as its own process.
    const script = fileURLToPath(new URL('../../../bench/vision.ts', import.meta.url));
    if (!existsSync(script)) throw new SkillframeError('unavailable', `the vision benchmark is not in this build (${script})`);
    const args = ['--import', 'tsx', script, '--json', ...(input.quick ? ['--quick'] : [])];
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: fileURLToPath(new URL('../../../', import.meta.url)) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // The benchmark reports progress as "progress <fraction> <message>" lines on stderr.
        for (const line of chunk.toString().split('\n')) {
          const match = /^progress (\d*\.?\d+) (.*)$/.exec(line.trim());
          if (match) context.progress({ fraction: Math.min(1, Number(match[1])), message: match[2] });
        }
      });
      const onAbort = () => child.kill('SIGTERM');
      context.signal.addEventListener('abort', onAbort, { once: true });
      child.on('error', reject);
      child.on('close', (code) => {
        context.signal.removeEventListener('abort', onAbort);
        if (context.signal.aborted) reject(context.signal.reason);
        else if (code !== 0) reject(new SkillframeError('internal', `the vision benchmark exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
        else resolve(stdout);
      });
    });
    const last = output.trim().split('\n').at(-1) ?? '';
    try {
      return JSON.parse(last);
    } catch {
      throw new SkillframeError('internal', `the vision benchmark printed no JSON: ${JSON.stringify(last.slice(0, 200))}`);
    }
  },
};
