import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFile } from '../../scripts/lint.ts';

test('an upward import is a finding', () => {
  const findings = checkFile('core/errors.ts', "import { x } from '../native/onnx/providers.ts';\n");
  assert.equal(findings.length, 1);
  assert.match(findings[0].message, /downward/);
});

test('the renderer may not import the engine', () => {
  const findings = checkFile('renderer/pages/library.tsx', "import { y } from '../../engine/host/server.ts';\n");
  assert.equal(findings.length, 1);
  assert.match(findings[0].message, /only core/);
});

test('core may not import runtime packages', () => {
  assert.equal(checkFile('core/x.ts', "import { readFileSync } from 'node:fs';\n").length, 1);
  assert.equal(checkFile('core/x.ts', "import { z } from 'zod';\n").length, 0);
});

test('downward imports are fine', () => {
  assert.deepEqual(checkFile('engine/host/x.ts', "import { a } from '../computer/replay.ts';\nimport { b } from '../../core/index.ts';\n"), []);
});
