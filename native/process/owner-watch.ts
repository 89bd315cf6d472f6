import { spawn, type ChildProcess } from 'node:child_process';

export interface OwnerWatch {
  /** Ends the watcher (the owner disposes its children itself). */
  stop(): void;
}

// $1 is the owner, $2 the folders to remove after it (one per line), the rest are its children.
// The watcher ends on its own once every child is gone, so a pid it holds is not reused by an
// unrelated process while it still waits.
const watcherScript = [
  'owner=$1; folders=$2; shift 2',
  'while kill -0 "$owner" 2>/dev/null; do',
  '  alive=0; for child in "$@"; do kill -0 "$child" 2>/dev/null && alive=1; done',
  '  [ "$alive" = 1 ] || exit 0',
  '  sleep 0.5',
  'done',
  'kill -TERM "$@" 2>/dev/null; sleep 2; kill -KILL "$@" 2>/dev/null',
  'printf "%s\\n" "$folders" | while IFS= read -r folder; do [ -n "$folder" ] && rm -rf -- "$folder"; done',
  'exit 0',
].join('\n');

/**
 * Servers a process starts for itself (Xvfb, openbox, the D-Bus daemons) must end with it. Its
 * 'exit' handler covers a signal it catches and process.exit, but nothing runs in a process killed
 * with SIGKILL (a test runner's timeout, the OOM killer, `kill -9` of a benchmark), and its
 * children are then adopted by init and keep running. Linux's PR_SET_PDEATHSIG is not reachable
 * from Node, so a small detached shell polls the owner's pid twice a second and, once it is gone,
 * sends the children SIGTERM, then SIGKILL, and removes the folders they used (their runtime
 * folders, made by the owner with mkdtemp).
 */
export function watchOwner(children: readonly ChildProcess[], options: { folders?: readonly string[]; owner?: number } = {}): OwnerWatch {
  const pids = children.map((child) => child.pid).filter((pid): pid is number => typeof pid === 'number');
  if (pids.length === 0) return { stop: () => undefined };
  const watcher = spawn('/bin/sh', ['-c', watcherScript, 'owner-watch', String(options.owner ?? process.pid), (options.folders ?? []).join('\n'), ...pids.map(String)], { detached: true, stdio: 'ignore' });
  watcher.on('error', () => undefined); // no /bin/sh: the exit handlers still cover the common cases
  watcher.unref();
  return {
    stop() {
      if (watcher.exitCode === null && watcher.signalCode === null) watcher.kill('SIGKILL');
    },
  };
}
