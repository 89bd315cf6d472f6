import { SkillframeError, sleep } from '../../core/index.ts';
import { withCallDeadline, parseReply, type VlmProvider, type VlmRequest, type VlmResult } from './vlm.ts';

/** One scripted turn: a reply text (validated like a real one), an error to throw, or a function of the request. */
export type ScriptedTurn =
  | string
  | { reply: string; delayMs?: number }
  | { error: SkillframeError }
  | ((request: VlmRequest<unknown>) => string | Promise<string>);

/**
 * A provider that answers from a script, in order, for deterministic tests of everything that
 * consults a model. Replies still go through JSON parsing and the schema, so a bad script fails
 * exactly as a bad model would.
 */
export function createScriptedProvider(turns: ScriptedTurn[] | ((request: VlmRequest<unknown>, index: number) => string | Promise<string>), options: { model?: string } = {}): VlmProvider & { readonly requests: VlmRequest<unknown>[] } {
  const requests: VlmRequest<unknown>[] = [];
  let index = 0;
  return {
    kind: 'scripted',
    model: options.model ?? 'script',
    supportsImages: true,
    requests,
    async complete<T>(request: VlmRequest<T>): Promise<VlmResult<T>> {
      const started = performance.now();
      requests.push(request as VlmRequest<unknown>);
      return withCallDeadline(request.signal, request.timeoutMs, async (signal) => {
        let text: string;
        // Every call consumes one turn, whether it answers, fails or breaks the schema.
        const turnIndex = index;
        index += 1;
        if (typeof turns === 'function') text = await turns(request as VlmRequest<unknown>, turnIndex);
        else {
          const turn = turns[turnIndex];
          if (turn === undefined) throw new SkillframeError('unavailable', `the scripted provider has no reply left (it was asked ${turnIndex + 1} times, the script has ${turns.length})`);
          if (typeof turn === 'string') text = turn;
          else if (typeof turn === 'function') text = await turn(request as VlmRequest<unknown>);
          else if ('error' in turn) throw turn.error;
          else {
            if (turn.delayMs) await sleep(turn.delayMs, signal);
            text = turn.reply;
          }
        }
        const value = parseReply(text, request.schema, 'scripted provider');
        const completionTokens = Math.ceil(text.length / 4);
        const promptTokens = Math.ceil(JSON.stringify(request.messages).length / 4);
        return { value, usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens }, ms: performance.now() - started, attempts: 1, raw: text };
      });
    },
    async dispose() {
      /* nothing held */
    },
  };
}
