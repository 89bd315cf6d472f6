import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { eventChannel, invokeChannel } from '../../electron/bridge.ts';
import { startMainProcess, type IpcEvent, type MainElectron } from '../../electron/main-process.ts';
import { exposeBridge } from '../../electron/preload-bridge.ts';

/** A mocked `electron` main-process module that records what Skillframe asks of it. */
function mockElectron(options: { lock?: boolean } = {}) {
  const handlers = new Map<string, (event: IpcEvent, ...args: unknown[]) => unknown>();
  const appListeners = new Map<string, (...args: unknown[]) => void>();
  const windows: { options: Record<string, unknown>; sent: [string, unknown][]; loaded?: string; openHandler?: (details: { url: string }) => { action: string }; focused: number }[] = [];
  let quit = 0;
  let ready!: () => void;
  const readyPromise = new Promise<void>((resolve) => (ready = resolve));
  const electron: MainElectron = {
    app: {
      requestSingleInstanceLock: () => options.lock ?? true,
      quit: () => void (quit += 1),
      on: (event, listener) => void appListeners.set(event, listener),
      whenReady: () => readyPromise,
    },
    BrowserWindow: class {
      webContents;
      private readonly record;
      constructor(windowOptions: Record<string, unknown>) {
        this.record = { options: windowOptions, sent: [] as [string, unknown][], focused: 0 } as (typeof windows)[number];
        windows.push(this.record);
        const record = this.record;
        this.webContents = {
          id: 7,
          send: (channel: string, payload: unknown) => void record.sent.push([channel, payload]),
          setWindowOpenHandler: (handler: (details: { url: string }) => { action: 'deny' | 'allow' }) => void (record.openHandler = handler),
          on: () => undefined,
        };
      }
      async loadFile(path: string) {
        this.record.loaded = path;
      }
      isMinimized() {
        return false;
      }
      restore() {}
      focus() {
        this.record.focused += 1;
      }
      on() {}
    } as unknown as MainElectron['BrowserWindow'],
    ipcMain: {
      handle: (channel, listener) => void handlers.set(channel, listener),
      removeHandler: (channel) => void handlers.delete(channel),
    },
  };
  return { electron, handlers, appListeners, windows, ready, quitCount: () => quit };
}

// The main process registers with the kill switch under SKILLFRAME_HOME: never the user's.
const home = mkdtempSync(join(tmpdir(), 'sf-electron-'));
process.env.SKILLFRAME_HOME = home;
after(() => rmSync(home, { recursive: true, force: true }));

const uiDirectory = '/opt/skillframe/renderer';
const pageUrl = pathToFileURL(join(uiDirectory, 'index.html')).href;

test('a second instance quits and focuses the first', () => {
  const mock = mockElectron({ lock: false });
  assert.equal(startMainProcess(mock.electron, { uiDirectory, preloadPath: '/p.cjs' }), undefined);
  assert.equal(mock.quitCount(), 1);
});

test('the window is isolated: context isolation, sandbox, no node integration, no popups', async () => {
  const mock = mockElectron();
  const running = startMainProcess(mock.electron, { uiDirectory, preloadPath: '/p.cjs' });
  mock.ready();
  await new Promise((resolve) => setTimeout(resolve, 10));
  const [window] = mock.windows;
  assert.deepEqual(window.options.webPreferences, { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, preload: '/p.cjs' });
  assert.equal(window.loaded, join(uiDirectory, 'index.html'));
  assert.equal(window.openHandler?.({ url: 'https://example.com' }).action, 'deny');
  mock.appListeners.get('second-instance')?.();
  assert.equal(window.focused, 1);
  running?.dispose();
});

test('the main process registers with the kill switch, and `stop` aborts its work without closing it (observed: it never registered)', async () => {
  const mock = mockElectron();
  const running = startMainProcess(mock.electron, { uiDirectory, preloadPath: '/p.cjs' });
  mock.ready();
  await new Promise((resolve) => setTimeout(resolve, 10));
  const entries = readdirSync(join(home, 'run')).map((name) => JSON.parse(readFileSync(join(home, 'run', name), 'utf8')));
  assert.deepEqual(entries.map((entry) => [entry.pid, entry.what]), [[process.pid, 'electron']]);
  assert.ok(entries[0].startTime && entries[0].commandLine, 'the entry carries the process identity');
  const invoke = mock.handlers.get(invokeChannel)!;
  const sleeping = invoke({ sender: { id: 7 }, senderFrame: { url: pageUrl } }, 'debug.sleep', { ms: 20_000, steps: 2 }) as Promise<{ ok: boolean; error?: { code: string } }>;
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.emit('SIGUSR2', 'SIGUSR2');
  const reply = await sleeping;
  assert.deepEqual([reply.ok, reply.error?.code], [false, 'aborted']);
  running?.dispose();
  assert.deepEqual(readdirSync(join(home, 'run')), [], 'dispose unregisters');
});

