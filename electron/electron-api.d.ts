// Electron is not a dependency of the engine: its binary cannot be installed on every machine and
// its tooling needs a newer Node than the runtime (see scripts/package.ts). The shell is written
// against the slice of Electron's API it uses, declared here by our own interfaces, so it
// typechecks without the package and unit tests pass a mock of exactly this slice.
declare module 'electron' {
  import type { MainElectron } from './main-process.ts';
  import type { PreloadElectron, PreloadIpc } from './preload-bridge.ts';
  export const app: MainElectron['app'];
  export const BrowserWindow: MainElectron['BrowserWindow'];
  export const ipcMain: MainElectron['ipcMain'];
  export const contextBridge: PreloadElectron;
  export const ipcRenderer: PreloadIpc;
}
