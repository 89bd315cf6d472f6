import { SkillframeError } from '../../core/index.ts';
import { originOf, type Settings } from '../../core/commands/system.ts';
import { createOpenAiProvider } from './openai.ts';
import { createScriptedProvider } from './scripted.ts';
import type { VlmProvider } from './vlm.ts';

export * from './vlm.ts';
export { createOpenAiProvider, type OpenAiOptions } from './openai.ts';
export { createScriptedProvider, type ScriptedTurn } from './scripted.ts';
export { createLlamaProvider, type LlamaOptions } from './llama.ts';

/** The OpenAI API, the one host an `OPENAI_API_KEY` from the environment is meant for. */
export const defaultOpenAiBaseUrl = 'https://api.openai.com/v1';

/**
 * The key to send to `baseUrl`, if any. A key from settings goes only to the origin it was
 * entered for; an environment key only to its default host (SKILLFRAME_VLM_API_KEY to
 * SKILLFRAME_VLM_BASE_URL, OPENAI_API_KEY to api.openai.com), so pointing `baseUrl` at another
 * server never hands it a key.
 */
export function apiKeyFor(settings: Settings['vlm'], baseUrl: string, environment: NodeJS.ProcessEnv = process.env): string | undefined {
  const origin = originOf(baseUrl);
  if (!origin) return undefined;
  if (settings.apiKey && origin === (settings.apiKeyOrigin ?? originOf(settings.baseUrl))) return settings.apiKey;
  if (environment.SKILLFRAME_VLM_API_KEY && origin === originOf(environment.SKILLFRAME_VLM_BASE_URL ?? defaultOpenAiBaseUrl)) return environment.SKILLFRAME_VLM_API_KEY;
  if (environment.OPENAI_API_KEY && origin === originOf(defaultOpenAiBaseUrl)) return environment.OPENAI_API_KEY;
  return undefined;
}

/**
 * The provider the settings name. Environment variables fill what settings leave out
 * (SKILLFRAME_VLM_BASE_URL, SKILLFRAME_VLM_MODEL, SKILLFRAME_VLM_API_KEY, then OPENAI_API_KEY),
 * so a key need not be written to disk.
 */
export async function createProvider(settings: Settings['vlm'], environment: NodeJS.ProcessEnv = process.env): Promise<VlmProvider> {
  switch (settings.provider) {
    case 'none':
      throw new SkillframeError('unavailable', 'no vision-language model is configured; set one with `skillframe settings set \'{"vlm":{"provider":"openai","baseUrl":"http://127.0.0.1:11434/v1","model":"qwen2.5vl:3b"}}\'`');
    case 'openai': {
      const baseUrl = settings.baseUrl ?? environment.SKILLFRAME_VLM_BASE_URL;
      const model = settings.model ?? environment.SKILLFRAME_VLM_MODEL;
      if (!baseUrl) throw new SkillframeError('bad_input', 'vlm.baseUrl: missing (e.g. http://127.0.0.1:11434/v1 for Ollama)');
      if (!model) throw new SkillframeError('bad_input', 'vlm.model: missing (the model name your server knows)');
      const apiKey = apiKeyFor(settings, baseUrl, environment);
      return createOpenAiProvider({ baseUrl, model, ...(apiKey ? { apiKey } : {}) });
    }
    case 'llama': {
      const modelPath = settings.modelPath ?? environment.SKILLFRAME_VLM_MODEL_PATH;
      if (!modelPath) throw new SkillframeError('bad_input', 'vlm.modelPath: missing (a .gguf file on this machine)');
      const { createLlamaProvider } = await import('./llama.ts');
      return createLlamaProvider({ modelPath });
    }
    case 'scripted': {
      // Replies come from SKILLFRAME_VLM_SCRIPT: a JSON array of reply strings (for end-to-end tests).
      const script = environment.SKILLFRAME_VLM_SCRIPT;
      let turns: unknown;
      try {
        turns = JSON.parse(script ?? '[]');
      } catch {
        throw new SkillframeError('bad_input', 'SKILLFRAME_VLM_SCRIPT: not valid JSON (expected an array of reply strings)');
      }
      if (!Array.isArray(turns) || !turns.every((turn) => typeof turn === 'string')) throw new SkillframeError('bad_input', 'SKILLFRAME_VLM_SCRIPT: expected an array of reply strings');
      return createScriptedProvider(turns as string[]);
    }
  }
}
