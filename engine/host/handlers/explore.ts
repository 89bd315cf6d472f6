import type { HandlerTable } from '../dispatcher.ts';

/**
 * Handlers of the explore room. Keep this file thin: import heavy modules lazily inside each
 * handler so the CLI starts fast.
 */
export const exploreHandlers: HandlerTable = {};
