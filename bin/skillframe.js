#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader, so there is no build step to forget.
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
const { main, reportCrash } = await import('../host/cli/main.ts');
// bench/ sits above host/: this entry point composes it in when the folder ships (a git checkout),
// and an installed package without it answers `unavailable` for the bench commands.
const benchEntry = new URL('../bench/handlers.ts', import.meta.url);
const extraHandlers = existsSync(benchEntry) ? (await import(benchEntry.href)).benchHandlers : {};
main(process.argv.slice(2), { extraHandlers }).then(
  // Exit once stdout has drained: a one-shot command must not linger on a stray handle.
  (code) => process.stdout.write('', () => process.exit(code)),
  (error) => reportCrash(error),
);
