import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SkillframeError } from '../../core/index.ts';
import type { ArmModel } from '../../core/schemas/arm.ts';
import type { SimFaults, SimServoState } from '../../native/motors/sim/servos.ts';

const script = fileURLToPath(new URL('./process.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface SimulatedArm {
  /** The pty a driver opens, exactly like a USB serial adapter. */
  port: string;
  setFaults(faults: SimFaults): Promise<void>;
  setPosition(id: number, position: number): Promise<void>;
  setHandGuided(on: boolean): Promise<void>;
  state(): Promise<SimServoState[]>;
  dispose(): Promise<void>;
}

/** Starts the simulated-arm process on a fresh socat pty pair (`node --import tsx …`). */
export async function startSimulatedArm(options: { model?: Exclude<ArmModel, 'sim'>; ids?: number[]; faults?: SimFaults; seed?: number } = {}): Promise<SimulatedArm> {
  const args = ['--import', 'tsx', script, '--model', options.model ?? 'so101-feetech', '--seed', String(options.seed ?? 1), '--faults', JSON.stringify(options.faults ?? {})];
  if (options.ids) args.push('--ids', options.ids.join(','));
  const child: ChildProcess = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((message: Record<string, unknown>) => void)[] = [];
  let socat: number | undefined;
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SkillframeError('timeout', `simulated arm did not start in 20 s: ${stderr.slice(-400)}`)), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new SkillframeError('unavailable', `simulated arm exited with ${code}: ${stderr.slice(-400)}`));
    });
    lines.on('line', (line) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line);
      } catch {
        return;
      }
      if (message.ready) {
        clearTimeout(timer);
        socat = typeof message.socat === 'number' ? message.socat : undefined;
        resolve(String(message.port));
      } else waiting.shift()?.(message);
    });
  });
  let port: string;
  try {
    port = await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const ask = (message: unknown) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (child.exitCode !== null) return reject(new SkillframeError('unavailable', 'simulated arm has exited'));
      waiting.push(resolve);
      child.stdin!.write(`${JSON.stringify(message)}\n`);
    });
  return {
    port,
    setFaults: async (faults) => void (await ask({ faults })),
    setPosition: async (id, position) => void (await ask({ set: { id, position } })),
    setHandGuided: async (on) => void (await ask({ handGuided: on })),
    state: async () => (await ask({ query: 1 })).state as SimServoState[],
    dispose: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          // A simulator killed hard cannot stop its socat; do it here, by the pid it reported.
          if (socat) {
            try {
              process.kill(socat, 'SIGTERM');
            } catch {
              /* already gone */
            }
          }
        }, 3000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.stdin!.end();
      }),
  };
}
