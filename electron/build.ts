import { join } from 'node:path';
import { ensureUiBuilt } from '../host/ui-build.ts';

/** Packages with native code or their own binaries stay outside the bundle and load from node_modules. */
export const externalPackages = ['electron', 'sharp', 'onnxruntime-node', 'robotjs', 'uiohook-napi', 'serialport', '@serialport/*', 'playwright-core', 'node-llama-cpp', '@ffmpeg-installer/*', 'esbuild', 'tsx', 'dbus-next'];

/**
 * Bundles main as ES module (the engine uses top-level await and import.meta) and the preload as
 * CommonJS (a sandboxed preload must be), next to the UI bundle in dist/.
 */
export async function buildElectron(root: string): Promise<{ main: string; preload: string }> {
  await ensureUiBuilt();
  const esbuild = await import('esbuild');
  const outDirectory = join(root, 'dist', 'electron');
  const common = { bundle: true, platform: 'node' as const, target: 'node20', external: externalPackages, logLevel: 'silent' as const, sourcemap: true };
  await esbuild.build({
    ...common,
    format: 'esm',
    entryPoints: [join(root, 'electron', 'main.ts')],
    outfile: join(outDirectory, 'main.mjs'),
    // Bundled CommonJS dependencies still call require(); give the module one.
    banner: { js: "import { createRequire as __skillframeRequire } from 'node:module'; const require = __skillframeRequire(import.meta.url);" },
  });
  await esbuild.build({ ...common, format: 'cjs', entryPoints: [join(root, 'electron', 'preload.ts')], outfile: join(outDirectory, 'preload.cjs') });
  return { main: join(outDirectory, 'main.mjs'), preload: join(outDirectory, 'preload.cjs') };
}