test('IPC runs commands for our own page and refuses any other sender', async () => {
  const mock = mockElectron();
  const running = startMainProcess(mock.electron, { uiDirectory, preloadPath: '/p.cjs' });
  mock.ready();
  await new Promise((resolve) => setTimeout(resolve, 10));
  const invoke = mock.handlers.get(invokeChannel)!;
  const ok = (await invoke({ sender: { id: 7 }, senderFrame: { url: `${pageUrl}#/library` } }, 'ping', { echo: 'e' })) as { ok: boolean; value: { echo: string } };
  assert.equal(ok.ok, true);
  assert.equal(ok.value.echo, 'e');
  const foreignFrame = (await invoke({ sender: { id: 7 }, senderFrame: { url: 'https://evil.example/' } }, 'ping', {})) as { ok: boolean; error: { code: string } };
  assert.deepEqual([foreignFrame.ok, foreignFrame.error.code], [false, 'refused']);
  const foreignSender = (await invoke({ sender: { id: 99 }, senderFrame: { url: pageUrl } }, 'ping', {})) as { ok: boolean; error: { code: string } };
  assert.deepEqual([foreignSender.ok, foreignSender.error.code], [false, 'refused']);
  const badName = (await invoke({ sender: { id: 7 }, senderFrame: { url: pageUrl } }, 42, {})) as { ok: boolean; error: { code: string } };
  assert.equal(badName.error.code, 'bad_input');
  // Progress events of a command reach the window on the event channel.
  await invoke({ sender: { id: 7 }, senderFrame: { url: pageUrl } }, 'debug.sleep', { ms: 10, steps: 2 });
  const events = mock.windows[0].sent.filter(([channel]) => channel === eventChannel);
  assert.equal(events.length, 2);
  running?.dispose();
  assert.equal(mock.handlers.has(invokeChannel), false);
});

test('the preload exposes exactly invoke and on, and only our channels', async () => {
  const exposed: Record<string, unknown> = {};
  const calls: unknown[][] = [];
  const listeners = new Map<string, (event: unknown, payload: unknown) => void>();
  exposeBridge(
    { exposeInMainWorld: (key, api) => void (exposed[key] = api) },
    {
      invoke: async (...args) => {
        calls.push(args);
        return { ok: true, value: 1 };
      },
      on: (channel, listener) => void listeners.set(channel, listener),
      removeListener: (channel) => void listeners.delete(channel),
    },
  );
  const api = exposed.skillframe as { invoke: (name: unknown, input: unknown) => Promise<unknown>; on: (listener: unknown) => () => void };
  assert.deepEqual(Object.keys(exposed), ['skillframe']);
  assert.deepEqual(Object.keys(api).sort(), ['invoke', 'on']);
  await api.invoke('ping', {});
  assert.deepEqual(calls, [[invokeChannel, 'ping', {}]]);
  assert.deepEqual(await api.invoke(5, {}), { ok: false, error: { code: 'bad_input', message: 'command name must be a string' } });
  const received: unknown[] = [];
  const off = api.on((payload: unknown) => received.push(payload));
  listeners.get(eventChannel)?.({}, { event: 'progress' });
  assert.deepEqual(received, [{ event: 'progress' }]);
  off();
  assert.equal(listeners.has(eventChannel), false);
});

test('main and preload bundle for Electron with native packages left external', async () => {
  const { buildElectron } = await import('../../electron/build.ts');
  const { readFileSync } = await import('node:fs');
  const { repoRoot } = await import('../support/cli.ts');
  const built = await buildElectron(repoRoot);
  const preload = readFileSync(built.preload, 'utf8');
  assert.match(preload, /exposeInMainWorld/);
  assert.match(readFileSync(built.main, 'utf8'), /from "electron"/);
});
