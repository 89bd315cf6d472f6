/**
 * Skillframe as a library (`import { createDispatcher } from 'skillframe'`, with the tsx loader:
 * `node --import tsx`). Everything goes through the dispatcher, exactly as the CLI, the server, MCP
 * and Electron do; the contract (command and event schemas) is exported as `skillframe/contract`.
 */
export { createDispatcher } from './create.ts';
export type { CommandContext, DispatchOptions, Dispatcher, Handler, HandlerTable } from './dispatcher.ts';
export { main as runCli, type MainOptions } from './cli/main.ts';
