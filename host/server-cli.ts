import { createDispatcher } from './create.ts';
import type { HandlerTable } from './dispatcher.ts';
import { onKillSwitch, registerProcess } from './kill-switch.ts';
import { startServer } from './server.ts';
import { ensureUiBuilt } from './ui-build.ts';

/** `skillframe serve [--port N] [--open]` — its first stdout line is `{"url","token"}` JSON. */
export async function serveCommand(argv: readonly string[], extraHandlers: HandlerTable = {}): Promise<number> {
  let port: number | undefined;
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    if (arg === '--port' || arg.startsWith('--port=')) {
      const raw = arg.includes('=') ? arg.slice(7) : argv[++index];
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0 || value > 65535) {
        process.stderr.write(`skillframe serve: --port: expected an integer 0..65535, got ${JSON.stringify(raw)}\n`);
        return 2;
      }
      port = value;
    } else if (arg === '--json') {
      // serve always prints JSON first; accepted for symmetry with the other commands
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write('Usage: skillframe serve [--port N]\n\nServes the UI at / and the contract at /api (POST {name,input}) and /events (WebSocket) on 127.0.0.1.\n');
      return 0;
    } else {
      process.stderr.write(`skillframe serve: unknown flag ${arg}\nUsage: skillframe serve [--port N]\n`);
      return 2;
    }
  }
  const uiDirectory = await ensureUiBuilt();
  const dispatcher = createDispatcher(extraHandlers);
  const server = await startServer(dispatcher, { port, uiDirectory });
  process.stdout.write(`${JSON.stringify({ url: server.url, token: server.token })}\n`);
  // The token is only on stdout (the contract's first line): stderr ends up in logs and terminals shared on screen.
  process.stderr.write(`Skillframe UI: ${server.url} (open it once with ?token= and the token from the first stdout line)\n`);
  const unregister = registerProcess('serve');
  const stopListening = onKillSwitch(() => dispatcher.abortAll());
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  dispatcher.abortAll('server stopping');
  await server.close();
  stopListening();
  unregister();
  return 0;
}
