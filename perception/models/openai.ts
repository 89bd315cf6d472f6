import { z } from 'zod';
import { SkillframeError, sleep } from '../../core/index.ts';
import { withCallDeadline, hasImages, imageToBase64, parseReply, type VlmMessage, type VlmProvider, type VlmRequest, type VlmResult, type VlmUsage } from './vlm.ts';

export interface OpenAiOptions {
  /** e.g. http://127.0.0.1:11434/v1 (Ollama), http://localhost:8000/v1 (vLLM), https://api.openai.com/v1 */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Extra attempts after a 5xx, a 429, a dropped connection or an invalid reply. */
  retries?: number;
  /** Default per-call deadline. */
  timeoutMs?: number;
  /**
   * How JSON is requested: `json_schema` (OpenAI, vLLM, Ollama ≥ 0.5), `json_object`, or `none`
   * (prompt only). A server that refuses json_schema is retried once with json_object.
   */
  responseFormat?: 'json_schema' | 'json_object' | 'none';
}

const ChatReply = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional(), refusal: z.string().nullable().optional() }).passthrough(),
        finish_reason: z.string().nullable().optional(),
      }).passthrough(),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional(), total_tokens: z.number().optional() }).passthrough().nullable().optional(),
}).passthrough();

/**
 * Any server speaking the OpenAI chat-completions shape. Every failure says which of the
 * usual things is wrong: the server is not there, the key is refused, the model is not known, the
 * model cannot take images, or the reply is not the JSON asked for.
 */
