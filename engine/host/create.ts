import { Dispatcher } from './dispatcher.ts';
import { handlers } from './handlers/index.ts';
import { localStop } from './handlers/system.ts';

/** The engine as one object: a dispatcher over every handler, with the kill switch wired in. */
export function createDispatcher(): Dispatcher {
  const dispatcher = new Dispatcher(handlers);
  localStop.abortAll = () => dispatcher.abortAll('stopped by the kill switch', ['stop']);
  return dispatcher;
}
