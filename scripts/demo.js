#!/usr/bin/env node
// `npm run demo`: the main job, end to end, on real apps. Plain JavaScript on purpose: it runs
// before dependencies exist, installs what is missing (apt packages when root, otherwise it prints
// the one apt line; npm packages), starts a virtual display when there is none, then runs the
// product. Every figure it prints comes from the real run; stages whose capability is not in this
// build say so instead of pretending.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'skillframe.js');
const aptPackages = 'xvfb xauth x11-utils libxtst6 libx11-6 libxkbcommon-x11-0 libxt6 openbox xdotool x11-apps galculator mousepad chromium fonts-liberation socat udev imagemagick xclip gtk-3-examples dbus dbus-x11 at-spi2-core libatk-adaptor python3-pyatspi featherpad x11-xserver-utils idle3 gnome-text-editor gnome-calculator gir1.2-gtk-3.0'.split(' ');
const children = [];

function say(text) {
  process.stdout.write(`\n\x1b[1m▶ ${text}\x1b[0m\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed with ${result.status ?? result.signal}`);
}

function ensureSystemPackages() {
  const missing = aptPackages.filter((name) => {
    const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return !(result.stdout ?? '').includes('install ok installed');
  });
  if (missing.length === 0) return;
  const line = `apt-get update && apt-get install -y --no-install-recommends ${aptPackages.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(`Skillframe needs these system packages: ${missing.join(' ')}\nRun as root, then run npm run demo again:\n  sudo sh -c '${line}'`);
    process.exit(1);
  }
  say(`Installing system packages: ${missing.join(' ')}`);
  run('sh', ['-c', line], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

function ensureNodePackages() {
  if (existsSync(join(root, 'node_modules', '.package-lock.json')) && existsSync(join(root, 'node_modules', 'tsx'))) return;
  say('Installing npm packages (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

async function ensureDisplay() {
  if (process.env.DISPLAY) return process.env;
  say('No display: starting a virtual one (Xvfb 1920x1080 + openbox)');
  const runtime = mkdtempSync(join(tmpdir(), 'sf-demo-x-'));
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1920x1080x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  children.push(xvfb);
  const number = await new Promise((resolve, reject) => {
    let text = '';
    xvfb.stdio[3].on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.trim());
    });
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)));
  });
  const env = { ...process.env, DISPLAY: `:${number}`, XDG_RUNTIME_DIR: runtime };
  children.push(spawn('openbox', ['--sm-disable'], { env, stdio: 'ignore' }));
  await new Promise((resolve) => setTimeout(resolve, 500));
  return env;
}

/** Runs a skillframe command and returns its parsed --json output (or throws with its error). */
function skillframe(args, env, { allowFailure = false } = {}) {
  const result = spawnSync(process.execPath, [bin, ...args, '--json'], { cwd: root, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let value;
  try {
    value = JSON.parse(result.stdout.trim().split('\n').pop() ?? 'null');
  } catch {
    value = undefined;
  }
  if (result.status !== 0 && !allowFailure) throw new Error(`skillframe ${args.join(' ')} exited ${result.status}: ${result.stderr.trim() || result.stdout.trim()}`);
  return { value, code: result.status, stderr: result.stderr };
}

async function main() {
  ensureSystemPackages();
  ensureNodePackages();
  const env = await ensureDisplay();
  const demoHome = process.env.SKILLFRAME_DEMO_DIR ?? join(process.env.SKILLFRAME_HOME ?? join(process.env.HOME ?? tmpdir(), '.skillframe'), 'demo', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(demoHome, { recursive: true });

  say('What this machine offers (skillframe doctor)');
  const doctor = skillframe(['doctor'], env).value;
  for (const check of doctor.checks) console.log(`  ${check.status === 'ok' ? '✓' : '✗'} ${check.name.padEnd(9)} ${check.detail}${check.fix ? `\n      fix: ${check.fix}` : ''}`);

  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'demo-run.ts'), demoHome], { cwd: root, env, stdio: 'inherit' });
  const outcome = { ok: run.status === 0, where: [] };

  say('Where things are');
  console.log(`  demo output: ${demoHome}`);
  for (const line of outcome.where ?? []) console.log(`  ${line}`);
  console.log('  the UI: run `npm start` (Electron where installed, else the browser UI via `skillframe serve`)');
  return outcome.ok ? 0 : 1;
}

main()
  .then((code) => {
    for (const child of children) child.kill('SIGTERM');
    process.exit(code);
  })
  .catch((error) => {
    for (const child of children) child.kill('SIGTERM');
    console.error(`demo failed: ${error.message}`);
    process.exit(1);
  });
