// Arm benchmark: simulated arms in their own processes on real socat ptys. Baseline (same run):
// a raw byte echo through a pty pair. Used by `skillframe bench arm --json`; run directly:
//   node --import tsx bench/arm.ts [seconds]
import { fileURLToPath } from 'node:url';
import { openPtyPair } from '../native/serial/pty-pair.ts';
import { openSerialPort } from '../native/serial/link.ts';
import { openArm, openBus } from '../engine/robot/arm/open.ts';
import { saveCalibration, calibrationPath, simulatedCalibration } from '../engine/robot/arm/calibration.ts';
import { armLayout } from '../engine/robot/arm/config.ts';
import { runPolicyLoop, sinePolicy } from '../engine/robot/arm/control-loop.ts';
import { startSimulatedArm } from '../testkit/arm-simulator/launch.ts';
import { runTeleop } from '../engine/robot/arm/teleop.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ArmBenchReport {
  baseline: { ptyEchoMs: number };
  syncReadMs: number;
  syncReadOverBaseline: number;
  teleop: { achievedHz: number; targetHz: number; deadlineMisses: number; meanRoundTripMs: number };
  control: { achievedHz: number; targetHz: number; deadlineMisses: number; maxTickMs: number };
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** Median round trip of one small write echoed straight back through a socat pty pair. */
async function ptyEcho(samples: number): Promise<number> {
  const pair = await openPtyPair();
  const a = await openSerialPort({ path: pair.ends[0] });
  const b = await openSerialPort({ path: pair.ends[1] });
  const stopEcho = b.onData((chunk) => void b.write(chunk));
  const times: number[] = [];
  try {
    for (let index = 0; index < samples; index += 1) {
      const started = performance.now();
      await new Promise<void>((resolve) => {
        const stop = a.onData(() => {
          stop();
          resolve();
        });
        void a.write(Uint8Array.of(0xff, 0xff, 1, 4, 2, 56, 2, 0xbe));
      });
      times.push(performance.now() - started);
    }
  } finally {
    stopEcho();
    await a.dispose();
    await b.dispose();
    await pair.dispose();
  }
  return median(times);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function runArmBench(options: { seconds?: number; signal?: AbortSignal; onProgress?: (fraction: number, message: string) => void } = {}): Promise<ArmBenchReport> {
  const seconds = options.seconds ?? 2;
  const home = mkdtempSync(join(tmpdir(), 'sf-arm-bench-'));
  const leaderSim = await startSimulatedArm({ seed: 1 });
  const followerSim = await startSimulatedArm({ seed: 2 });
  try {
    options.onProgress?.(0.05, 'baseline: raw pty echo');
    const ptyEchoMs = await ptyEcho(200);
    const layout = armLayout('so101-feetech');
    for (const armId of ['bench-leader', 'bench-follower']) saveCalibration(calibrationPath(home, armId), simulatedCalibration(layout, armId));

    options.onProgress?.(0.2, 'bus: SYNC_READ of 6 servos');
    const opened = await openBus({ model: 'so101-feetech', port: followerSim.port, armId: 'bench-follower', baudRate: 1_000_000 });
    const times: number[] = [];
    for (let index = 0; index < 300; index += 1) {
      const started = performance.now();
      await opened.bus.syncRead([1, 2, 3, 4, 5, 6], layout.joints[0].motor.registers.Present_Position);
      times.push(performance.now() - started);
    }
    await opened.dispose();
    const syncReadMs = median(times);

    options.onProgress?.(0.4, 'teleop: leader → follower');
    const leader = await openArm({ model: 'so101-feetech', port: leaderSim.port, armId: 'bench-leader', baudRate: 1_000_000 }, { home });
    const follower = await openArm({ model: 'so101-feetech', port: followerSim.port, armId: 'bench-follower', baudRate: 1_000_000 }, { home });
    await leaderSim.setHandGuided(true);
    const teleop = await runTeleop(leader, follower, { hz: 100, seconds, signal: options.signal });
    await leader.dispose();

    options.onProgress?.(0.7, 'control loop: sine policy');
    const control = await runPolicyLoop(follower, sinePolicy({ hz: 50 }), { hz: 50, seconds, signal: options.signal });
    await follower.dispose();
    options.onProgress?.(1, 'done');
    return {
      baseline: { ptyEchoMs: round(ptyEchoMs) },
      syncReadMs: round(syncReadMs),
      syncReadOverBaseline: round(syncReadMs / ptyEchoMs),
      teleop: { achievedHz: teleop.achievedHz, targetHz: teleop.targetHz, deadlineMisses: teleop.deadlineMisses, meanRoundTripMs: teleop.meanRoundTripMs },
      control: { achievedHz: control.achievedHz, targetHz: control.targetHz, deadlineMisses: control.deadlineMisses, maxTickMs: control.maxTickMs },
    };
  } finally {
    await leaderSim.dispose();
    await followerSim.dispose();
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runArmBench({ seconds: Number(process.argv[2] ?? 2) }).then((report) => process.stdout.write(`${JSON.stringify(report)}\n`));
}
