#!/usr/bin/env node
// Runs the suite with node's own test runner (its closing summary is what CI reads).
//   node scripts/test.js            unit + e2e
//   node scripts/test.js --unit     fast unit tests only (part of `npm run check`)
//   node scripts/test.js --e2e      end-to-end tests only
//   node scripts/test.js FILTER…    only test files whose path contains a filter
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const e2eOnly = args.includes('--e2e');
const filters = args.filter((arg) => !arg.startsWith('--'));

function collect(dir) {
  let found = [];
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(collect(path));
    else if (name.endsWith('.test.ts')) found.push(relative(root, path));
  }
  return found;
}

let files = [];
if (!e2eOnly) files = files.concat(collect(join(root, 'tests', 'unit')));
if (!unitOnly) files = files.concat(collect(join(root, 'tests', 'e2e')));
if (filters.length) files = files.filter((file) => filters.some((filter) => file.includes(filter)));
files.sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const concurrency = process.env.SKILLFRAME_TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', '--test-force-exit', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, SKILLFRAME_TEST: '1' } },
);
process.exit(result.status ?? 1);
