import { commandMap, eventMap } from '../registry-helpers.ts';

/** Commands of the vision room. Each room owns its file; the registry merges them. */

export const commands = commandMap();

export const events = eventMap();
