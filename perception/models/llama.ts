import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { z } from 'zod';
import { SkillframeError } from '../../core/index.ts';
import { callSignal, hasImages, parseReply, type VlmProvider, type VlmRequest, type VlmResult } from './vlm.ts';

export interface LlamaOptions {
  /** A .gguf file on this machine. */
  modelPath: string;
  contextSize?: number;
  /** Default reply length cap (tokens). */
  maxTokens?: number;
  /** `auto` uses CUDA/Vulkan when a prebuilt binary and a device exist, else CPU. */
  gpu?: 'auto' | false;
  threads?: number;
  seed?: number;
}

type LlamaModule = typeof import('node-llama-cpp');

/**
 * A local model through node-llama-cpp (pinned 3.21.1). The reply is constrained by a grammar
 * compiled from the request's JSON schema, then validated with zod anyway: a grammar keeps the
 * shape, not the meaning (ranges, refinements). node-llama-cpp 3.21 has no image input, so a
 * request with images is refused rather than answered blind.
 */
export async function createLlamaProvider(options: LlamaOptions): Promise<VlmProvider> {
  const { modelPath } = options;
  if (!existsSync(modelPath)) throw new SkillframeError('not_found', `vlm.modelPath: no file at ${modelPath}`);
  if (!isGguf(modelPath)) throw new SkillframeError('bad_input', `vlm.modelPath: ${modelPath} is not a GGUF model (no GGUF magic at its start)`);
  let llamaModule: LlamaModule;
  try {
    llamaModule = await import('node-llama-cpp');
  } catch (error) {
    throw new SkillframeError('unavailable', `node-llama-cpp cannot be loaded (it is optional, ~700 MB: npm install -E node-llama-cpp@3.21.1): ${(error as Error).message}`);
  }
  const llama = await llamaModule.getLlama({
    gpu: options.gpu ?? 'auto',
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    logLevel: llamaModule.LlamaLogLevel.error,
    ...(options.threads ? { maxThreads: options.threads } : {}),
  });
  let model: Awaited<ReturnType<typeof llama.loadModel>>;
  try {
    model = await llama.loadModel({ modelPath });
  } catch (error) {
    await llama.dispose();
    throw new SkillframeError('bad_input', `vlm.modelPath: ${modelPath} could not be loaded by llama.cpp (${String((error as Error).message).split('\n')[0]})`);
  }
  const context = await model.createContext({ contextSize: options.contextSize ?? 2048, ...(options.threads ? { threads: options.threads } : {}) });
  const grammars = new Map<string, Awaited<ReturnType<typeof llama.createGrammarForJsonSchema>>>();
  let queue: Promise<unknown> = Promise.resolve();
  const modelName = modelPath.split('/').pop() ?? modelPath;

  async function run<T>(request: VlmRequest<T>): Promise<VlmResult<T>> {
    const started = performance.now();
    if (hasImages(request.messages)) {
      throw new SkillframeError('unavailable', `the llama provider (node-llama-cpp 3.21.1) cannot read images; use an OpenAI-compatible vision server for requests with images`);
    }
    const deadline = callSignal(request.signal, request.timeoutMs ?? 120_000);
    const jsonSchema = z.toJSONSchema(request.schema, { unrepresentable: 'any' }) as Record<string, unknown>;
    delete jsonSchema.$schema;
    const key = JSON.stringify(jsonSchema);
    let grammar = grammars.get(key);
    if (!grammar) {
      try {
        grammar = await llama.createGrammarForJsonSchema(jsonSchema as never);
      } catch (error) {
        deadline.dispose();
        throw new SkillframeError('bad_input', `the reply schema cannot be turned into a llama.cpp grammar: ${(error as Error).message}`);
      }
      grammars.set(key, grammar);
    }
    const sequence = context.getSequence();
    const session = new llamaModule.LlamaChatSession({ contextSequence: sequence, ...(request.system ? { systemPrompt: request.system } : {}) });
    try {
      // Earlier turns become the chat history; the last user message is the prompt.
      const history = request.messages.slice(0, -1);
      const last = request.messages.at(-1);
      if (!last || last.role !== 'user') throw new SkillframeError('bad_input', 'messages: the last message must be from the user');
      if (history.length) {
        session.setChatHistory([
          ...(request.system ? [{ type: 'system' as const, text: request.system }] : []),
          ...history.map((message) => (message.role === 'user' ? { type: 'user' as const, text: textOf(message.content) } : { type: 'model' as const, response: [textOf(message.content)] })),
        ]);
      }
      const promptText = textOf(last.content);
      const tokensBefore = sequence.tokenMeter.usedInputTokens;
      const outputBefore = sequence.tokenMeter.usedOutputTokens;
      let text: string;
      try {
        text = await session.prompt(promptText, {
          grammar,
          maxTokens: request.maxTokens ?? options.maxTokens ?? 256,
          temperature: request.temperature ?? 0,
          ...(options.seed !== undefined ? { seed: options.seed } : {}),
          signal: deadline.signal,
          stopOnAbortSignal: false,
        });
      } catch (error) {
        if (deadline.signal.aborted && deadline.reason()) throw deadline.reason();
        throw new SkillframeError('internal', `llama.cpp failed while generating: ${(error as Error).message}`);
      }
      const value = parseReply(text, request.schema, `local model ${modelName}`);
      const promptTokens = sequence.tokenMeter.usedInputTokens - tokensBefore;
      const completionTokens = sequence.tokenMeter.usedOutputTokens - outputBefore;
      return { value, usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens }, ms: performance.now() - started, attempts: 1, raw: text };
    } finally {
      session.dispose({ disposeSequence: true });
      deadline.dispose();
    }
  }

  return {
    kind: 'llama',
    model: modelName,
    supportsImages: false,
    complete<T>(request: VlmRequest<T>): Promise<VlmResult<T>> {
      // One sequence at a time: the context is sized for one conversation.
      const next = queue.then(() => run(request), () => run(request));
      queue = next.catch(() => undefined);
      return next;
    },
    async dispose() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

function textOf(content: VlmRequest<unknown>['messages'][number]['content']): string {
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}

function isGguf(path: string): boolean {
  if (!statSync(path).isFile() || statSync(path).size < 8) return false;
  const handle = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    readSync(handle, head, 0, 4, 0);
    return head.toString('latin1') === 'GGUF';
  } finally {
    closeSync(handle);
  }
}