export function createOpenAiProvider(options: OpenAiOptions): VlmProvider {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(`${baseUrl}/chat/completions`);
  } catch {
    throw new SkillframeError('bad_input', `vlm.baseUrl: ${JSON.stringify(options.baseUrl)} is not a URL (e.g. http://127.0.0.1:11434/v1)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SkillframeError('bad_input', `vlm.baseUrl: ${JSON.stringify(options.baseUrl)} must be http or https`);
  if (!options.model) throw new SkillframeError('bad_input', 'vlm.model: missing (the model name the server knows, e.g. "qwen2.5vl:3b")');
  const retries = options.retries ?? 2;
  let responseFormat = options.responseFormat ?? 'json_schema';
  const where = `VLM endpoint ${url.origin}${url.pathname}`;

  async function post(body: unknown, signal: AbortSignal): Promise<{ status: number; text: string; contentType: string }> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
        body: JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const code = cause?.code ?? '';
      const reason =
        code === 'ECONNREFUSED' ? 'connection refused (is the server running on that port?)'
        : code === 'ENOTFOUND' ? 'the host name does not resolve'
        : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' ? 'the server closed the connection'
        : (cause?.message ?? (error as Error).message);
      throw new SkillframeError('unavailable', `${where} is unreachable: ${reason}`, { retryable: code !== 'ENOTFOUND' && code !== 'ECONNREFUSED' });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new SkillframeError('unavailable', `${where} dropped the reply midway (${(error as Error).message})`, { retryable: true });
    }
    return { status: response.status, text, contentType: response.headers.get('content-type') ?? '' };
  }

  function explainFailure(status: number, text: string, sentImages: boolean): SkillframeError {
    const message = serverMessage(text);
    const lower = message.toLowerCase();
    if (status === 401 || status === 403) {
      return new SkillframeError('unavailable', `${where} refused the API key (HTTP ${status}${message ? `: ${message}` : ''}); set vlm.apiKey with \`skillframe settings set\``);
    }
    if ((status === 404 || status === 400) && /model/.test(lower) && /(not found|does not exist|unknown|no such|pull)/.test(lower)) {
      return new SkillframeError('not_found', `${where} does not know model ${JSON.stringify(options.model)} (HTTP ${status}: ${message})`);
    }
    if (status === 404) return new SkillframeError('unavailable', `${where} has no chat-completions route (HTTP 404); does vlm.baseUrl need a /v1 suffix?`);
    if (sentImages && status >= 400 && status < 500 && /(image|vision|multimodal|image_url)/.test(lower)) {
      return new SkillframeError('unavailable', `model ${JSON.stringify(options.model)} at ${where} does not accept images (HTTP ${status}: ${message}); choose a vision model`);
    }
    if (status === 429) return new SkillframeError('unavailable', `${where} is rate limiting (HTTP 429${message ? `: ${message}` : ''})`, { retryable: true });
    if (status >= 500) return new SkillframeError('unavailable', `${where} failed with HTTP ${status}${message ? `: ${message}` : ''}`, { retryable: true });
    return new SkillframeError('bad_input', `${where} rejected the request (HTTP ${status}${message ? `: ${message}` : ''})`);
  }

  return {
    kind: 'openai',
    model: options.model,
    supportsImages: true,
    async complete<T>(request: VlmRequest<T>): Promise<VlmResult<T>> {
      const started = performance.now();
      const sentImages = hasImages(request.messages);
      const usage: VlmUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
      const messages = await toWire(request.system, request.messages);
      const jsonSchema = z.toJSONSchema(request.schema, { unrepresentable: 'any' }) as Record<string, unknown>;
      let attempts = 0;
      let lastError: SkillframeError | undefined;
      return withCallDeadline(request.signal, request.timeoutMs ?? options.timeoutMs ?? 120_000, async (signal) => {
        for (let attempt = 0; attempt <= retries; attempt += 1) {
          if (attempt > 0) await sleep(Math.min(2000, 200 * 2 ** (attempt - 1)), signal);
          attempts += 1;
          const body: Record<string, unknown> = {
            model: options.model,
            messages,
            temperature: request.temperature ?? 0,
            ...(request.maxTokens ? { max_tokens: request.maxTokens } : {}),
            ...(responseFormat === 'json_schema' ? { response_format: { type: 'json_schema', json_schema: { name: 'reply', schema: jsonSchema } } } : {}),
            ...(responseFormat === 'json_object' ? { response_format: { type: 'json_object' } } : {}),
          };
          let reply: Awaited<ReturnType<typeof post>>;
          try {
            reply = await post(body, signal);
          } catch (error) {
            if (signal.aborted) throw error;
            lastError = error as SkillframeError;
            if ((lastError.details as { retryable?: boolean } | undefined)?.retryable) continue;
            throw error;
          }
          if (reply.status < 200 || reply.status >= 300) {
            if (reply.status === 400 && responseFormat === 'json_schema' && /response_format|json_schema/i.test(reply.text)) {
              responseFormat = 'json_object';
              attempt -= 1;
              continue;
            }
            lastError = explainFailure(reply.status, reply.text, sentImages);
            if ((lastError.details as { retryable?: boolean } | undefined)?.retryable) continue;
            throw lastError;
          }
          let envelope: unknown;
          try {
            envelope = JSON.parse(reply.text);
          } catch {
            throw new SkillframeError('unavailable', `${where} answered with something that is not JSON (content-type ${reply.contentType || 'none'}): ${JSON.stringify(reply.text.slice(0, 100))}; is vlm.baseUrl an OpenAI-compatible API?`);
          }
          const parsed = ChatReply.safeParse(envelope);
          if (!parsed.success) throw new SkillframeError('unavailable', `${where} answered JSON without choices[0].message (${JSON.stringify(reply.text.slice(0, 100))}); is it an OpenAI-compatible API?`);
          usage.promptTokens += parsed.data.usage?.prompt_tokens ?? 0;
          usage.completionTokens += parsed.data.usage?.completion_tokens ?? 0;
          usage.totalTokens += parsed.data.usage?.total_tokens ?? (parsed.data.usage?.prompt_tokens ?? 0) + (parsed.data.usage?.completion_tokens ?? 0);
          const choice = parsed.data.choices[0];
          if (choice.message.refusal) throw new SkillframeError('refused', `model ${options.model} refused: ${choice.message.refusal}`);
          const content = choice.message.content ?? '';
          try {
            const value = parseReply(content, request.schema, `model ${options.model}`);
            return { value, usage, ms: performance.now() - started, attempts, raw: content };
          } catch (error) {
            // A sampled reply can be fixed by sampling again; a broken one is not passed on.
            lastError = error as SkillframeError;
            continue;
          }
        }
        throw lastError ?? new SkillframeError('unavailable', `${where}: no answer after ${attempts} attempts`);
      });
    },
    async dispose() {
      /* stateless: fetch keeps no connection we own */
    },
  };
}

function serverMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown };
    const error = body.error;
    if (typeof error === 'string') return error.slice(0, 300);
    if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') return ((error as { message: string }).message).slice(0, 300);
    if (typeof body.message === 'string') return body.message.slice(0, 300);
    if (typeof body.detail === 'string') return body.detail.slice(0, 300);
  } catch {
    /* not JSON: show the start of the text */
  }
  return text.trim().slice(0, 200);
}

async function toWire(system: string | undefined, messages: VlmMessage[]): Promise<unknown[]> {
  const wire: unknown[] = [];
  if (system) wire.push({ role: 'system', content: system });
  for (const message of messages) {
    if (typeof message.content === 'string') {
      wire.push({ role: message.role, content: message.content });
      continue;
    }
    const parts: unknown[] = [];
    for (const part of message.content) {
      if (part.type === 'text') parts.push({ type: 'text', text: part.text });
      else {
        const { base64, mime } = await imageToBase64(part);
        parts.push({ type: 'image_url', image_url: { url: `data:${mime};base64,${base64}` } });
      }
    }
    wire.push({ role: message.role, content: parts });
  }
  return wire;
}
