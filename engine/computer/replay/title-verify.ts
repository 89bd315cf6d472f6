import { titleChangeMet, type TitleChange } from '../../../skills-mm/title-change.ts';
import type { Surface } from './surface.ts';
import { sleep } from '../../../core/abort.ts';

/**
 * Verification by the window's title (X11): after a step recorded as changing it (a save dropping
 * the modified mark), the live title must change the same way. Polls until it does or the time is
 * up (an app may retitle a moment after its pixels settled); a step whose recorded change does not
 * come is not done, whatever the pixels say — a menu that closed is no proof the file was saved.
 */
export async function waitForTitleChange(surface: Surface, expected: TitleChange, before: string, options: { timeoutMs: number; signal?: AbortSignal; typed?: string }): Promise<{ met: boolean; how: string }> {
  const deadline = Date.now() + options.timeoutMs;
  let last: { met: boolean; how: string } = { met: false, how: 'the window is gone' };
  for (;;) {
    options.signal?.throwIfAborted();
    const title = (await surface.window?.().catch(() => undefined))?.title;
    if (title !== undefined) {
      last = titleChangeMet(expected, before, title, options.typed);
      if (last.met) return last;
    }
    if (Date.now() >= deadline) return last;
    await sleep(100, options.signal);
  }
}
