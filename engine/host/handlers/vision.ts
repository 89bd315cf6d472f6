import type { HandlerTable } from '../dispatcher.ts';

/**
 * Handlers of the vision room. Keep this file thin: import heavy modules lazily inside each
 * handler so the CLI starts fast.
 */
export const visionHandlers: HandlerTable = {};
