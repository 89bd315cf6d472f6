// `npm run package` / `npm run make`: builds the Electron bundles, stages the app exactly as
// electron/package-layout.ts says (out/stage), installs the runtime dependencies and the
// packaging tools there, and runs Electron Forge on it. The tools (Electron 45, Forge 8) need
// Node >= 22.12 and download Electron's binary, so they live only in the stage: the engine, its
// tests and `npm ci` stay on Node 20 with no engine warnings.
import { spawnSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildElectron } from '../electron/build.ts';
import { stageApp } from '../electron/package-layout.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const command = process.argv[2] ?? 'package';
if (command !== 'package' && command !== 'make') {
  console.error(`usage: npm run package | npm run make (got ${JSON.stringify(command)})`);
  process.exit(2);
}
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`packaging needs Node >= 22.12 (Electron Forge 8); this is Node ${process.versions.node}. The app itself runs on Node 20: use \`npm start\`.`);
  process.exit(7);
}
const stage = join(root, 'out', 'stage');
rmSync(stage, { recursive: true, force: true });
await buildElectron(root);
stageApp(root, stage, { withPackagingTools: true });
copyFileSync(join(root, 'packaging', 'forge.config.mjs'), join(stage, 'forge.config.mjs'));
const run = (program: string, args: string[]) => {
  const result = spawnSync(program, args, { cwd: stage, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
run('npm', ['install', '--no-audit', '--no-fund']);
run('npx', ['electron-forge', command]);
console.log(`done: see ${join(stage, 'out')}`);
