// Teleop between two simulated arms on real ptys, episode recording, the LeRobot v3 round trip,
// and an e-stop from another terminal stopping a running teleop.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { calibrationPath, saveCalibration, simulatedCalibration } from '../../engine/robot/arm/calibration.ts';
import { armLayout } from '../../engine/robot/arm/config.ts';
import { openArm } from '../../engine/robot/arm/open.ts';
import { type SimulatedArm, startSimulatedArm } from '../../testkit/arm-simulator/launch.ts';
import { runTeleop } from '../../engine/robot/arm/teleop.ts';
import { readEpisodeFrames } from '../../engine/robot/dataset/episodes.ts';
import { binPath, repoRoot, runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

const layout = armLayout('so101-feetech');

describe('teleop and episodes over real ptys', () => {
  const home = temporaryHome();
  let leaderSim: SimulatedArm;
  let followerSim: SimulatedArm;
  before(async () => {
    [leaderSim, followerSim] = await Promise.all([startSimulatedArm({ seed: 1 }), startSimulatedArm({ seed: 2 })]);
    for (const armId of ['leader', 'follower']) saveCalibration(calibrationPath(home.path, armId), simulatedCalibration(layout, armId));
    // Driving an arm needs the robot permission tier (nobody answers a prompt here).
    writeFileSync(join(home.path, 'settings.json'), JSON.stringify({ permissions: { autoApproveTier: 'robot' } }));
  });
  after(async () => {
    await Promise.all([leaderSim?.dispose(), followerSim?.dispose()]);
    home.dispose();
  });

  it('leader → follower at ≥ 50 Hz, and the follower converges on the leader', async () => {
    const leader = await openArm({ model: 'so101-feetech', port: leaderSim.port, armId: 'leader', baudRate: 1_000_000 }, { home: home.path });
    const follower = await openArm({ model: 'so101-feetech', port: followerSim.port, armId: 'follower', baudRate: 1_000_000 }, { home: home.path });
    try {
      await leaderSim.setHandGuided(true);
      let low = Infinity;
      let high = -Infinity;
      const report = await runTeleop(leader, follower, {
        hz: 100,
        seconds: 1.5,
        observe: false,
        onTick: (tick) => {
          low = Math.min(low, tick.sent.sent.elbow_flex);
          high = Math.max(high, tick.sent.sent.elbow_flex);
        },
      });
      console.log(`teleop: ${report.achievedHz} Hz (target ${report.targetHz}), ${report.deadlineMisses} misses, round trip ${report.meanRoundTripMs} ms`);
      assert.ok(report.achievedHz >= 50, `teleop ran at ${report.achievedHz} Hz`);
      assert.ok(high - low > 30, `the follower's elbow only moved ${high - low}°`);
      // The leader stops; half a second later the follower sits where the leader is.
      await leaderSim.setHandGuided(false);
      await runTeleop(leader, follower, { hz: 60, seconds: 0.6 });
      const [lead, follow] = await Promise.all([leader.readState(), follower.readState()]);
      const limits = follower.limits();
      for (const name of follower.jointNames) {
        // Where the leader is beyond the follower's limits, the follower waits at the limit.
        const expected = Math.min(limits[name].max, Math.max(limits[name].min, lead.positions[name]));
        assert.ok(Math.abs(expected - follow.positions[name]) < 2, `${name}: leader ${lead.positions[name]}, follower ${follow.positions[name]}`);
      }
    } finally {
      await leader.dispose();
      await follower.dispose();
    }
  });

  it('records an episode with camera video; it round-trips through the LeRobotDataset v3 export', async () => {
    await leaderSim.setHandGuided(true);
    const common = ['--port', followerSim.port, '--arm-id', 'follower', '--leader-port', leaderSim.port, '--leader-arm-id', 'leader', '--json'];
    const recorded = await runCli(['robot', 'arm', 'record', ...common, '--dataset', 'demo', '--task', 'wave at the camera', '--seconds', '1', '--hz', '30', '--camera', 'testsrc', '--camera-width', '160', '--camera-height', '120'], { env: home.env });
    await leaderSim.setHandGuided(false);
    assert.equal(recorded.code, 0, recorded.stderr + recorded.stdout);
    const record = JSON.parse(recorded.stdout);
    const frames = record.episodes[0].frames;
    assert.ok(frames >= 10, `only ${frames} frames in a 1 s episode at 30 Hz`);

    const out = join(home.path, 'lerobot');
    const exported = await runCli(['robot', 'arm', 'export', 'demo', out, '--json'], { env: home.env });
    assert.equal(exported.code, 0, exported.stderr + exported.stdout);
    for (const file of ['meta/info.json', 'meta/stats.json', 'meta/tasks.parquet', 'meta/episodes/chunk-000/file-000.parquet', 'data/chunk-000/file-000.parquet', 'videos/observation.images.front/chunk-000/file-000.mp4']) {
      assert.ok(existsSync(join(out, file)), `missing ${file}`);
    }
    assert.ok(statSync(join(out, 'videos/observation.images.front/chunk-000/file-000.mp4')).size > 1000);
    const info = JSON.parse(readFileSync(join(out, 'meta/info.json'), 'utf8'));
    assert.equal(info.codebase_version, 'v3.0');
    assert.equal(info.robot_type, 'so101_follower');
    assert.equal(info.total_frames, frames);
    assert.deepEqual(info.features.action.names, layout.joints.map((joint) => `${joint.name}.pos`));
    assert.equal(info.features['observation.images.front'].dtype, 'video');

    const { parquetReadObjects } = await import('hyparquet');
    const read = async (file: string) => {
      const bytes = readFileSync(join(out, file));
      return parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
    };
    const rows = await read('data/chunk-000/file-000.parquet');
    assert.equal(rows.length, frames);
    assert.equal(Number(rows[5].frame_index), 5);
    assert.ok(Math.abs(Number(rows[5].timestamp) - 5 / 30) < 1e-6);
    const episodes = await read('meta/episodes/chunk-000/file-000.parquet');
    assert.deepEqual(episodes[0].tasks, ['wave at the camera']);
    assert.equal(Number(episodes[0].dataset_to_index), frames);
    const tasks = await read('meta/tasks.parquet');
    assert.equal(tasks[0].task, 'wave at the camera');

    const imported = await runCli(['robot', 'arm', 'import', out, 'again', '--json'], { env: home.env });
    assert.equal(imported.code, 0, imported.stderr + imported.stdout);
    const original = readEpisodeFrames(join(home.path, 'datasets', 'demo'), 0);
    const copy = readEpisodeFrames(join(home.path, 'datasets', 'again'), 0);
    assert.equal(copy.length, original.length);
    const moved = original.some((frame) => Math.abs(frame.action[2] - original[0].action[2]) > 5);
    assert.ok(moved, 'the recorded leader did not move');
    original.forEach((frame, index) => {
      frame.action.forEach((value, joint) => assert.ok(Math.abs(copy[index].action[joint] - value) < 1e-3, `frame ${index} action ${joint}`));
      frame.observation.forEach((value, joint) => assert.ok(Math.abs(copy[index].observation[joint] - value) < 1e-3, `frame ${index} state ${joint}`));
    });
    assert.ok(existsSync(join(home.path, 'datasets', 'again', 'episodes', 'episode-000000', 'camera-front.mp4')));
  });

  it('an e-stop from another terminal stops a running teleop and leaves the follower limp', async () => {
    // Start limp, so torque coming on below proves the teleop process has the follower.
    const follower = await openArm({ model: 'so101-feetech', port: followerSim.port, armId: 'follower', baudRate: 1_000_000 }, { home: home.path });
    await follower.release();
    await follower.dispose();
    await leaderSim.setHandGuided(true);
    const teleop = spawn(process.execPath, [binPath, 'robot', 'arm', 'teleop', '--port', followerSim.port, '--arm-id', 'follower', '--leader-port', leaderSim.port, '--leader-arm-id', 'leader', '--seconds', '30', '--json'], {
      cwd: repoRoot,
      env: home.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => teleop.once('exit', (code) => resolve(code)));
    try {
      // Wait until the follower is under control (torque on), then pull the e-stop.
      const started = Date.now();
      while (!(await followerSim.state()).every((servo) => servo.torque)) {
        assert.ok(Date.now() - started < 30_000, 'teleop never took the follower');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const estop = await runCli(['robot', 'arm', 'estop', '--port', followerSim.port, '--json'], { env: home.env });
      assert.equal(estop.code, 0, estop.stderr + estop.stdout);
      const output = JSON.parse(estop.stdout);
      assert.ok(output.signalled >= 1, `the e-stop reached ${output.signalled} processes`);
      assert.equal(await exited, 130);
      assert.ok((await followerSim.state()).every((servo) => !servo.torque), 'the follower still has torque');
    } finally {
      teleop.kill('SIGKILL');
      await leaderSim.setHandGuided(false);
    }
  });
});
