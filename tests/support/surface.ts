import type { Surface } from '../../engine/computer/replay/surface.ts';

/**
 * An X11 surface on a scripted screen whose inputs act on nothing: for checks of verification,
 * which only look. `parts` gives the screen and whatever else the check reads (title, dialogs).
 */
export function scriptedSurface(parts: Pick<Surface, 'capture'> & Partial<Surface>): Surface {
  return {
    kind: 'x11',
    click: async () => undefined,
    type: async () => undefined,
    press: async () => undefined,
    scroll: async () => undefined,
    alive: async () => true,
    dispose: async () => undefined,
    ...parts,
  };
}
