import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The processes one Chromium launch started, found again so a browser that will not close can be
 * ended: Playwright's Browser and BrowserContext give no process id. Each launch carries a switch
 * Chromium ignores (`--skillframe-owner=…`, unique per launch); the browser process shows it on
 * its command line, and Playwright starts that process as the leader of its own process group, so
 * its renderers and helpers go with it.
 */

/** A command-line switch unique to one launch. */
export function ownerSwitch(): string {
  return `--skillframe-owner=${process.pid}-${randomUUID()}`;
}

/** Ids of the live processes whose command line carries `flag` (Linux /proc; none where there is no /proc). */
export function processesWith(flag: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').includes(flag)) found.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** SIGKILLs every process carrying `flag` and its process group. Returns how many carried it. */
export function killOwned(flag: string): number {
  const found = processesWith(flag);
  for (const pid of found) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // No such group (not a leader), or already gone.
      }
    }
  }
  return found.length;
}

/**
 * Closes a browser through `close` and, when that does not answer within `ms` (a frozen or stopped
 * browser never does), kills what the launch started. What is left after a close that answered
 * (a process that outlived it) is killed too. Never waits longer than `ms` plus the kill.
 */
export async function closeOrKill(close: () => Promise<unknown>, flag: string, ms: number): Promise<'closed' | 'killed'> {
  let timer: NodeJS.Timeout | undefined;
  const answered = await Promise.race([
    close().then(
      () => true,
      () => false,
    ),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  // A close that answered has ended the browser (nothing is left to kill); one that did not has not.
  return killOwned(flag) > 0 || !answered ? 'killed' : 'closed';
}
