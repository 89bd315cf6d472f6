import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildElectron } from '../../electron/build.ts';
import { stageApp } from '../../electron/package-layout.ts';
import { repoRoot } from '../support/cli.ts';

/**
 * A stand-in for the `electron` package that a packaged app imports: it creates no real window
 * but records what main asks for, then calls main's IPC handler the way the page would and prints
 * one report line. Everything else — the bundle, the layout, node_modules — is what ships.
 */
const stubElectron = `
const handlers = new Map();
const windows = [];
const report = (extra) => { process.stdout.write('PACKAGED-REPORT ' + JSON.stringify({ windows, ...extra }) + '\\n'); process.exit(0); };
export const app = {
  requestSingleInstanceLock: () => true,
  quit: () => {},
  on: () => {},
  whenReady: () => Promise.resolve(),
};
export class BrowserWindow {
  constructor(options) {
    this.record = { options };
    windows.push(this.record);
    this.webContents = { id: 1, send: () => {}, setWindowOpenHandler: () => {}, on: () => {} };
  }
  async loadFile(path) {
    this.record.loaded = path;
    const { pathToFileURL } = await import('node:url');
    const invoke = handlers.get('skillframe:invoke');
    const event = { sender: { id: 1 }, senderFrame: { url: pathToFileURL(path).href } };
    const ping = await invoke(event, 'ping', {});
    const doctor = await invoke(event, 'doctor', {});
    const stranger = await invoke({ sender: { id: 2 }, senderFrame: { url: 'https://example.com/' } }, 'ping', {});
    setImmediate(() => report({ ping, doctor, stranger }));
  }
  isMinimized() { return false; }
  restore() {}
  focus() {}
  on() {}
}
export const ipcMain = { handle: (channel, listener) => handlers.set(channel, listener), removeHandler: (channel) => handlers.delete(channel) };
export const contextBridge = {};
export const ipcRenderer = {};
`;

test('the Electron main bundle starts from a packaged layout: window, preload, dispatcher, models', { timeout: 180_000 }, async () => {
  await buildElectron(repoRoot);
  const work = mkdtempSync(join(tmpdir(), 'skillframe-packaged-'));
  try {
    const app = join(work, 'resources', 'app');
    const manifest = stageApp(repoRoot, app);
    // The packager copies the runtime dependencies; link them, and put the stub in electron's place.
    const modules = join(app, 'node_modules');
    mkdirSync(modules);
    for (const name of readdirSync(join(repoRoot, 'node_modules'))) {
      if (name === 'electron' || name.startsWith('.')) continue;
      symlinkSync(join(repoRoot, 'node_modules', name), join(modules, name));
    }
    mkdirSync(join(modules, 'electron'));
    writeFileSync(join(modules, 'electron', 'package.json'), JSON.stringify({ name: 'electron', type: 'module', main: 'index.js' }));
    writeFileSync(join(modules, 'electron', 'index.js'), stubElectron);
    // Nothing of the source tree is reachable from the staged app: it may not climb out of it.
    assert.equal(existsSync(join(app, 'host')), false);
    assert.equal(existsSync(join(app, 'testkit')), false);

    const home = join(work, 'home');
    mkdirSync(home);
    const child = spawn(process.execPath, [join(app, manifest.main as string)], { cwd: work, env: { ...process.env, HOME: home, SKILLFRAME_HOME: join(home, '.skillframe') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const line = stdout.split('\n').find((entry) => entry.startsWith('PACKAGED-REPORT '));
    assert.ok(line, `no report (exit ${code}): ${stderr.slice(-2000)}`);
    const report = JSON.parse(line.slice('PACKAGED-REPORT '.length));

    assert.equal(report.windows.length, 1);
    const window = report.windows[0];
    assert.equal(window.options.webPreferences.contextIsolation, true);
    assert.equal(window.options.webPreferences.sandbox, true);
    assert.ok(window.options.webPreferences.preload.startsWith(app), window.options.webPreferences.preload);
    assert.ok(existsSync(window.options.webPreferences.preload), 'the preload bundle exists where main points');
    assert.ok(window.loaded.startsWith(app) && existsSync(window.loaded), `the UI page exists: ${window.loaded}`);

    const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
    assert.deepEqual(report.ping, { ok: true, value: { pong: true, version } });
    assert.equal(report.stranger.ok, false, 'IPC from another sender is refused');
    assert.equal(report.doctor.ok, true, JSON.stringify(report.doctor).slice(0, 500));
    const models = report.doctor.value.checks.find((check: { name: string }) => check.name === 'models');
    assert.equal(models?.status, 'ok', JSON.stringify(models));
    assert.match(models.detail, /ch_PP-OCRv4_det_infer\.onnx/);
    assert.ok(models.detail.includes(join(app, 'engine', 'robot', 'policy', 'assets', 'reach-flow.onnx')), `the policy resolves inside the app: ${models.detail}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
