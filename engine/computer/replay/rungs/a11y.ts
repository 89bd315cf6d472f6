import type { Rung } from './rung.ts';

/**
 * X11: the recorded accessible (role, name, path from the application root) resolved in the live
 * AT-SPI tree.
 */
export const a11yRung: Rung = {
  surfaces: ['x11'],
  ground: async () => 'no accessibility tree on this surface',
};
