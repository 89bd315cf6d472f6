import type { HandlerTable } from '../dispatcher.ts';

/**
 * Commands that start a host rather than run one contract command: they own the process
 * (a server, an MCP stdio loop) until it is stopped.
 */
export interface HostCommand {
  summary: string;
  synopsis?: string;
  run(argv: readonly string[], extraHandlers: HandlerTable): Promise<number>;
  /** Internal plumbing: not listed in --help or the README. */
  hidden?: boolean;
}

export const hostCommands: Record<string, HostCommand> = {
  serve: {
    summary: 'Serve the UI and the contract over HTTP + WebSocket on 127.0.0.1. First stdout line: {"url","token"}.',
    synopsis: 'serve [--port N]',
    run: async (argv, extraHandlers) => (await import('../server-cli.ts')).serveCommand(argv, extraHandlers),
  },
  mcp: {
    summary: 'An MCP server on stdio: tools list_skills, get_skill, replay_skill, screenshot, click, type, ocr (same safety rules as the CLI).',
    synopsis: 'mcp',
    run: async (argv, extraHandlers) => (await import('../mcp.ts')).mcpCommand(argv, extraHandlers),
  },
  hotkey: {
    summary: 'Listen for the global kill-switch hotkey (ctrl+alt+shift+Escape, X11) and pull the kill switch when it is pressed, as `skillframe stop` does. One stdout JSON line per event.',
    synopsis: 'hotkey',
    run: async (argv) => (await import('../kill-switch.ts')).hotkeyCommand(argv),
  },
  worker: {
    summary: 'A fleet worker: takes jobs from the BullMQ queue in Redis and runs each in its own display, HOME and library copy (see `fleet submit`).',
    synopsis: 'worker --redis URL [--concurrency N] [--results DIR] [--library DIR]',
    run: async (argv) => (await import('../fleet/worker.ts')).workerCommand(argv),
  },
  '__fleet-job': {
    summary: 'internal: one fleet job attempt in a throwaway environment (started by a worker).',
    hidden: true,
    run: async (argv, extraHandlers) => (await import('../fleet/job-runner.ts')).runFleetJob(argv, extraHandlers),
  },
};
