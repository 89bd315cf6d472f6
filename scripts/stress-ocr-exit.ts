// Stress check for OCR worker threads at process exit: many real processes that end while their
// onnxruntime-node worker threads are busy (testkit/onnx-exit-child.ts modes), plus a unit test
// file with OCR run the way the suite runs it (node --test --test-force-exit, workers on). Counts
// aborts (exit 134 / SIGABRT / "terminate called") per case and prints one JSON object.
//   node --import tsx scripts/stress-ocr-exit.ts [--runs N] [--parallel P] [--modes load,run,...]
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 && args[index + 1] ? args[index + 1] : fallback;
};
const runs = Number(option('runs', '20'));
const parallel = Number(option('parallel', '4'));
const modes = option('modes', 'load,run,throw,read,natural,suite').split(',');
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(parallel) || parallel < 1) {
  process.stderr.write('--runs and --parallel take whole numbers >= 1\n');
  process.exit(2);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const expectedCode: Record<string, number> = { load: 0, run: 0, throw: 1, read: 0, natural: 0, suite: 0 };

function command(mode: string): { argv: string[]; env: NodeJS.ProcessEnv } {
  if (mode === 'suite') {
    // A unit file whose OCR reads several lines (so the workers start behind it), force-exited by the runner.
    return { argv: ['--import', 'tsx', '--test', '--test-force-exit', 'tests/unit/builder-shown-before.test.ts'], env: { ...process.env, SKILLFRAME_OCR_WORKERS: '2' } };
  }
  return { argv: ['--import', 'tsx', 'testkit/onnx-exit-child.ts', mode], env: process.env };
}

interface Outcome {
  mode: string;
  code: number | null;
  signal: string | null;
  aborted: boolean;
  tail: string;
}

function once(mode: string): Promise<Outcome> {
  const { argv, env } = command(mode);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code, signal) => {
      const aborted = code === 134 || signal === 'SIGABRT' || /terminate called|Napi::Error/.test(output);
      resolve({ mode, code, signal, aborted, tail: output.slice(-300) });
    });
  });
}

const jobs = modes.flatMap((mode) => Array.from({ length: runs }, () => mode));
const started = Date.now();
const loadAtStart = loadavg()[0];
const outcomes: Outcome[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (next < jobs.length) {
      const mode = jobs[next];
      next += 1;
      const outcome = await once(mode);
      outcomes.push(outcome);
      process.stderr.write(`progress ${(outcomes.length / jobs.length).toFixed(3)} ${mode} code ${outcome.code}${outcome.aborted ? ' ABORTED' : ''}\n`);
    }
  }),
);
const byMode = Object.fromEntries(
  modes.map((mode) => {
    const mine = outcomes.filter((outcome) => outcome.mode === mode);
    const aborted = mine.filter((outcome) => outcome.aborted);
    const otherFailures = mine.filter((outcome) => !outcome.aborted && outcome.code !== expectedCode[mode]);
    return [mode, { runs: mine.length, aborted: aborted.length, other_failures: otherFailures.length, ...(aborted.length + otherFailures.length ? { example: (aborted[0] ?? otherFailures[0]).tail } : {}) }];
  }),
);
process.stdout.write(
  `${JSON.stringify({ runs: outcomes.length, aborted: outcomes.filter((outcome) => outcome.aborted).length, parallel, cores: cpus().length, load_average_start: loadAtStart, load_average_end: loadavg()[0], seconds: Math.round((Date.now() - started) / 1000), modes: byMode }, null, 1)}\n`,
);
process.exit(outcomes.some((outcome) => outcome.aborted) ? 1 : 0);
