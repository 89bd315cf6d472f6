import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EventEnvelope, Reply } from '../core/index.ts';
import { uiConfirm } from '../host/confirm.ts';
import { createDispatcher } from '../host/create.ts';
import { onKillSwitch, registerProcess } from '../host/kill-switch.ts';
import { eventChannel, invokeChannel } from './bridge.ts';

/** The slice of Electron's main-process API Skillframe uses; tests pass a mock of it. */
export interface MainElectron {
  app: {
    requestSingleInstanceLock(): boolean;
    quit(): void;
    on(event: string, listener: (...args: unknown[]) => void): void;
    whenReady(): Promise<void>;
  };
  BrowserWindow: new (options: Record<string, unknown>) => MainWindow;
  ipcMain: {
    handle(channel: string, listener: (event: IpcEvent, ...args: unknown[]) => unknown): void;
    removeHandler(channel: string): void;
  };
}
export interface MainWindow {
  loadFile(path: string): Promise<void>;
  isMinimized(): boolean;
  restore(): void;
  focus(): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  webContents: {
    id: number;
    send(channel: string, payload: unknown): void;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' | 'allow' }): void;
    on(event: string, listener: (...args: unknown[]) => void): void;
  };
}
export interface IpcEvent {
  sender: { id: number };
  senderFrame?: { url: string } | null;
}

export interface MainOptions {
  uiDirectory: string;
  preloadPath: string;
}

/**
 * Electron main: one instance, one window with context isolation and the sandbox on, the engine
 * hosted in-process behind the same dispatcher as the CLI and the server. Every IPC call is
 * checked to come from our own window and our own page before it reaches the engine.
 */
export function startMainProcess(electron: MainElectron, options: MainOptions): { dispose(): void } | undefined {
  const { app, BrowserWindow, ipcMain } = electron;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return undefined;
  }
  const dispatcher = createDispatcher();
  // `skillframe stop` from any terminal aborts what the app is doing (the app stays open).
  const unregister = registerProcess('electron');
  const stopListening = onKillSwitch(() => dispatcher.abortAll());
  const indexUrl = pathToFileURL(join(options.uiDirectory, 'index.html')).href;
  let window: MainWindow | undefined;

  const send = (envelope: EventEnvelope) => window?.webContents.send(eventChannel, envelope);
  const stopEvents = dispatcher.onEvent(send);
  const confirm = uiConfirm(dispatcher, send);

  ipcMain.handle(invokeChannel, async (event, name, input): Promise<Reply> => {
    if (!window || event.sender.id !== window.webContents.id || !event.senderFrame || event.senderFrame.url.split('#')[0] !== indexUrl) {
      return { ok: false, error: { code: 'refused', message: 'IPC from an unknown sender' } };
    }
    if (typeof name !== 'string') return { ok: false, error: { code: 'bad_input', message: 'command name must be a string' } };
    return dispatcher.dispatch(name, input, { confirm });
  });

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('window-all-closed', () => app.quit());

  void app.whenReady().then(async () => {
    window = new BrowserWindow({
      width: 1280,
      height: 820,
      title: 'Skillframe',
      backgroundColor: '#0f1115',
      webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, preload: options.preloadPath },
    });
    // The app never opens other windows or navigates away from its own page.
    window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    window.webContents.on('will-navigate', (event: unknown, url: unknown) => {
      if (typeof url === 'string' && url.split('#')[0] !== indexUrl) (event as { preventDefault(): void }).preventDefault();
    });
    window.on('closed', () => {
      window = undefined;
    });
    await window.loadFile(join(options.uiDirectory, 'index.html'));
  });

  return {
    dispose() {
      stopListening();
      unregister();
      stopEvents();
      dispatcher.abortAll('app quitting');
      ipcMain.removeHandler(invokeChannel);
    },
  };
}
