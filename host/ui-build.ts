import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { appRoot } from '../native/app-root.ts';

const root = appRoot();
export const rendererSource = join(root, 'renderer');
export const uiDirectory = join(root, 'dist', 'renderer');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds the UI bundle with esbuild when it is missing or older than its sources (and the core
 * contract it imports). A build takes well under a second, so `serve` always shows the current UI.
 */
export async function ensureUiBuilt(force = false): Promise<string> {
  const marker = join(uiDirectory, 'app.js');
  const sourcesTime = Math.max(newestMtime(rendererSource), newestMtime(join(root, 'core')));
  if (!force && existsSync(marker) && statSync(marker).mtimeMs >= sourcesTime) return uiDirectory;
  const esbuild = await import('esbuild');
  mkdirSync(uiDirectory, { recursive: true });
  await esbuild.build({
    entryPoints: [join(rendererSource, 'main.tsx')],
    bundle: true,
    format: 'esm',
    target: 'chrome120',
    outfile: marker,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    sourcemap: true,
    minify: true,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  copyFileSync(join(rendererSource, 'index.html'), join(uiDirectory, 'index.html'));
  copyFileSync(join(rendererSource, 'styles.css'), join(uiDirectory, 'styles.css'));
  writeFileSync(join(uiDirectory, 'build.json'), JSON.stringify({ builtAt: new Date().toISOString() }));
  return uiDirectory;
}
