export type { HookEvent, InputDriver, InputHooks, Modifiers } from './input.ts';
export { formatChord, parseChord, type Chord } from './keys.ts';
export { FakeHooks, FakeInput } from './fake-input.ts';

/** The real synthetic-input drivers and hooks, loaded only when asked for (they need a display). */
export async function createInput(kind: 'robot' | 'xdotool', options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}) {
  if (kind === 'robot') return new (await import('./robot-input.ts')).RobotInput(options.env);
  return new (await import('./xdotool-input.ts')).XdotoolInput(options);
}

export async function createHooks(env: NodeJS.ProcessEnv = process.env) {
  return new (await import('./uiohook-hooks.ts')).UiohookHooks(env);
}
