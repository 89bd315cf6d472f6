import type { z } from 'zod';
import { SkillframeError, sleep } from '../../core/index.ts';
import { describeZodError } from '../../core/errors.ts';
import { encodePng, type RgbaImage } from '../../native/image.ts';

/** A piece of a message: text, or an image (decoded, encoded bytes, or a file path). */
export type VlmContent =
  | { type: 'text'; text: string }
  | { type: 'image'; image: RgbaImage | Uint8Array | string; mime?: 'image/png' | 'image/jpeg' | 'image/webp' };

export interface VlmMessage {
  role: 'user' | 'assistant';
  content: string | VlmContent[];
}

export interface VlmRequest<T> {
  system?: string;
  messages: VlmMessage[];
  /** The reply must be JSON that this schema accepts; it is validated even when the model was constrained. */
  schema: z.ZodType<T>;
  signal?: AbortSignal;
  /** Whole call, retries included. */
  timeoutMs?: number;
  maxTokens?: number;
  temperature?: number;
}

export interface VlmUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface VlmResult<T> {
  value: T;
  usage: VlmUsage;
  ms: number;
  /** Model calls made (1 unless a retry was needed). */
  attempts: number;
  /** The reply text as the model wrote it. */
  raw: string;
}

export interface VlmProvider {
  /** e.g. "openai", "llama", "scripted". */
  readonly kind: string;
  readonly model: string;
  readonly supportsImages: boolean;
  complete<T>(request: VlmRequest<T>): Promise<VlmResult<T>>;
  dispose(): Promise<void>;
}

/**
 * Parses a model's reply as JSON and validates it. Code fences and prose around one JSON object
 * are tolerated (many servers add them); anything else is `bad_input` naming what was wrong.
 */
export function parseReply<T>(text: string, schema: z.ZodType<T>, source: string): T {
  const candidate = extractJson(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(candidate);
  } catch (error) {
    throw new SkillframeError('bad_input', `${source}: the reply is not JSON (${(error as Error).message}); it began ${JSON.stringify(text.slice(0, 80))}`, { reply: text.slice(0, 2000) });
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw new SkillframeError('bad_input', `${source}: the reply breaks the schema: ${describeZodError(result.error, parsed, 'reply')}`, { reply: text.slice(0, 2000) });
  }
  return result.data;
}

function extractJson(text: string): string {
  const trimmed = text.trim();
  const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/i.exec(trimmed);
  if (fenced) return fenced[1];
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return trimmed;
  const start = trimmed.indexOf('{');
  const end = trimmed.lastIndexOf('}');
  return start >= 0 && end > start ? trimmed.slice(start, end + 1) : trimmed;
}

/** Encodes an image piece for the wire: base64 and its MIME type. */
export async function imageToBase64(content: Extract<VlmContent, { type: 'image' }>): Promise<{ base64: string; mime: string }> {
  const { image } = content;
  if (typeof image === 'string') {
    const { readFile } = await import('node:fs/promises');
    let bytes: Buffer;
    try {
      bytes = await readFile(image);
    } catch {
      throw new SkillframeError('not_found', `image ${image}: cannot read the file`);
    }
    return { base64: bytes.toString('base64'), mime: content.mime ?? sniffMime(bytes) };
  }
  if (image instanceof Uint8Array) return { base64: Buffer.from(image).toString('base64'), mime: content.mime ?? sniffMime(image) };
  return { base64: (await encodePng(image)).toString('base64'), mime: 'image/png' };
}

function sniffMime(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[0] === 0x52 && bytes[1] === 0x49 && bytes[8] === 0x57) return 'image/webp';
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return 'image/png';
  throw new SkillframeError('bad_input', 'image bytes are not PNG, JPEG or WebP');
}

export function hasImages(messages: readonly VlmMessage[]): boolean {
  return messages.some((message) => typeof message.content !== 'string' && message.content.some((part) => part.type === 'image'));
}

/** One signal for the caller's abort and the call's own deadline, with errors in contract codes. */
export function callSignal(signal: AbortSignal | undefined, timeoutMs: number | undefined): { signal: AbortSignal; reason(): SkillframeError | undefined; dispose(): void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let why: SkillframeError | undefined;
  const onAbort = () => {
    why = signal?.reason instanceof SkillframeError ? signal.reason : new SkillframeError('aborted', 'the model call was cancelled');
    controller.abort(why);
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  if (timeoutMs && timeoutMs > 0) {
    timer = setTimeout(() => {
      why = new SkillframeError('timeout', `the model did not answer within ${timeoutMs} ms`);
      controller.abort(why);
    }, timeoutMs);
  }
  return {
    signal: controller.signal,
    reason: () => why,
    dispose: () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Runs one model call under `callSignal`: when the deadline or the caller stopped it, that reason
 * is what the caller sees (not whatever the interrupted work threw), and the timer is always cleared.
 */
export async function withCallDeadline<T>(signal: AbortSignal | undefined, timeoutMs: number | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = callSignal(signal, timeoutMs);
  try {
    return await work(deadline.signal);
  } catch (error) {
    if (deadline.signal.aborted && deadline.reason()) throw deadline.reason();
    throw error;
  } finally {
    deadline.dispose();
  }
}
