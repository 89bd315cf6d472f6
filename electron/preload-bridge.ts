import { eventChannel, invokeChannel } from './bridge.ts';

/** The slice of Electron's preload API we use, so tests can pass a mock. */
export interface PreloadElectron {
  exposeInMainWorld(key: string, api: unknown): void;
}
export interface PreloadIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): void;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): void;
}

/**
 * Exposes exactly two functions to the page: `invoke(name, input)` and `on(listener)`. The page
 * never sees ipcRenderer itself, so it cannot reach any other channel.
 */
export function exposeBridge(contextBridge: PreloadElectron, ipcRenderer: PreloadIpc): void {
  contextBridge.exposeInMainWorld('skillframe', {
    invoke: (name: unknown, input: unknown) => {
      if (typeof name !== 'string') return Promise.resolve({ ok: false, error: { code: 'bad_input', message: 'command name must be a string' } });
      return ipcRenderer.invoke(invokeChannel, name, input);
    },
    on: (listener: unknown) => {
      if (typeof listener !== 'function') throw new TypeError('listener must be a function');
      const wrapped = (_event: unknown, payload: unknown) => (listener as (payload: unknown) => void)(payload);
      ipcRenderer.on(eventChannel, wrapped);
      return () => ipcRenderer.removeListener(eventChannel, wrapped);
    },
  });
}
