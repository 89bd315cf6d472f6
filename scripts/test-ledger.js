// A second reporter for node's test runner: it appends each test's start and verdict, one JSON line
// each, to the file named by SKILLFRAME_TEST_LEDGER, synchronously — so the lines survive the
// runner's own forced exit, which cuts short any reporter that reports at the end. scripts/test.js
// reads it back and fails the run when a test started and never reported a verdict: a verdict lost
// on its way from a test file's process is then a failure, not a silently smaller count.
import { appendFileSync } from 'node:fs';

export default async function* ledger(source) {
  const path = process.env.SKILLFRAME_TEST_LEDGER;
  for await (const event of source) {
    if (!path || !['test:start', 'test:pass', 'test:fail'].includes(event.type)) continue;
    const { file, nesting, name } = event.data ?? {};
    appendFileSync(path, `${JSON.stringify({ type: event.type, file, nesting, name })}\n`);
  }
}
