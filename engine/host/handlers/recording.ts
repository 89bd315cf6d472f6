import type { HandlerTable } from '../dispatcher.ts';

/**
 * Handlers of the recording room. Keep this file thin: import heavy modules lazily inside each
 * handler so the CLI starts fast.
 */
export const recordingHandlers: HandlerTable = {};
