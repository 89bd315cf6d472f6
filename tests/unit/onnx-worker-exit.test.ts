import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

// A process that ends while its OCR worker threads are inside onnxruntime-node (loading the
// recognition model, running it, or starting behind a read) used to abort after its work was done:
// "terminate called after throwing an instance of 'Napi::Error'", exit 134 (a fresh-clone suite run
// lost a unit file this way; replay exited 134 after a correct report). Each case is a real process
// with the real recogniser in real worker threads (testkit/onnx-exit-child.ts).

const child = fileURLToPath(new URL('../../testkit/onnx-exit-child.ts', import.meta.url));

function run(mode: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const spawned = spawn(process.execPath, ['--import', 'tsx', child, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    spawned.stdout.on('data', (chunk) => (stdout += chunk));
    spawned.stderr.on('data', (chunk) => (stderr += chunk));
    spawned.on('error', reject);
    spawned.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const cases: { mode: string; code: number; what: string }[] = [
  { mode: 'load', code: 0, what: 'process.exit while the worker threads load the model' },
  { mode: 'run', code: 0, what: 'process.exit while they run it' },
  { mode: 'throw', code: 1, what: 'an uncaught error while they run it' },
  { mode: 'read', code: 0, what: 'process.exit soon after an OCR read that starts them' },
];

test('a process whose OCR worker threads are busy inside onnxruntime ends with its own exit code, never an abort', { timeout: 180_000 }, async () => {
  // Side by side: each case is mostly model loading, and they are independent processes.
  const results = await Promise.all(cases.map((item) => run(item.mode)));
  results.forEach((result, index) => {
    const { mode, code, what } = cases[index];
    const detail = `${what}: code ${result.code}, signal ${result.signal}, stderr ${result.stderr.slice(-600)}`;
    assert.ok(!/terminate called|Napi::Error/.test(result.stderr), detail);
    assert.equal(result.signal, null, detail);
    assert.equal(result.code, code, detail);
    assert.match(result.stdout, new RegExp(`ended ${mode}`), detail);
  });
});
