import type { Rung } from './rung.ts';

/** A vision-language model, given the state card and keyframes — only asked when every other rung failed. */
export const vlmRung: Rung = {
  surfaces: ['web', 'x11'],
  ground: async (input) => (input.askModel ? ((await input.askModel(input.step, input.frame)) ?? 'the model did not find the target') : 'no vision-language model configured'),
};
