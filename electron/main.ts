import * as electron from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMainProcess } from './main-process.ts';

// Bundled by electron/build.ts into dist/electron/main.mjs; the UI bundle sits beside it.
const here = dirname(fileURLToPath(import.meta.url));
const running = startMainProcess(electron, {
  uiDirectory: join(here, '..', 'renderer'),
  preloadPath: join(here, 'preload.cjs'),
});
electron.app.on('will-quit', () => running?.dispose());
