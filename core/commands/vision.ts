import { z } from 'zod';
import { Box } from '../geometry.ts';
import { defineCommand } from '../contract.ts';
import { commandMap, eventMap } from '../registry-helpers.ts';

/** Commands of the vision room: OCR, template matching, hashing, detection, model checks, benchmark. */

export { Box };

/** `x,y,width,height` on the command line. */
const RegionText = z
  .string()
  .regex(/^\s*\d+\s*,\s*\d+\s*,\s*\d+\s*,\s*\d+\s*$/, 'expected x,y,width,height in pixels')
  .transform((text) => text.split(',').map((part) => Number(part.trim())) as [number, number, number, number]);

/** One word of a line (the line's text split on spaces), boxed from the recogniser's CTC alignment. */
export const OcrWord = z.object({ text: z.string(), box: Box });
export type OcrWord = z.infer<typeof OcrWord>;

export const OcrLine = z.object({
  text: z.string(),
  box: Box,
  confidence: z.number().min(0).max(1),
  /** The line's words with their own boxes, left to right (a menu bar read as one line is many words). */
  words: z.array(OcrWord).optional(),
});
export type OcrLine = z.infer<typeof OcrLine>;

export const OcrOutput = z.object({ lines: z.array(OcrLine), ms: z.number().nonnegative() });
export type OcrOutput = z.infer<typeof OcrOutput>;

export const UiElement = z.object({
  box: Box,
  kind: z.enum(['button', 'input', 'link', 'text', 'icon', 'unknown']),
  score: z.number(),
  label: z.string().optional(),
});

export const VisionBenchmark = z
  .object({
    ocr_full_ms_p50: z.number(),
    ocr_full_ms_p95: z.number(),
    ocr_incremental_ms_p50: z.number(),
    ocr_naive_ms_p50: z.number(),
    word_recall: z.number(),
    cer: z.number(),
    template_ms_p50: z.number(),
    phash_ms_p50: z.number(),
    detector_precision: z.number(),
    detector_recall: z.number(),
    provider: z.string(),
  })
  .catchall(z.unknown());

export const commands = commandMap(
  defineCommand({
    name: 'ocr',
    summary: 'Read the text in an image file: lines with boxes [x,y,w,h] and confidences.',
    input: z.object({ image: z.string().min(1).max(4096), region: RegionText.optional() }).strict(),
    output: OcrOutput,
    timeoutMs: 120_000,
    cli: {
      positionals: ['image'],
      format: (output: OcrOutput) =>
        [...output.lines.map((line) => `${line.box.join(',').padEnd(20)} ${line.confidence.toFixed(2)}  ${line.text}`), `(${output.lines.length} lines, ${Math.round(output.ms)} ms)`].join('\n'),
    },
  }),
  defineCommand({
    name: 'vision.match',
    summary: 'Find a template image (a crop) inside another image at scales 0.8–1.25; best matches first.',
    input: z
      .object({
        haystack: z.string().min(1).max(4096),
        needle: z.string().min(1).max(4096),
        minScore: z.coerce.number().min(-1).max(1).default(0.8),
        region: RegionText.optional(),
      })
      .strict(),
    output: z.object({ matches: z.array(z.object({ box: Box, score: z.number(), scale: z.number() })), ms: z.number() }),
    timeoutMs: 60_000,
    cli: { positionals: ['haystack', 'needle'] },
  }),
  defineCommand({
    name: 'vision.hash',
    summary: 'Perceptual hashes (dHash, pHash) of an image, or their Hamming distance to a second image.',
    input: z.object({ image: z.string().min(1).max(4096), other: z.string().min(1).max(4096).optional() }).strict(),
    output: z.object({ dHash: z.string(), pHash: z.string(), distance: z.object({ dHash: z.number(), pHash: z.number() }).optional() }),
    cli: { positionals: ['image', 'other'] },
  }),
  defineCommand({
    name: 'vision.detect',
    summary: 'Detect UI elements (buttons, inputs, links, text) in a screenshot; --model uses your own YOLO-style ONNX file.',
    input: z
      .object({
        image: z.string().min(1).max(4096),
        model: z.string().min(1).max(4096).optional(),
        classes: z.array(z.string().max(100)).max(1000).optional(),
        ocr: z.boolean().default(true),
      })
      .strict(),
    output: z.object({ detector: z.string(), elements: z.array(UiElement), ms: z.number() }),
    timeoutMs: 120_000,
    cli: { positionals: ['image'] },
  }),
  defineCommand({
    name: 'vlm.check',
    summary: 'Ask the configured vision-language model a tiny question and say exactly what is wrong if it fails.',
    input: z.object({ image: z.string().max(4096).optional() }).strict(),
    output: z.object({ provider: z.string(), model: z.string().optional(), ok: z.boolean(), ms: z.number(), reply: z.unknown().optional() }),
    timeoutMs: 120_000,
  }),
  defineCommand({
    name: 'bench.vision',
    summary: 'Benchmark OCR (full, incremental, naive baseline, accuracy), template matching, hashing and detection.',
    input: z.object({ quick: z.boolean().default(false) }).strict(),
    output: VisionBenchmark,
    timeoutMs: 0,
    cli: { long: true },
  }),
);

export const events = eventMap();
