import { z } from 'zod';
import { defineCommand, defineEvent } from '../contract.ts';
import { commandMap, eventMap } from '../registry-helpers.ts';
import { ArmModel, armModels } from '../schemas/arm.ts';
import { KeypointGrounding, KeypointRewardSpec, Method, RewardSpec } from './robot.ts';

/**
 * The slowest control loop an arm may run at. The command watchdog waits three control periods
 * before it switches torque off, so this floor also bounds how long a stalled controller keeps a
 * real arm powered with no fresh command (3 × 200 ms).
 */
export const minControlHz = 5;

/** Commands of the arm room: a connected (or simulated) robot arm, its episodes and its benchmark. */

const modelHelp = `${armModels.join(' | ')} (sim: in-process, no port)`;

/** Where the arm is and who it is; every arm command takes these. */
const connection = {
  port: z.string().min(1).max(500).optional().describe('serial port, e.g. /dev/ttyACM0 (not needed for --model sim)'),
  model: ArmModel.default('so101-feetech').describe(modelHelp),
  armId: z.string().regex(/^[\w.-]{1,120}$/).optional().describe('calibration identity (default: USB serial number, else model + port name)'),
  calibration: z.string().min(1).max(1000).optional().describe('calibration file to use instead of the stored one'),
};

const JointReading = z.object({
  name: z.string(),
  id: z.number().int(),
  /** Calibrated joint value (degrees, gripper percent); null when the arm is not calibrated. */
  position: z.number().nullable(),
  raw: z.number().int(),
  unit: z.enum(['degrees', 'percent']),
  torque: z.boolean(),
  temperature: z.number(),
  volts: z.number(),
});

const Rate = {
  ticks: z.number().int(),
  seconds: z.number(),
  achievedHz: z.number(),
  targetHz: z.number(),
  deadlineMisses: z.number().int(),
  meanTickMs: z.number(),
  maxTickMs: z.number(),
  busErrors: z.number().int(),
  clampedTicks: z.number().int(),
  stepLimitedTicks: z.number().int(),
};

const TeleopReport = z.object({ ...Rate, meanRoundTripMs: z.number(), watchdogTrips: z.number().int() });
const RunReport = z.object({
  ...Rate,
  policy: z.string(),
  chunks: z.number().int(),
  maxInferenceMs: z.number(),
  watchdogTrips: z.number().int(),
  /** The sampler that steered the policy (base for the built-in waves). */
  sampler: Method,
  /** Entries in the success memory after the run (0 without --memory). */
  memoryEntries: z.number().int(),
  /** Whether the run achieved its task: the spec's last reach target within 3 cm (and no collision), else on the tabletop sim the cube in the bin without a collision; null when nothing says. */
  success: z.boolean().nullable(),
  /** Control ticks in which an arm link touched an obstacle or the table (tabletop sim only). */
  collisions: z.number().int().nullable(),
  /** Chunks that started from a remembered success (retrieve-then-steer). */
  injections: z.number().int(),
  meanInferenceMs: z.number(),
  /** Where the keypoint detector found each keypoint the spec names (table metres), when the spec names any. */
  keypoints: KeypointGrounding.optional(),
});

const leader = {
  leaderPort: z.string().min(1).max(500).optional().describe('leader arm port (the one a person moves)'),
  leaderModel: ArmModel.default('so101-feetech').describe(`leader arm: ${modelHelp}`),
  leaderArmId: z.string().regex(/^[\w.-]{1,120}$/).optional(),
  leaderCalibration: z.string().min(1).max(1000).optional(),
  hz: z.coerce.number().min(minControlHz).max(200).default(60).describe('control rate (default 60)'),
  seconds: z.coerce.number().positive().max(24 * 3600).default(10).describe('how long (default 10)'),
};

const datasetName = z.string().regex(/^[\w.-]{1,120}$/).describe('dataset name under SKILLFRAME_HOME/datasets');

export const ArmStatePayload = z.object({
  armId: z.string(),
  role: z.enum(['follower', 'leader', 'arm']),
  time: z.number(),
  positions: z.record(z.string(), z.number()),
  torque: z.boolean().optional(),
});

