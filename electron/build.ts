import { join } from 'node:path';
import { ensureUiBuilt } from '../engine/host/ui-build.ts';

/** Packages with native code or their own binaries stay outside the bundle and load from node_modules. */
export const externalPackages = ['electron', 'sharp', 'onnxruntime-node', 'robotjs', 'uiohook-napi', 'serialport', '@serialport/*', 'playwright-core', 'node-llama-cpp', '@ffmpeg-installer/*', 'esbuild', 'tsx'];

/** Bundles main and preload to CommonJS (what Electron loads) next to the UI bundle in dist/. */
export async function buildElectron(root: string): Promise<{ main: string; preload: string }> {
  await ensureUiBuilt();
  const esbuild = await import('esbuild');
  const outDirectory = join(root, 'dist', 'electron');
  const common = { bundle: true, platform: 'node' as const, format: 'cjs' as const, target: 'node20', external: externalPackages, logLevel: 'silent' as const, sourcemap: true };
  await esbuild.build({ ...common, entryPoints: [join(root, 'electron', 'main.ts')], outfile: join(outDirectory, 'main.cjs') });
  await esbuild.build({ ...common, entryPoints: [join(root, 'electron', 'preload.ts')], outfile: join(outDirectory, 'preload.cjs') });
  return { main: join(outDirectory, 'main.cjs'), preload: join(outDirectory, 'preload.cjs') };
}
