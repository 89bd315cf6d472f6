import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { X11Driver } from '../engine/computer/explore/x11-driver.ts';
import type { ExploreApps } from '../testkit/webapps/index.ts';
import { X11ViewProbe } from '../testkit/x11-views.ts';
import { type BenchOptions, type measure, runDeadlineMs } from './explore.ts';

/**
 * The X11 part of `skillframe bench explore`: Debian apps on a virtual display, explored through
 * their accessibility tree (AT-SPI) when the machine has one, through pixels and OCR otherwise.
 * Ground truth is the view the app shows as python3-pyatspi reads it (testkit/x11-views.ts: its
 * windows, open menus, selected tabs and offered controls), a client the explorer never sees.
 * Skills exported by DFS are replayed by the replay engine on a fresh instance of the app (its own
 * throwaway HOME) and judged by that view.
 */

const x11Budget = 12;
const replayChild = fileURLToPath(new URL('../testkit/replay-child.ts', import.meta.url));

/** A throwaway HOME (and XDG folders in it) for one instance of an app: nothing the person owns is touched. */
function throwawayHome(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; dispose(): void } {
  const home = mkdtempSync(join(tmpdir(), 'sf-bench-x11-home-'));
  const config = join(home, '.config');
  mkdirSync(config);
  return { env: { ...env, HOME: home, XDG_CONFIG_HOME: config, XDG_DATA_HOME: join(home, '.local/share'), XDG_CACHE_HOME: join(home, '.cache') }, dispose: () => rmSync(home, { recursive: true, force: true }) };
}

/**
 * The replay engine on a fresh instance of `command`, judged by the view the reference client then
 * reads. The replay runs in a process of its own (testkit/replay-child.ts): robotjs keeps its X
 * connection for the life of a process, and this one closes the display at the end.
 */
async function replayX11(command: string, env: NodeJS.ProcessEnv, probe: X11ViewProbe, skillDirectory: string, view: string, signal: AbortSignal): Promise<boolean> {
  const { runProgram } = await import('../native/process/run.ts');
  const { createWindows } = await import('../native/window/index.ts');
  const home = throwawayHome(env);
  const windows = await createWindows(env);
  let pid: number | undefined;
  try {
    const child = await runProgram(process.execPath, ['--import', 'tsx', replayChild, JSON.stringify({ skill: skillDirectory, app: command, confirm: 'never' })], { env: home.env, timeoutMs: 180_000, signal });
    const line = child.stdout.trim().split('\n').pop() ?? '';
    if (!line.startsWith('{')) return false;
    const { report, windowId } = JSON.parse(line) as { report: { ok: boolean }; windowId: string };
    pid = (await windows.info(windowId))?.pid;
    return report.ok && pid !== undefined && (await probe.view(pid)) === view;
  } finally {
    // The child leaves the app open for the judge: end it here.
    try {
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    windows.dispose();
    home.dispose();
  }
}

/**
 * `measure` comes from bench/explore.ts as an argument, not an import: that file imports this one
 * and, run as a script, awaits at its top level — a cycle would never finish loading.
 */
export async function measureX11Apps(apps: ExploreApps['x11'], seeds: number, options: BenchOptions, measureApp: typeof measure): Promise<Awaited<ReturnType<typeof measure>>[]> {
  const results: Awaited<ReturnType<typeof measure>>[] = [];
  const { startDisplay } = await import('../native/display/xvfb.ts');
  const { X11Driver } = await import('../engine/computer/explore/x11-driver.ts');
  const display = await startDisplay({ width: 1280, height: 800 });
  // The accessibility tree when the machine has AT-SPI (the way to explore X11 apps); pixels and OCR otherwise.
  const { openAtspi, startAccessibilityBus } = await import('../native/a11y/index.ts');
  // The bus runs either way: the ground truth is read through it.
  const bus = await startAccessibilityBus(display.env);
  const accessibility = options.accessibility === false ? undefined : await openAtspi({ env: bus.env }).catch(() => undefined);
  const probe = X11ViewProbe.start(bus.env);
  try {
    for (const app of apps) {
      if (!existsSync(`/usr/bin/${app.command}`)) continue;
      results.push(
        await measureApp(
          {
            app: app.name,
            split: app.split,
            budget: options.budget ?? x11Budget,
            // An action on an X11 app took 1.6-28 s (p50) under load: a run counts as hung only far past that.
            runDeadlineMs: runDeadlineMs(options.budget ?? x11Budget, 120_000),
            open: async () => ({ driver: new X11Driver({ command: app.command, env: bus.env, ...(accessibility ? { accessibility } : {}) }), dispose: async () => undefined }),
            probe: async (driver) => {
              const pid = (driver as X11Driver).appPid;
              if (pid === undefined) throw new Error('no app running');
              return probe.view(pid);
            },
            replay: async (skillDirectory, _url, view, signal) => ({ ok: await replayX11(app.command, bus.env, probe, skillDirectory, view, signal) }),
          },
          seeds,
          options,
        ),
      );
    }
  } finally {
    probe.dispose();
    accessibility?.dispose();
    await bus.dispose();
    await display.dispose();
  }
  return results;
}
