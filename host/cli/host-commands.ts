import type { HandlerTable } from '../dispatcher.ts';

/**
 * Commands that start a host rather than run one contract command: they own the process
 * (a server, an MCP stdio loop) until it is stopped.
 */
export interface HostCommand {
  summary: string;
  synopsis?: string;
  run(argv: readonly string[], extraHandlers: HandlerTable): Promise<number>;
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
};
