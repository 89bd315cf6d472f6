import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SkillframeError } from '../../core/errors.ts';
import { watchOwner, type OwnerWatch } from '../process/owner-watch.ts';
import { accessibilityBusAddress } from './atspi.ts';

/**
 * What an app needs in its environment to expose its accessibility tree: GTK loads the ATK bridge
 * unless NO_AT_BRIDGE=1; Qt 5 only exposes its tree when forced on (no screen reader running).
 */
export const accessibilityEnvironment: Readonly<Record<string, string>> = {
  NO_AT_BRIDGE: '0',
  QT_LINUX_ACCESSIBILITY_ALWAYS_ON: '1',
  QT_ACCESSIBILITY: '1',
};

/** `env` with the accessibility switches on (a caller's explicit NO_AT_BRIDGE=1 is kept: it asked for none). */
export function withAccessibility(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    NO_AT_BRIDGE: env.NO_AT_BRIDGE === '1' ? '1' : accessibilityEnvironment.NO_AT_BRIDGE,
    QT_LINUX_ACCESSIBILITY_ALWAYS_ON: env.QT_LINUX_ACCESSIBILITY_ALWAYS_ON ?? accessibilityEnvironment.QT_LINUX_ACCESSIBILITY_ALWAYS_ON,
    QT_ACCESSIBILITY: env.QT_ACCESSIBILITY ?? accessibilityEnvironment.QT_ACCESSIBILITY,
  };
}

export const busLauncherPath = '/usr/libexec/at-spi-bus-launcher';

export interface AccessibilityBus {
  /** The given environment plus DBUS_SESSION_BUS_ADDRESS and the accessibility switches. */
  env: NodeJS.ProcessEnv;
  /** The accessibility bus address (what org.a11y.Bus GetAddress answers). */
  address: string;
  dispose(): Promise<void>;
}

/**
 * Starts what accessibility needs where no desktop session does: a private session bus
 * (dbus-daemon) and at-spi-bus-launcher on it (which starts the accessibility bus and, on first
 * use, the registry). For tests, the demo, CI and benchmarks; on a desktop the session has them.
 */
export async function startAccessibilityBus(env: NodeJS.ProcessEnv = process.env, options: { timeoutMs?: number } = {}): Promise<AccessibilityBus> {
  if (!existsSync('/usr/bin/dbus-daemon')) throw new SkillframeError('unavailable', 'dbus-daemon is not installed (apt-get install dbus)');
  if (!existsSync(busLauncherPath)) throw new SkillframeError('unavailable', `${busLauncherPath} is not installed (apt-get install at-spi2-core)`);
  const children: ChildProcess[] = [];
  // The launcher puts its bus socket at $XDG_RUNTIME_DIR/at-spi/bus_<display>: two private buses on
  // one display (a test's and a `record --app`'s) would share that path, and the one stopped
  // first removes the other's socket, so apps started later can no longer reach it (observed).
  // Each bus gets a runtime folder of its own.
  const runtime = mkdtempSync(join(tmpdir(), 'sf-a11y-bus-'));
  // A process that ends without disposing (a signal, process.exit) must not leave its buses
  // running: 'exit' handlers run synchronously, so the daemons only get the signal there.
  let watch: OwnerWatch | undefined;
  const onExit = () => {
    watch?.stop();
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    rmSync(runtime, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const stopAll = async () => {
    process.off('exit', onExit);
    watch?.stop();
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve(undefined);
        }, 1500);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    }
    rmSync(runtime, { recursive: true, force: true });
  };
  try {
    const daemon = spawn('dbus-daemon', ['--session', '--nofork', '--nopidfile', '--print-address=1'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(daemon);
    const sessionAddress = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new SkillframeError('timeout', 'dbus-daemon did not print its address in 5 s')), 5000);
      daemon.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\n')) {
          clearTimeout(timer);
          resolve(text.trim().split('\n')[0]);
        }
      });
      daemon.once('exit', (code) => {
        clearTimeout(timer);
        reject(new SkillframeError('unavailable', `dbus-daemon exited with ${code}`));
      });
    });
    const busEnv = withAccessibility({ ...env, DBUS_SESSION_BUS_ADDRESS: sessionAddress });
    delete busEnv.AT_SPI_BUS_ADDRESS;
    const launcher = spawn(busLauncherPath, ['--launch-immediately'], { env: { ...busEnv, XDG_RUNTIME_DIR: runtime }, stdio: 'ignore' });
    children.push(launcher);
    // A SIGKILL runs no handler at all: a watcher outside the process stops them then.
    watch = watchOwner(children, { folders: [runtime] });
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    let address: string | undefined;
    while (!address) {
      if (launcher.exitCode !== null) throw new SkillframeError('unavailable', `at-spi-bus-launcher exited with ${launcher.exitCode}`);
      if (Date.now() > deadline) throw new SkillframeError('timeout', 'the accessibility bus did not come up');
      address = await accessibilityBusAddress(busEnv, 1000);
      if (!address) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { env: busEnv, address, dispose: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The accessibility bus of `env` when one answers (a desktop session has one), else a private one
 * started here (Xvfb, CI, the demo). `started` says which; dispose stops only what was started.
 */
export async function ensureAccessibilityBus(env: NodeJS.ProcessEnv = process.env, options: { timeoutMs?: number } = {}): Promise<AccessibilityBus & { started: boolean }> {
  const address = await accessibilityBusAddress(env);
  if (address) return { env: withAccessibility(env), address, started: false, dispose: async () => undefined };
  return { ...(await startAccessibilityBus(env, options)), started: true };
}

