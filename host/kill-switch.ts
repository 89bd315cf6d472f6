import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDirectory } from './home.ts';

/**
 * Cross-process kill switch. A process doing long work (record, replay, explore, robot) registers
 * itself here; `skillframe stop` from any terminal signals each registered process with SIGUSR2,
 * which the CLI turns into an abort of its running command and a server into an abort of all its
 * work (without shutting the server down, as Ctrl+C would).
 */
export function registerProcess(what: string): () => void {
  const file = join(runDirectory(), `${process.pid}.json`);
  writeFileSync(file, JSON.stringify({ pid: process.pid, what, since: Date.now() }));
  const remove = () => rmSync(file, { force: true });
  process.once('exit', remove);
  return remove;
}

/** Signals every other registered Skillframe process; returns how many were reached. */
export function stopOtherProcesses(): number {
  let reached = 0;
  for (const name of readdirSync(runDirectory())) {
    if (!name.endsWith('.json')) continue;
    const file = join(runDirectory(), name);
    let pid: number;
    try {
      pid = Number(JSON.parse(readFileSync(file, 'utf8')).pid);
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGUSR2');
      reached += 1;
    } catch {
      rmSync(file, { force: true }); // stale entry: the process is gone
    }
  }
  return reached;
}

/** Calls `onStop` whenever another process pulls the kill switch. */
export function onKillSwitch(onStop: () => void): () => void {
  process.on('SIGUSR2', onStop);
  return () => process.off('SIGUSR2', onStop);
}
