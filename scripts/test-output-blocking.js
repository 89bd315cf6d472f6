// Preloaded (`--import`) into node's test runner and, through its inherited flags, into every test
// file's own process. Under `--test-force-exit` a test file's process calls process.exit() as soon as
// its last test ends, while the verdicts it has written to its stdout pipe may still be queued
// (pipes are non-blocking on Linux). Those verdicts are then lost: the runner reports fewer tests
// than ran and still exits 0 (nodejs/node#64833, reproduced here on Node 20.20: 151–159 of 160).
// Blocking writes make every verdict reach the runner before the process can exit.
for (const stream of [process.stdout, process.stderr]) stream._handle?.setBlocking?.(true);
