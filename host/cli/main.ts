import { createInterface } from 'node:readline';
import { commands, exitCodes, type CommandSpec, type EventEnvelope, toErrorBody } from '../../core/index.ts';
import { createDispatcher } from '../create.ts';
import type { HandlerTable } from '../dispatcher.ts';
import { version } from '../handlers/system.ts';
import { onKillSwitch, registerProcess } from '../kill-switch.ts';
import { camelToKebab, fieldKind, inputShape, parseArgs, UsageError } from './args.ts';
import { renderHuman } from './render.ts';
import { hostCommands } from './host-commands.ts';
import { releaseSharedWorkers } from '../../native/onnx/sessions.ts';

/**
 * `skillframe <command> [--json]`. The command set, flags and validation all come from the
 * contract in core/, so the CLI, the server and the UI can never disagree on a command's shape.
 */
export interface MainOptions {
  /** Handler tables from layers above host (bench/), added when the entry point finds them. */
  extraHandlers?: HandlerTable;
}

export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  try {
    return await runCommand(argv, options);
  } finally {
    // The caller exits the process next: OCR's model threads end first, each releasing its session
    // (tidiness; an exit while they are busy is safe too, see native/onnx/worker-sessions.ts).
    await releaseSharedWorkers();
  }
}

async function runCommand(argv: readonly string[], options: MainOptions): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const host = hostCommands[argv[0]];
  if (host) return host.run(argv.slice(1), options.extraHandlers ?? {});

  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (error) {
    return usageFailure((error as Error).message, argv.includes('--json'));
  }
  if (!parsed.command || parsed.command.cli?.hidden && parsed.words.length === 0) {
    return usageFailure(`unknown command: ${parsed.words.join(' ') || argv[0]}`, parsed.json);
  }
  const spec = parsed.command;
  if (parsed.help) {
    process.stdout.write(commandHelp(spec));
    return 0;
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(exitCodes.aborted);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stopListening = onKillSwitch(() => controller.abort());
  const unregister = spec.cli?.long || spec.timeoutMs === 0 ? registerProcess(spec.name) : () => undefined;

  const progress = new ProgressView(!parsed.json && Boolean(spec.cli?.long));
  const dispatcher = createDispatcher(options.extraHandlers);
  const reply = await dispatcher.dispatch(spec.name, parsed.input, {
    signal: controller.signal,
    timeoutMs: parsed.timeoutMs,
    onEvent: (event) => progress.show(event),
    confirm: (question, details) => askOnTerminal(question, details),
  });
  progress.stop();
  unregister();
  stopListening();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  if (!reply.ok) {
    if (parsed.json) process.stdout.write(`${JSON.stringify({ ok: false, error: reply.error })}\n`);
    else process.stderr.write(`skillframe ${spec.name.replaceAll('.', ' ')}: ${reply.error.code}: ${reply.error.message}\n`);
    return exitCodes[reply.error.code] ?? 1;
  }
  const value = reply.value;
  if (parsed.json) process.stdout.write(`${JSON.stringify(value)}\n`);
  else {
    const format = spec.cli?.format as ((output: unknown) => string) | undefined;
    process.stdout.write(`${format ? format(value) : renderHuman(value)}\n`);
  }
  const exitCode = spec.cli?.exitCode as ((output: unknown) => number) | undefined;
  return exitCode ? exitCode(value) : 0;
}

function usageFailure(message: string, json: boolean): number {
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code: 'bad_input', message } })}\n`);
  process.stderr.write(`skillframe: ${message}\n\n${usage()}`);
  return exitCodes.usage;
}

export function usage(): string {
  const lines = ['Usage: skillframe <command> [arguments] [--json] [--timeout MS]', '', 'Commands:'];
  const visible = (Object.values(commands) as CommandSpec[]).filter((spec) => !spec.cli?.hidden);
  const entries = [
    ...Object.entries(hostCommands).filter(([, host]) => !host.hidden).map(([name, host]) => [host.synopsis ?? name, host.summary] as const),
    ...visible.map((spec) => [synopsis(spec), spec.summary] as const),
  ].sort((a, b) => a[0].localeCompare(b[0]));
  for (const [left, summary] of entries) lines.push(`  ${left}`, `      ${summary}`);
  lines.push('', 'Run `skillframe <command> --help` for its flags. --json prints exactly one JSON document on stdout.', '');
  return lines.join('\n');
}

function synopsis(spec: CommandSpec): string {
  const positionals = spec.cli?.positionals ?? [];
  return [spec.name.replaceAll('.', ' '), ...positionals.map((name) => name.toUpperCase())].join(' ');
}

export function commandHelp(spec: CommandSpec): string {
  const shape = inputShape(spec);
  const positionals = new Set(spec.cli?.positionals ?? []);
  const lines = [`Usage: skillframe ${synopsis(spec)} [flags] [--json]`, '', spec.summary, ''];
  const flags = Object.entries(shape).filter(([name]) => !positionals.has(name));
  if (flags.length) {
    lines.push('Flags:');
    for (const [name, schema] of flags) {
      const kind = fieldKind(schema);
      const description = (schema as unknown as { description?: string }).description;
      const optional = schema.safeParse(undefined).success;
      lines.push(`  --${camelToKebab(name)}${kind === 'boolean' ? '' : ` <${kind}>`}${optional ? '' : '  (required)'}${description ? `  ${description}` : ''}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

/** Progress on stderr: a bar on a terminal, plain lines otherwise; never on stdout. */
class ProgressView {
  private readonly enabled: boolean;
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastLine = '';
  constructor(enabled: boolean) {
    this.enabled = enabled;
  }
  show(event: EventEnvelope) {
    if (!this.enabled || event.event !== 'progress') return;
    const payload = event.payload as { fraction?: number; message?: string };
    const bar = payload.fraction === undefined ? '' : `[${'#'.repeat(Math.round(payload.fraction * 30)).padEnd(30, '.')}] ${Math.round(payload.fraction * 100)}% `;
    const line = `${bar}${payload.message ?? ''}`;
    if (line === this.lastLine) return;
    this.lastLine = line;
    if (this.tty) process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 100) - 1)}`);
    else process.stderr.write(`${line}\n`);
  }
  stop() {
    if (this.enabled && this.tty && this.lastLine) process.stderr.write('\n');
  }
}

async function askOnTerminal(question: string, details: unknown): Promise<boolean> {
  if (!process.stdin.isTTY) return false; // nobody to ask: the safe answer is no
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  if (details !== undefined) process.stderr.write(`${renderHuman(details)}\n`);
  const answer = await new Promise<string>((resolve) => prompt.question(`${question} [y/N] `, resolve));
  prompt.close();
  return /^y(es)?$/i.test(answer.trim());
}

export function reportCrash(error: unknown): never {
  process.stderr.write(`skillframe: internal error: ${toErrorBody(error).message}\n`);
  process.exit(1);
}
