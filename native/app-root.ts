import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The one way product code finds its own files. The same code runs from the TypeScript sources
 * (the repo), from the esbuild bundle (dist/electron/main.mjs) and from an Electron asar archive,
 * so no file may reach a resource through a fixed number of `../` from itself: that breaks as soon
 * as it is bundled. We walk up to the folder whose package.json is Skillframe's.
 */

const packageName = 'skillframe';
let cachedRoot: string | undefined;

function isAppRoot(directory: string): boolean {
  const file = join(directory, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return JSON.parse(readFileSync(file, 'utf8')).name === packageName;
  } catch {
    return false;
  }
}

/** Walks up from `start` to the folder holding Skillframe's package.json. */
export function findAppRoot(start: string): string {
  let directory = start;
  for (;;) {
    if (isAppRoot(directory)) return directory;
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`Skillframe's package.json was not found above ${start}`);
    directory = parent;
  }
}

/** The app root: the repo from source, the app folder (or app.asar) when bundled or packaged. */
export function appRoot(): string {
  cachedRoot ??= findAppRoot(dirname(fileURLToPath(import.meta.url)));
  return cachedRoot;
}

/**
 * A path inside an asar archive cannot be opened by native code (onnxruntime, ffmpeg); the
 * packager unpacks such files beside it (`app.asar.unpacked`). Returns that copy when it exists.
 */
export function unpackedPath(path: string): string {
  const marker = `${sep}app.asar${sep}`;
  if (!path.includes(marker)) return path;
  const unpacked = path.replace(marker, `${sep}app.asar.unpacked${sep}`);
  return existsSync(unpacked) ? unpacked : path;
}

/** A file shipped with the app, by its path from the app root (e.g. `assets/policies/reach-flow.onnx`). */
export function appResource(...segments: string[]): string {
  return unpackedPath(join(appRoot(), ...segments));
}

/** The version in the app's package.json. */
export function appVersion(): string {
  return JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')).version;
}
