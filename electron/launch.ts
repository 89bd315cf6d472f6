// `npm start`: opens the Electron app where its binary exists; otherwise says so in one line and
// serves the same UI in the browser.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildElectron } from './build.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Finds Electron's binary without `require('electron')`, which would try to download it: nothing
 * is ever fetched at run time.
 */
function electronBinary(): string | undefined {
  // Electron is installed where `npm run package` stages the app (out/stage), or by the user.
  for (const base of [join(root, 'out', 'stage', 'package.json'), import.meta.url]) {
    try {
      const packageDirectory = dirname(createRequire(base).resolve('electron/package.json'));
      const relative = readFileSync(join(packageDirectory, 'path.txt'), 'utf8').trim();
      const binary = join(packageDirectory, 'dist', relative);
      if (existsSync(binary)) return binary;
    } catch {
      /* not installed there */
    }
  }
  return undefined;
}

const binary = electronBinary();
if (binary) {
  const { main } = await buildElectron(root);
  const child = spawn(binary, [main], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log('Electron is not installed on this machine (its binary could not be downloaded); serving the Skillframe UI in your browser instead.');
  const child = spawn(process.execPath, [join(root, 'bin', 'skillframe.js'), 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
  process.on('SIGINT', () => child.kill('SIGINT'));
  child.on('exit', (code) => process.exit(code ?? 0));
}
