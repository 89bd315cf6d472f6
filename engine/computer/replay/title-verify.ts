import { titleChangeMet, type TitleChange } from '../../../skills-mm/title-change.ts';
import type { Surface } from './surface.ts';
import { sleep } from '../../../core/abort.ts';

/** How often the title is looked at: asked of the window system, or read from its notices. */
const askedIntervalMs = 100;
const heardIntervalMs = 15;

/**
 * Verification by the window's title (X11): after a step recorded as changing it (a save dropping
 * the modified mark), the live title must change the same way. Polls until it does or the time is
 * up (an app may retitle a moment after its pixels settled); a step whose recorded change does not
 * come is not done, whatever the pixels say — a menu that closed is no proof the file was saved.
 */
export async function waitForTitleChange(surface: Surface, expected: TitleChange, before: string, options: { timeoutMs: number; signal?: AbortSignal; typed?: string }): Promise<{ met: boolean; how: string }> {
  const deadline = Date.now() + options.timeoutMs;
  let last: { met: boolean; how: string } = { met: false, how: 'the window is gone' };
  // A surface that hears the title's own change notices is looked at closely (a look costs no
  // query): the step ends the moment the title changes, not up to a polling interval later.
  const interval = surface.title ? heardIntervalMs : askedIntervalMs;
  const read = titleReader(surface);
  for (;;) {
    options.signal?.throwIfAborted();
    const title = await read?.().catch(() => undefined);
    if (title !== undefined) {
      last = titleChangeMet(expected, before, title, options.typed);
      if (last.met) return last;
    }
    if (Date.now() >= deadline) return last;
    await sleep(interval, options.signal);
  }
}

/** How a step reads the window's title (X11): from its notices where the surface hears them, else by asking for the window. */
export function titleReader(surface: Surface): (() => Promise<string | undefined>) | undefined {
  if (surface.title) return surface.title.bind(surface);
  const window = surface.window?.bind(surface);
  return window ? async () => (await window().catch(() => undefined))?.title : undefined;
}
