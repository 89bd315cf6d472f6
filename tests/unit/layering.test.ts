import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFile } from '../../scripts/lint.ts';

test('an upward import is a finding', () => {
  const findings = checkFile('core/errors.ts', "import { x } from '../native/onnx/providers.ts';\n");
  assert.equal(findings.length, 1);
  assert.match(findings[0].message, /core\/ may import only itself/);
});

test('skills-mm may not reach up into the engine, and product code never imports bench/, testkit/ or tests/', () => {
  assert.equal(checkFile('skills-mm/builder.ts', "import { replay } from '../engine/computer/replay/replay.ts';\n").length, 1);
  assert.equal(checkFile('host/handlers/x.ts', "const { run } = await import('../../bench/skills.ts');\n").length, 1);
  assert.equal(checkFile('engine/computer/x.ts', "import { serveFolder } from '../../testkit/static-server.ts';\n").length, 1);
  assert.equal(checkFile('host/x.ts', "import { x } from '../tests/support/cli.ts';\n").length, 1);
});

test('paths reached through new URL(…, import.meta.url) obey the same map', () => {
  const findings = checkFile('host/handlers/vision.ts', "const script = fileURLToPath(new URL('../../bench/vision.ts', import.meta.url));\n");
  assert.equal(findings.length, 1);
  assert.match(findings[0].message, /host\/ imports bench\//);
});

test('the renderer may import only core', () => {
  const findings = checkFile('renderer/pages/library.tsx', "import { y } from '../../host/server.ts';\n");
  assert.equal(findings.length, 1);
  assert.match(findings[0].message, /renderer\/ may import only core\//);
  assert.equal(checkFile('renderer/x.ts', "import { readFileSync } from 'node:fs';\n").length, 1);
});

test('each folder has an allow-list of packages', () => {
  assert.equal(checkFile('core/x.ts', "import { readFileSync } from 'node:fs';\n").length, 1);
  assert.equal(checkFile('core/x.ts', "import { z } from 'zod';\n").length, 0);
  assert.equal(checkFile('skills-mm/x.ts', "import { chromium } from 'playwright-core';\n").length, 1);
  assert.equal(checkFile('native/browser/x.ts', "import { chromium } from 'playwright-core';\n").length, 0);
});

test('downward imports are fine', () => {
  assert.deepEqual(checkFile('host/x.ts', "import { a } from '../engine/computer/replay/replay.ts';\nimport { b } from '../core/index.ts';\n"), []);
  assert.deepEqual(checkFile('bench/x.ts', "import { a } from '../host/dispatcher.ts';\nimport { b } from '../testkit/static-server.ts';\n"), []);
});
