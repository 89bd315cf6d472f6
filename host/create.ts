import { Dispatcher, type HandlerTable } from './dispatcher.ts';
import { handlers } from './handlers/index.ts';

/**
 * The engine as one object: a dispatcher over every handler, the kill switch and confirmations held per instance (CommandContext.host).
 * `extra` adds tables from layers above host (bench/ registers its commands this way, only when
 * present), so host never imports them.
 */
export function createDispatcher(extra: HandlerTable = {}): Dispatcher {
  return new Dispatcher({ ...handlers, ...extra });
}
