import { Dispatcher, type HandlerTable } from './dispatcher.ts';
import { handlers } from './handlers/index.ts';
import { localStop } from './handlers/system.ts';

/**
 * The engine as one object: a dispatcher over every handler, with the kill switch wired in.
 * `extra` adds tables from layers above host (bench/ registers its commands this way, only when
 * present), so host never imports them.
 */
export function createDispatcher(extra: HandlerTable = {}): Dispatcher {
  const dispatcher = new Dispatcher({ ...handlers, ...extra });
  localStop.abortAll = () => dispatcher.abortAll('stopped by the kill switch', ['stop']);
  return dispatcher;
}
