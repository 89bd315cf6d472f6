import { readFileSync } from 'node:fs';

/**
 * Who a process is, beyond its pid: pids are reused, so a pid written down earlier may name an
 * unrelated process now. Linux gives each process a start time (clock ticks since boot, field 22
 * of /proc/<pid>/stat) and a command line; together with the pid they identify one process for
 * its whole life. Elsewhere (no /proc) both are undefined and callers treat the pid as unverified.
 */
export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot, as a decimal string (it can exceed 2^53 on long uptimes). */
  startTime?: string;
  /** argv joined by spaces. */
  commandLine?: string;
}

export function processIdentity(pid: number = process.pid): ProcessIdentity | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined; // no such process
    return isAlive(pid) ? { pid } : undefined; // no /proc here: the pid alone
  }
  // The command name (field 2) is in parentheses and may hold spaces or ")": split after the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X') return undefined; // a zombie has finished
  const startTime = fields[19];
  let commandLine: string | undefined;
  try {
    commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\u0000+$/, '').split('\u0000').join(' ');
  } catch {
    commandLine = undefined;
  }
  return { pid, ...(startTime ? { startTime } : {}), ...(commandLine !== undefined ? { commandLine } : {}) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `recorded` still names the same running process: same pid, same start time, same
 * command line. An entry without a start time (written where /proc is missing) matches on the
 * pid only when /proc is missing here too.
 */
export function sameProcess(recorded: ProcessIdentity): boolean {
  const now = processIdentity(recorded.pid);
  if (!now) return false;
  if (recorded.startTime === undefined || now.startTime === undefined) return recorded.startTime === now.startTime;
  return now.startTime === recorded.startTime && (recorded.commandLine === undefined || now.commandLine === recorded.commandLine);
}
