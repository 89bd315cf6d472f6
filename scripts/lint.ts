// Project lint: the layering rule (imports only go downward) plus a few rules that keep the code
// honest. Exits non-zero with one line per finding.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Layers, lowest first. A file may import its own layer or lower ones, never higher.
 * The renderer is special: it may import only core and itself (it runs in a browser).
 */
export const layers: { prefix: string; rank: number }[] = [
  { prefix: 'core/', rank: 0 },
  { prefix: 'native/', rank: 1 },
  { prefix: 'engine/vision/', rank: 2 },
  { prefix: 'engine/models/', rank: 2 },
  { prefix: 'skills-mm/', rank: 3 },
  { prefix: 'engine/computer/', rank: 4 },
  { prefix: 'engine/robot/', rank: 4 },
  { prefix: 'engine/host/', rank: 5 },
  // Benchmarks use the whole engine and are run through contract commands (`bench.*`) by the host.
  { prefix: 'bench/', rank: 5 },
  { prefix: 'electron/', rank: 6 },
];

export function layerOf(file: string): { prefix: string; rank: number } | undefined {
  const path = file.split(sep).join('/');
  return layers.filter((layer) => path.startsWith(layer.prefix)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
}

export interface Finding {
  file: string;
  line: number;
  message: string;
}

const importPattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

export function checkFile(file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  const own = layerOf(file);
  const isRenderer = file.startsWith(`renderer${sep}`) || file.startsWith('renderer/');
  for (const match of text.matchAll(importPattern)) {
    const specifier = match[1] ?? match[2];
    const line = text.slice(0, match.index).split('\n').length + (text[match.index] === '\n' ? 1 : 0);
    if (!specifier.startsWith('.')) {
      if (own?.prefix === 'core/' && specifier !== 'zod') findings.push({ file, line, message: `core imports ${specifier}: core is runtime-neutral (zod only)` });
      if (isRenderer && (specifier.startsWith('node:') || ['electron', 'ws', 'sharp', 'onnxruntime-node', 'robotjs', 'playwright-core'].includes(specifier))) {
        findings.push({ file, line, message: `renderer imports ${specifier}: the UI runs in a browser` });
      }
      continue;
    }
    const target = normalize(join(dirname(file), specifier));
    if (isRenderer) {
      if (!target.startsWith(`renderer${sep}`) && !target.startsWith(`core${sep}`)) findings.push({ file, line, message: `renderer imports ${specifier}: it may import only core/ and renderer/` });
      continue;
    }
    const theirs = layerOf(target);
    if (own && theirs && theirs.rank > own.rank) findings.push({ file, line, message: `${own.prefix} (layer ${own.rank}) imports ${theirs.prefix} (layer ${theirs.rank}): imports go downward only` });
    if (own && target.startsWith(`renderer${sep}`)) findings.push({ file, line, message: `${own.prefix} imports the renderer` });
    if (own && target.startsWith(`tests${sep}`)) findings.push({ file, line, message: `product code imports ${specifier} from tests/` });
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
    else if (/\.(ts|tsx)$/.test(name)) out.push(path);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files: string[] = [];
  for (const dir of ['core', 'native', 'skills-mm', 'engine', 'electron', 'renderer', 'tests', 'bench', 'scripts']) {
    try {
      walk(dir, files);
    } catch {
      /* folder not there yet */
    }
  }
  const findings = files.flatMap((file) => checkFile(file, readFileSync(join(root, file), 'utf8')));
  for (const finding of findings) console.error(`${relative(root, join(root, finding.file))}:${finding.line}: ${finding.message}`);
  if (findings.length) {
    console.error(`lint: ${findings.length} finding(s)`);
    process.exit(1);
  }
  console.log(`lint: ${files.length} files clean`);
}