export const commands = commandMap(
  defineCommand({
    name: 'robot.arm.scan',
    summary: 'Ping every id on a servo bus; list the motors that answer with their model and raw Present_Position.',
    input: z.object({ ...connection, ids: z.array(z.coerce.number().int().min(0).max(252)).max(253).optional().describe('ids to try (default 1..12)') }).strict(),
    output: z.object({ motors: z.array(z.object({ id: z.number().int(), model: z.string(), position: z.number().int() })) }),
    cli: {
      format: (output: { motors: { id: number; model: string; position: number }[] }) =>
        output.motors.length ? output.motors.map((motor) => `id ${String(motor.id).padStart(3)}  ${motor.model.padEnd(12)} position ${motor.position}`).join('\n') : 'no motors answered',
      exitCode: (output: { motors: unknown[] }) => (output.motors.length ? 0 : 5),
    },
  }),
  defineCommand({
    name: 'robot.arm.calibrate',
    summary: 'Calibrate an arm: hold it in its middle pose, start, then sweep every joint through its full travel; saves homing and ranges for this arm.',
    input: z.object({ ...connection, seconds: z.coerce.number().min(0.5).max(600).default(15).describe('how long to sweep the joints') }).strict(),
    output: z.object({
      armId: z.string(),
      path: z.string(),
      joints: z.array(z.object({ name: z.string(), id: z.number().int(), homing: z.number().int(), rangeMin: z.number().int(), rangeMax: z.number().int() })),
    }),
    timeoutMs: 0,
    cli: { long: true },
  }),
  defineCommand({
    name: 'robot.arm.calibration.export',
    summary: "Write an arm's calibration as a LeRobot calibration file (its units: homing_offset, range_min, range_max per joint).",
    input: z.object({ ...connection, out: z.string().min(1).max(1000).describe('file to write, e.g. so101_follower/my_arm.json') }).strict(),
    output: z.object({ armId: z.string(), path: z.string(), joints: z.number().int() }),
    cli: { positionals: ['out'] },
  }),
  defineCommand({
    name: 'robot.arm.calibration.import',
    summary: 'Take a LeRobot calibration file as the calibration of an arm (converted from its units; checked against the arm model).',
    input: z
      .object({
        from: z.string().min(1).max(1000).describe('LeRobot calibration JSON'),
        model: connection.model,
        armId: z.string().regex(/^[\w.-]{1,120}$/).describe('arm id to store it under'),
      })
      .strict(),
    output: z.object({ armId: z.string(), path: z.string(), joints: z.number().int() }),
    cli: { positionals: ['from'] },
  }),
  defineCommand({
    name: 'robot.arm.read',
    summary: 'Read every joint: calibrated position, raw position, torque, temperature and voltage.',
    input: z.object(connection).strict(),
    output: z.object({ armId: z.string(), model: z.string(), calibrated: z.boolean(), estopped: z.boolean(), joints: z.array(JointReading) }),
    cli: {
      format: (output: { armId: string; calibrated: boolean; joints: z.infer<typeof JointReading>[] }) =>
        [
          `arm ${output.armId}${output.calibrated ? '' : ' (not calibrated)'}`,
          ...output.joints.map(
            (joint) =>
              `${joint.name.padEnd(14)} ${joint.position === null ? '   -   ' : joint.position.toFixed(1).padStart(7)} ${joint.unit === 'degrees' ? 'deg' : '%  '}  raw ${String(joint.raw).padStart(5)}  torque ${joint.torque ? 'on ' : 'off'}  ${joint.temperature}°C  ${joint.volts} V`,
          ),
        ].join('\n'),
    },
  }),
  defineCommand({
    name: 'robot.arm.move',
    summary: 'Move joints smoothly to targets (JOINT=VALUE, degrees or gripper percent); refuses targets outside the limits unless --clamp.',
    input: z
      .object({
        ...connection,
        targets: z.array(z.string().regex(/^[a-z_]+=-?\d+(\.\d+)?$/, 'expected JOINT=NUMBER, e.g. elbow_flex=30')).min(1).max(12),
        clamp: z.boolean().default(false).describe('clamp out-of-limit targets instead of refusing'),
        relative: z.boolean().default(false).describe('targets are offsets from the current pose'),
        hz: z.coerce.number().min(minControlHz).max(200).default(50).describe('command rate (default 50)'),
        maxStep: z.coerce.number().positive().max(45).optional().describe('largest step per command, degrees (default 10)'),
      })
      .strict(),
    output: z.object({
      armId: z.string(),
      target: z.record(z.string(), z.number()),
      final: z.record(z.string(), z.number()),
      steps: z.number().int(),
      clamped: z.array(z.string()),
    }),
    timeoutMs: 60_000,
    cli: { positionals: ['targets'] },
  }),
  defineCommand({
    name: 'robot.arm.teleop',
    summary: 'Leader → follower teleoperation at a fixed rate through the follower safety path; reports the achieved rate.',
    input: z.object({ ...connection, ...leader }).strict(),
    output: TeleopReport,
    timeoutMs: 0,
    cli: { long: true },
  }),
  defineCommand({
    name: 'robot.arm.record',
    summary: 'Teleoperate and record episodes (joint states, actions, camera video) into a dataset, append-only.',
    input: z
      .object({
        ...connection,
        ...leader,
        dataset: datasetName,
        task: z.string().min(1).max(500).describe('what the episode shows, in words'),
        episodes: z.coerce.number().int().min(1).max(1000).default(1),
        camera: z.string().max(500).optional().describe('testsrc | x11:DISPLAY | /dev/videoN'),
        cameraWidth: z.coerce.number().int().min(16).max(3840).default(640),
        cameraHeight: z.coerce.number().int().min(16).max(2160).default(480),
      })
      .strict(),
    output: z.object({ dataset: z.string(), episodes: z.array(z.object({ index: z.number().int(), frames: z.number().int() })), report: TeleopReport }),
    timeoutMs: 0,
    cli: { long: true },
  }),
  defineCommand({
    name: 'robot.arm.demo',
    summary: 'Record scripted pick-and-place demonstrations on the simulated SO-101 tabletop (rendered camera, one frame per row) into a dataset.',
    input: z
      .object({
        dataset: datasetName,
        episodes: z.coerce.number().int().min(1).max(2000).default(20),
        scene: z.string().min(1).max(4096).optional().describe('tabletop scene JSON (default: the built-in training scene)'),
        jitter: z.coerce.number().min(0).max(0.1).default(0.02).describe('cube and bin positions vary by up to this many metres'),
        binJitter: z.coerce.number().min(0).max(0.1).optional().describe('the bin varies by up to this many metres instead (default: --jitter)'),
        binArea: z
          .string()
          .max(200)
          .optional()
          .describe('"xmin,xmax,ymin,ymax" (metres): the bin is placed anywhere in this area instead, never on the cube (wider demonstrations)'),
        seed: z.coerce.number().int().min(0).max(2 ** 31).default(1),
        hz: z.coerce.number().min(1).max(200).default(30),
      })
      .strict(),
    output: z.object({ dataset: z.string(), episodes: z.array(z.object({ index: z.number().int(), frames: z.number().int() })), attempts: z.number().int() }),
    timeoutMs: 0,
    cli: { long: true },
  }),
  defineCommand({
    name: 'robot.arm.spec',
    summary: "Ask the configured VLM for a reward spec from the arm camera and an instruction: points are keypoints by name, checked against the detector and grounded in the same image (data only, never executed).",
    input: z
      .object({
        instruction: z.string().min(1).max(2000).default('put the cube in the bin without touching any obstacle'),
        scene: z.string().min(1).max(4096).optional().describe('tabletop scene JSON for the simulated camera (default: the built-in training scene)'),
        detector: z.string().regex(/\.onnx$/i, 'expected an .onnx file').max(4096).optional().describe('keypoint detector (default: the bundled tabletop detector)'),
        out: z.string().min(1).max(4096).optional().describe('also write the spec (as the VLM wrote it, keypoints by name) here, for robot arm run --spec'),
      })
      .strict(),
    output: z.object({ spec: KeypointRewardSpec, grounded: RewardSpec, keypoints: KeypointGrounding, out: z.string().optional() }),
    timeoutMs: 180_000,
  }),
  defineCommand({
    name: 'robot.arm.train',
    summary: 'Train an image-conditioned joint-space policy (flow or DDPM) on a recorded dataset; writes FILE.onnx and its sidecar FILE.json.',
    input: z
      .object({
        dataset: datasetName,
        out: z.string().regex(/\.onnx$/i, 'expected a path ending in .onnx').max(4096).describe('policy file to write (the sidecar goes beside it)'),
        kind: z.enum(['flow', 'ddpm']).default('flow'),
        steps: z.coerce.number().int().min(1).max(200_000).default(3000).describe('optimiser steps'),
        chunk: z.coerce.number().int().min(1).max(64).default(10),
        hidden: z.coerce.number().int().min(8).max(1024).default(128),
        seed: z.coerce.number().int().min(0).max(2 ** 31).default(7),
        detector: z.string().regex(/\.onnx$/i, 'expected an .onnx file').max(4096).optional().describe('keypoint detector whose maps encode the image (default: the bundled tabletop detector); --encoder pool uses 8 × 8 average pooling instead'),
        encoder: z.enum(['keypoints', 'pool']).default('keypoints').describe('image encoder: keypoints (detector maps + spatial soft-argmax) or pool'),
      })
      .strict(),
    output: z.object({ out: z.string(), sidecar: z.string(), episodes: z.number().int(), samples: z.number().int(), firstLoss: z.number(), lastLoss: z.number(), seconds: z.number() }),
    timeoutMs: 0,
    cli: { long: true },
  }),
  defineCommand({
    name: 'robot.arm.memory.add',
    summary: "Add a dataset's recorded successful episodes to a success memory (retrieve-then-steer), keyed and normalised by a policy's sidecar.",
    input: z
      .object({
        dataset: datasetName,
        policy: z.string().regex(/\.onnx$/i, 'expected an .onnx policy with its sidecar').max(4096),
        memory: z.string().min(1).max(4096).describe('success-memory folder'),
        detector: z.string().regex(/\.onnx$/i, 'expected an .onnx file').max(4096).optional().describe('keypoint detector for the image embedding (default: the bundled one)'),
        embedding: z.enum(['keypoints', 'none']).default('keypoints').describe('memory keys: joint state + image embedding of the recorded camera (keypoints) or joint state only (none)'),
        task: z.string().regex(/^[\w.-]{1,120}$/).describe('memory task name'),
      })
      .strict(),
    output: z.object({ memory: z.string(), episodes: z.number().int(), memoryEntries: z.number().int() }),
    timeoutMs: 300_000,
  }),
  defineCommand({
    name: 'robot.arm.run',
    summary: 'Run a policy against the arm at a fixed rate through the safety path; reports achieved rate and deadline misses.',
    input: z
      .object({
        ...connection,
        policy: z
          .string()
          .min(1)
          .max(4096)
          .refine((value) => ['hold', 'sine', 'reach'].includes(value) || /\.onnx$/i.test(value), 'expected hold, sine, reach or an .onnx file')
          .default('sine')
          .describe('hold | sine (deterministic wave) | reach (the planar steering runtime) | FILE.onnx (joint-space policy with its sidecar JSON, docs/POLICY.md)'),
        sampler: Method.default('base').describe('base | best_of_n | itps | vls | rts | rts_vls (guided ones need --spec, rts ones --memory)'),
        spec: z.string().min(1).max(4096).optional().describe('reward spec JSON (points on the table plane in metres, or keypoints by name: {"keypoint":"cube"})'),
        detector: z.string().regex(/\.onnx$/i, 'expected an .onnx file').max(4096).optional().describe('keypoint detector for specs that name keypoints and for memory keys (default: the bundled tabletop detector)'),
        embedding: z.enum(['keypoints', 'none']).default('keypoints').describe('memory keys: joint state + the camera image embedding (keypoints, needs a camera) or joint state only (none)'),
        memory: z.string().min(1).max(4096).optional().describe('success-memory folder (one file per task; successes of this run are added)'),
        task: z.string().regex(/^[\w.-]{1,120}$/).optional().describe('memory task name (default: the scene name, else the policy file name)'),
        scene: z.string().min(1).max(4096).optional().describe('tabletop scene JSON for --model sim (default: the built-in training scene)'),
        particles: z.coerce.number().int().min(2).max(64).default(8),
        guidance: z.coerce.number().positive().max(10).default(0.03).describe('guidance strength for itps/vls (RMS of the reward gradient per normalised action value; 0.03 was tuned on the SO-101 training scene)'),
        seed: z.coerce.number().int().min(0).max(2 ** 31).default(1),
        hz: z.coerce.number().min(minControlHz).max(200).default(30).describe('control rate (default 30)'),
        seconds: z.coerce.number().positive().max(24 * 3600).default(5).describe('how long (default 5)'),
      })
      .strict(),
    output: RunReport,
    timeoutMs: 0,
    cli: { long: true },
  }),
  defineCommand({
    name: 'robot.arm.estop',
    summary: 'Emergency stop: stops every running arm command (any process) and switches torque off on the arm.',
    input: z.object({ port: connection.port, model: connection.model, armId: connection.armId }).strict(),
    output: z.object({ signalled: z.number().int(), local: z.number().int(), torqueOff: z.array(z.number().int()), failed: z.array(z.number().int()) }),
    timeoutMs: 10_000,
    cli: { exitCode: (output: { failed: unknown[] }) => (output.failed.length ? 4 : 0) },
  }),
  defineCommand({
    name: 'robot.arm.release',
    summary: 'Release the e-stop latched in this host (the arm stays torque-off until the next command).',
    input: z.object({}).strict(),
    output: z.object({ released: z.boolean() }),
  }),
  defineCommand({
    name: 'robot.arm.episodes',
    summary: 'List the recorded episodes of a dataset.',
    input: z.object({ dataset: datasetName }).strict(),
    output: z.object({ dataset: z.string(), episodes: z.array(z.object({ index: z.number().int(), task: z.string(), frames: z.number().int(), fps: z.number(), cameras: z.array(z.string()) })) }),
    cli: { positionals: ['dataset'] },
  }),
  defineCommand({
    name: 'robot.arm.export',
    summary: 'Export a dataset as a LeRobotDataset v3.0 folder (parquet + mp4 + meta JSON).',
    input: z.object({ dataset: datasetName, out: z.string().min(1).max(1000).describe('folder to write') }).strict(),
    output: z.object({ outDir: z.string(), episodes: z.number().int(), frames: z.number().int(), videos: z.number().int(), files: z.array(z.string()) }),
    timeoutMs: 300_000,
    cli: { positionals: ['dataset', 'out'] },
  }),
  defineCommand({
    name: 'robot.arm.import',
    summary: 'Import a LeRobotDataset v3.0 folder into a dataset as new episodes.',
    input: z.object({ from: z.string().min(1).max(1000).describe('LeRobot v3 folder'), dataset: datasetName }).strict(),
    output: z.object({ dataset: z.string(), episodes: z.number().int(), frames: z.number().int() }),
    timeoutMs: 300_000,
    cli: { positionals: ['from', 'dataset'] },
  }),
  defineCommand({
    name: 'bench.arm',
    summary: 'Benchmark the arm stack on simulated arms over real ptys: bus round trip, teleop rate, control-loop rate, against a raw pty echo baseline.',
    input: z.object({ seconds: z.coerce.number().min(0.5).max(60).default(2) }).strict(),
    output: z.object({
      baseline: z.object({ ptyEchoMs: z.number() }),
      syncReadMs: z.number(),
      syncReadOverBaseline: z.number(),
      teleop: z.object({ achievedHz: z.number(), targetHz: z.number(), deadlineMisses: z.number().int(), meanRoundTripMs: z.number() }),
      control: z.object({ achievedHz: z.number(), targetHz: z.number(), deadlineMisses: z.number().int(), maxTickMs: z.number() }),
    }),
    timeoutMs: 180_000,
  }),
);

export const events = eventMap(
  defineEvent('robot.arm.state', ArmStatePayload),
  defineEvent('robot.arm.torque', z.object({ armId: z.string(), reason: z.enum(['watchdog', 'estop']), failed: z.array(z.number().int()) })),
);
