import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processIdentity, sameProcess, type ProcessIdentity } from '../native/process/identity.ts';
import { runDirectory } from './home.ts';

/**
 * Cross-process kill switch. A process doing long work (record, replay, explore, robot, the
 * server, MCP, the Electron app) registers itself here; `skillframe stop` from any terminal
 * signals each registered process with SIGUSR2, which the CLI turns into an abort of its running
 * command and a host into an abort of all its work (without shutting it down, as Ctrl+C would).
 *
 * An entry records the process's identity (pid, start time, command line). Pids are reused, so
 * before signalling, the entry must still name the same process; an entry that does not (or
 * that carries no start time where the system gives one, as entries of older versions) is
 * removed and never signalled. Without /proc, the pid alone is all there is to check.
 */
export interface KillSwitchEntry extends ProcessIdentity {
  what: string;
  since: number;
}

export function registerProcess(what: string): () => void {
  const file = join(runDirectory(), `${process.pid}.json`);
  const entry: KillSwitchEntry = { ...(processIdentity() ?? { pid: process.pid }), what, since: Date.now() };
  writeFileSync(file, JSON.stringify(entry), { mode: 0o600 });
  const remove = () => rmSync(file, { force: true });
  process.once('exit', remove);
  return () => {
    process.off('exit', remove);
    remove();
  };
}

/** The registered processes that are still who their entry says; stale entries are removed on the way. */
export function registeredProcesses(): KillSwitchEntry[] {
  const live: KillSwitchEntry[] = [];
  for (const name of readdirSync(runDirectory())) {
    if (!name.endsWith('.json')) continue;
    const file = join(runDirectory(), name);
    let entry: KillSwitchEntry;
    try {
      entry = JSON.parse(readFileSync(file, 'utf8')) as KillSwitchEntry;
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    if (!Number.isInteger(entry.pid) || entry.pid <= 1 || !sameProcess(entry)) {
      // Gone, reused by another program, or (where /proc exists) an entry without a start time.
      rmSync(file, { force: true });
      continue;
    }
    live.push(entry);
  }
  return live;
}

/** Signals every other registered Skillframe process; returns how many were reached. */
export function stopOtherProcesses(): number {
  let reached = 0;
  for (const entry of registeredProcesses()) {
    if (entry.pid === process.pid) continue;
    try {
      process.kill(entry.pid, 'SIGUSR2');
      reached += 1;
    } catch {
      /* it ended between the check and the signal */
    }
  }
  return reached;
}

/** Calls `onStop` whenever another process pulls the kill switch. */
export function onKillSwitch(onStop: () => void): () => void {
  process.on('SIGUSR2', onStop);
  return () => process.off('SIGUSR2', onStop);
}

/** The global hotkey that pulls the kill switch: far from any app shortcut, and "Escape" says stop. */
export const killSwitchHotkey = 'ctrl+alt+shift+Escape';

/**
 * `skillframe hotkey`: listens for the kill-switch hotkey on the X11 display and stops every
 * registered process when it is pressed. It reads global input through XRecord (uiohook-napi), so
 * nothing is grabbed from other apps; the chord still reaches the focused app, which is why it is
 * one no app uses. Wayland and headless sessions have no global input to read: it answers
 * `unavailable` there, and `skillframe stop` from a terminal stays the way to stop.
 */
export async function hotkeyCommand(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`Usage: skillframe hotkey\n\nPulls the kill switch (like skillframe stop) whenever ${killSwitchHotkey} is pressed on the X11 display.\n`);
    return 0;
  }
  if (argv.length) {
    process.stderr.write(`skillframe hotkey: unexpected argument ${argv[0]}\nUsage: skillframe hotkey\n`);
    return 2;
  }
  const { createHooks } = await import('../native/input/index.ts');
  let hooks;
  try {
    hooks = await createHooks(process.env);
    await hooks.start((event) => {
      if (event.type !== 'keydown' || event.key !== 'Escape') return;
      if (!(event.modifiers.ctrl && event.modifiers.alt && event.modifiers.shift)) return;
      process.stdout.write(`${JSON.stringify({ event: 'stop', stopped: stopOtherProcesses(), at: Date.now() })}\n`);
    });
  } catch (error) {
    process.stderr.write(`skillframe hotkey: unavailable: ${(error as Error).message}\n`);
    return 7;
  }
  process.stdout.write(`${JSON.stringify({ event: 'listening', hotkey: killSwitchHotkey })}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  hooks.stop();
  hooks.dispose();
  return 0;
}
