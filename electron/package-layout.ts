import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * What the packaged app holds, once: scripts/package.ts stages exactly this for Electron Forge, and
 * the packaged test (tests/unit/electron-packaged.test.ts) lays an app out the same way, so the
 * test sees what a user's install has. Any file product code loads at run time through the
 * app-root resolver (native/app-root.ts) must be under one of these paths.
 */
export const packagedPaths = [
  'LICENSE',
  'README.md',
  // The bundles built by electron/build.ts: main.mjs, preload.cjs and the UI in dist/renderer.
  'dist/electron',
  'dist/renderer',
  // The committed robot policies (ONNX), loaded by engine/robot/policy.
  'engine/robot/policy/assets',
] as const;

/** The versions of the packaging tools; they need Node >= 22.12, the runtime does not. */
export const packagingTools = {
  electron: '45.5.0',
  '@electron-forge/cli': '8.0.1',
  '@electron-forge/maker-zip': '8.0.1',
  '@electron-forge/maker-deb': '8.0.1',
} as const;

interface RootPackage {
  name: string;
  version: string;
  description?: string;
  license?: string;
  dependencies?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
}

/**
 * Lays the app out in `stage`: the packaged paths, and a package.json whose `main` is the bundled
 * Electron main and whose dependencies are the runtime's (native packages stay outside the bundle).
 * Returns the package.json written.
 */
export function stageApp(root: string, stage: string, options: { withPackagingTools?: boolean } = {}): Record<string, unknown> {
  mkdirSync(stage, { recursive: true });
  for (const path of packagedPaths) {
    const from = join(root, path);
    if (!existsSync(from)) throw new Error(`packaged path ${path} is missing in ${root} (run the Electron build first)`);
    mkdirSync(dirname(join(stage, path)), { recursive: true });
    cpSync(from, join(stage, path), { recursive: true });
  }
  const source = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as RootPackage;
  const manifest = {
    name: source.name,
    productName: 'Skillframe',
    version: source.version,
    description: source.description,
    license: source.license,
    type: 'module',
    main: 'dist/electron/main.mjs',
    dependencies: source.dependencies ?? {},
    ...(options.withPackagingTools ? { devDependencies: packagingTools, allowScripts: { ...source.allowScripts, electron: true } } : {}),
  };
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
