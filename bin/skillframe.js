#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main, reportCrash } = await import('../engine/host/cli/main.ts');
main(process.argv.slice(2)).then(
  // Exit once stdout has drained: a one-shot command must not linger on a stray handle.
  (code) => process.stdout.write('', () => process.exit(code)),
  (error) => reportCrash(error),
);
