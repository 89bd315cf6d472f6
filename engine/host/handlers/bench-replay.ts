import { resolve } from 'node:path';
import type { HandlerTable } from '../dispatcher.ts';

export const benchReplayHandlers: HandlerTable = {
  'bench.replay': async (input, context) => {
    const { runReplayBenchmark } = await import('../../../bench/replay/benchmark.ts');
    return runReplayBenchmark({
      quick: input.quick,
      ...(input.platform ? { platform: input.platform } : {}),
      naiveOnly: input.naiveOnly,
      ...(input.keep ? { keepDirectory: resolve(input.keep) } : {}),
      signal: context.signal,
      progress: (fraction, message) => context.progress({ fraction, message }),
    });
  },
};
