import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type ParsedInputOf, type PayloadOf, SkillframeError } from '../../../core/index.ts';
import { EpisodeRecorder, episodeFile, listEpisodes, readEpisodeFrames } from '../dataset/episodes.ts';
import { decodeFrames } from '../dataset/video.ts';
import { exportLeRobot, importLeRobot } from '../dataset/lerobot-v3.ts';
import type { Arm, JointValues } from './arm.ts';
import { calibrateArm } from './calibrate.ts';
import { type Calibration, calibrationPath, fromLeRobotCalibration, saveCalibration, toJoint, toLeRobotCalibration } from './calibration.ts';
import { modelByNumber } from '../../../native/motors/control-tables.ts';
import { type ArmConfig, armLayout, jointByName } from './config.ts';
import { type ArmPolicy, holdPolicy, runPolicyLoop, sinePolicy } from './control-loop.ts';
import { armIdOf, loadCalibration, openArm, openBus } from './open.ts';
import { runTeleop } from './teleop.ts';
import type { JointPolicy } from './joint-policy.ts';
import type { RewardSpec } from '../../../core/commands/robot.ts';
import { parseOrThrow } from '../../../core/errors.ts';
import { TabletopScene } from '../../../core/schemas/tabletop.ts';
import { checkSpecKeypoints, type Grounding, groundSpec, parseKeypointSpec, specFromSceneCamera, specKeypoints } from '../vision/ground-spec.ts';
import type { VlmProvider } from '../../../perception/models/vlm.ts';
import { defaultDetectorFile, encoderFeatures, type KeypointEncoderSession, loadKeypointDetector, loadKeypointEncoder } from '../vision/keypoints.ts';
import type { ChunkMemory } from '../steer/memory.ts';
import { loadMemory, memoryKey, saveMemory } from '../steer/success-memory.ts';
import { cameraTensor, defaultScene } from '../sim/scenes.ts';
import { defaultCamera, renderScene } from '../sim/render.ts';
import { forwardKinematics } from '../sim/so101.ts';
import { TabletopWorld } from '../sim/tabletop.ts';
import { homePose } from '../sim/pick-expert.ts';

/**
 * The arm commands as plain functions (the host's handlers forward to these). Every arm a
 * command opens is registered while it runs, so an e-stop in this process reaches it at once.
 */
export interface ArmContext {
  home: string;
  signal: AbortSignal;
  progress(fraction: number | undefined, message: string): void;
  state(payload: PayloadOf<'robot.arm.state'>): void;
  torque(payload: PayloadOf<'robot.arm.torque'>): void;
}

/** Where the arm is and who it is: the fields every arm command shares (the contract's, not a copy). */
export type Connection = Pick<ParsedInputOf<'robot.arm.read'>, 'port' | 'model' | 'armId' | 'calibration'>;

const openArms = new Set<Arm>();

export function configOf(connection: Connection, field = 'port', extra: { handGuided?: boolean } = {}): ArmConfig {
  if (connection.model === 'sim') return { model: 'sim', port: connection.port, armId: connection.armId, seed: connection.armId ? hashSeed(connection.armId) : 1, handGuided: extra.handGuided ?? false };
  if (!connection.port) throw new SkillframeError('bad_input', `input.${field}: required for model ${connection.model} (missing)`);
  return { model: connection.model, port: connection.port, armId: connection.armId, baudRate: 1_000_000 };
}

function hashSeed(text: string): number {
  let hash = 7;
  for (const char of text) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash || 1;
}

async function withArm<T>(connection: Connection, context: ArmContext, work: (arm: Arm) => Promise<T>, options: { safety?: { maxStepDegrees?: number }; handGuided?: boolean } = {}): Promise<T> {
  const arm = await openArm(configOf(connection, 'port', { handGuided: options.handGuided }), { home: context.home, calibrationFile: connection.calibration, safety: options.safety });
  openArms.add(arm);
  const stopEvents = arm.onEvent((event) => context.torque({ armId: arm.armId, reason: event.reason, failed: event.failed }));
  // The e-stop of this process must beat a command that is about to end on its own.
  const onAbort = () => void arm.hold().catch(() => undefined);
  context.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await work(arm);
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    stopEvents();
    openArms.delete(arm);
    await arm.dispose();
  }
}

export async function scan(input: ParsedInputOf<'robot.arm.scan'>, context: ArmContext) {
  const opened = await openBus(configOf(input), { retries: 2 });
  try {
    const ids = input.ids ?? Array.from({ length: 12 }, (_, index) => index + 1);
    const motors: { id: number; model: string; position: number }[] = [];
    for (const [index, id] of ids.entries()) {
      if (context.signal.aborted) throw context.signal.reason;
      if (!(await opened.bus.ping(id))) continue;
      // Model_Number sits at the same place for every model of a protocol family.
      const family = opened.layout.joints[0].motor;
      const number = await opened.bus.read(id, family.registers.Model_Number);
      const model = modelByNumber(opened.layout.protocol.name, number) ?? family;
      const position = await opened.bus.read(id, model.registers.Present_Position);
      motors.push({ id, model: modelByNumber(opened.layout.protocol.name, number)?.name ?? `model ${number}`, position });
      context.progress((index + 1) / ids.length, `found motor ${id}`);
    }
    return { motors };
  } finally {
    await opened.dispose();
  }
}

export async function calibrate(input: ParsedInputOf<'robot.arm.calibrate'>, context: ArmContext) {
  const opened = await openBus(configOf(input, 'port', { handGuided: true }));
  try {
    const { calibration, path } = await calibrateArm(opened, {
      home: context.home,
      seconds: input.seconds,
      signal: context.signal,
      file: input.calibration,
      onProgress: (fraction, message) => context.progress(fraction, message),
    });
    return { armId: calibration.armId, path, joints: Object.entries(calibration.joints).map(([name, joint]) => ({ name, ...joint })) };
  } finally {
    await opened.dispose();
  }
}

export async function exportCalibration(input: ParsedInputOf<'robot.arm.calibration.export'>, context: ArmContext) {
  const layout = armLayout(input.model);
  const armId = await armIdOf(configOf(input));
  const calibration = loadCalibration(layout, armId, context.home, input.calibration, input.model === 'sim');
  const lerobot = toLeRobotCalibration(calibration, layout);
  mkdirSync(dirname(input.out), { recursive: true });
  writeFileSync(input.out, `${JSON.stringify(lerobot, null, 4)}\n`);
  return { armId, path: input.out, joints: Object.keys(lerobot).length };
}

export async function importCalibration(input: ParsedInputOf<'robot.arm.calibration.import'>, context: ArmContext) {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(input.from, 'utf8'));
  } catch (error) {
    throw new SkillframeError('bad_input', `input.from: ${input.from} is missing or not JSON: ${(error as Error).message}`);
  }
  const layout = armLayout(input.model);
  const calibration = fromLeRobotCalibration(raw, layout, input.armId, input.from);
  const path = calibrationPath(context.home, input.armId);
  saveCalibration(path, calibration);
  return { armId: input.armId, path, joints: layout.joints.length };
}

export async function read(input: ParsedInputOf<'robot.arm.read'>, context: ArmContext) {
  const opened = await openBus(configOf(input));
  try {
    const { bus, layout } = opened;
    let calibration: Calibration | undefined;
    try {
      calibration = loadCalibration(layout, opened.armId, context.home, input.calibration, input.model === 'sim');
    } catch (error) {
      // Reading works uncalibrated (raw values only); a file that belongs to another arm does not.
      if (!(error instanceof SkillframeError && error.code === 'refused')) throw error;
    }
    const ids = layout.joints.map((joint) => joint.id);
    const registers = layout.joints[0].motor.registers;
    const raw = await bus.syncRead(ids, registers.Present_Position);
    const torque = await bus.syncRead(ids, registers.Torque_Enable);
    const temperature = await bus.syncRead(ids, registers.Present_Temperature);
    const voltage = await bus.syncRead(ids, registers.Present_Voltage);
    const joints = layout.joints.map((joint) => ({
      name: joint.name,
      id: joint.id,
      position: calibration ? Math.round(toJoint(joint, calibration.joints[joint.name], raw.get(joint.id)!) * 100) / 100 : null,
      raw: raw.get(joint.id)!,
      unit: joint.unit,
      torque: torque.get(joint.id) === 1,
      temperature: temperature.get(joint.id)!,
      volts: Math.round(voltage.get(joint.id)! * joint.motor.voltageScale * 10) / 10,
    }));
    const positions = Object.fromEntries(joints.filter((joint) => joint.position !== null).map((joint) => [joint.name, joint.position!]));
    context.state({ armId: opened.armId, role: 'arm', time: Date.now() / 1000, positions, torque: joints.some((joint) => joint.torque) });
    return { armId: opened.armId, model: input.model, calibrated: Boolean(calibration), estopped: estopLatched, joints };
  } finally {
    await opened.dispose();
  }
}

export async function move(input: ParsedInputOf<'robot.arm.move'>, context: ArmContext) {
  refuseWhileLatched();
  return withArm(
    input,
    context,
    async (arm) => {
      const target: JointValues = {};
      const current = input.relative ? (await arm.readState()).positions : {};
      for (const pair of input.targets) {
        const [name, value] = pair.split('=');
        jointByName(arm.layout, name);
        if (Object.hasOwn(target, name)) throw new SkillframeError('bad_input', `input.targets: joint ${name} is given twice`);
        target[name] = Number(value) + (input.relative ? current[name] : 0);
      }
      const started = performance.now();
      const result = await arm.moveTo(target, {
        signal: context.signal,
        hz: input.hz,
        clamp: input.clamp,
        onStep: (_, state) => context.state({ armId: arm.armId, role: 'arm', time: (performance.now() - started) / 1000, positions: state.positions, torque: true }),
      });
      const final = Object.fromEntries(Object.keys(target).map((name) => [name, result.final.positions[name]]));
      return { armId: arm.armId, target, final, steps: result.steps, clamped: result.clamped };
    },
    { safety: input.maxStep ? { maxStepDegrees: input.maxStep } : undefined },
  );
}

/** A leader → follower pair (teleop and record share these fields). */
type LeaderInput = ParsedInputOf<'robot.arm.teleop'>;

async function withPair<T>(input: LeaderInput, context: ArmContext, work: (leader: Arm, follower: Arm) => Promise<T>): Promise<T> {
  const leaderConnection: Connection = { port: input.leaderPort, model: input.leaderModel, armId: input.leaderArmId ?? (input.leaderModel === 'sim' ? 'sim-leader' : undefined), calibration: input.leaderCalibration };
  if (input.leaderModel !== 'sim' && !input.leaderPort) throw new SkillframeError('bad_input', `input.leaderPort: required for leader model ${input.leaderModel} (missing)`);
  if (input.leaderPort && input.leaderPort === input.port) throw new SkillframeError('bad_input', `input.leaderPort: the leader and the follower cannot share port ${input.leaderPort}`);
  return withArm(leaderConnection, context, (leader) => withArm(input, context, (follower) => work(leader, follower)), { handGuided: true });
}

function streamState(context: ArmContext, armId: string) {
  let last = 0;
  return (positions: JointValues, time: number) => {
    // Ten updates a second is plenty for a plot and keeps the event stream light.
    if (time - last < 0.1) return;
    last = time;
    context.state({ armId, role: 'follower', time, positions, torque: true });
  };
}

export async function teleop(input: LeaderInput, context: ArmContext) {
  refuseWhileLatched();
  return withPair(input, context, async (leader, follower) => {
    const publish = streamState(context, follower.armId);
    const report = await runTeleop(leader, follower, {
      hz: input.hz,
      seconds: input.seconds,
      signal: context.signal,
      observe: false,
      onTick: (tick) => {
        publish(tick.sent.sent, tick.time);
        if (tick.tick % 30 === 0) context.progress(Math.min(1, tick.time / input.seconds), `teleop ${tick.tick} ticks`);
      },
    });
    return { ...report, watchdogTrips: follower.watchdogTrips };
  });
}

export function datasetDirectory(home: string, dataset: string): string {
  return join(home, 'datasets', dataset);
}

export async function record(
  input: ParsedInputOf<'robot.arm.record'>,
  context: ArmContext,
) {
  refuseWhileLatched();
  const directory = datasetDirectory(context.home, input.dataset);
  return withPair(input, context, async (leader, follower) => {
    const recorded: { index: number; frames: number }[] = [];
    let last: Awaited<ReturnType<typeof runTeleop>> | undefined;
    const publish = streamState(context, follower.armId);
    for (let episode = 0; episode < input.episodes; episode += 1) {
      const recorder = await EpisodeRecorder.start(directory, {
        task: input.task,
        robotType: input.model,
        fps: input.hz,
        jointNames: follower.jointNames,
        cameras: input.camera ? [{ input: input.camera, name: 'front', width: input.cameraWidth, height: input.cameraHeight }] : [],
      });
      try {
        last = await runTeleop(leader, follower, {
          hz: input.hz,
          seconds: input.seconds,
          signal: context.signal,
          onTick: (tick) => {
            recorder.append({ t: tick.time, observation: follower.jointNames.map((name) => tick.observation[name]), action: follower.jointNames.map((name) => tick.action[name]) });
            publish(tick.sent.sent, tick.time);
          },
        });
      } finally {
        const meta = await recorder.finish();
        recorded.push({ index: meta.index, frames: meta.length ?? 0 });
      }
      context.progress((episode + 1) / input.episodes, `episode ${episode + 1}/${input.episodes} recorded`);
    }
    return { dataset: directory, episodes: recorded, report: { ...last!, watchdogTrips: follower.watchdogTrips } };
  });
}

export type RunInput = ParsedInputOf<'robot.arm.run'>;

export async function train(input: ParsedInputOf<'robot.arm.train'>, context: ArmContext) {
  const { trainArmPolicy } = await import('../policy/arm-train.ts');
  const started = performance.now();
  const result = await trainArmPolicy(datasetDirectory(context.home, input.dataset), input.out, {
    kind: input.kind,
    steps: input.steps,
    chunk: input.chunk,
    hidden: input.hidden,
    seed: input.seed,
    ...(input.encoder === 'keypoints' ? { detector: input.detector ?? defaultDetectorFile } : {}),
    signal: context.signal,
    onProgress: (step, loss) => context.progress(step / input.steps, `step ${step}: loss ${loss.toFixed(4)}`),
  });
  const round = (value: number) => Math.round(value * 1e4) / 1e4;
  return {
    out: input.out,
    sidecar: input.out.replace(/\.onnx$/i, '.json'),
    episodes: result.episodes,
    samples: result.samples,
    firstLoss: round(result.losses[0]),
    lastLoss: round(result.losses.at(-1)!),
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

/**
 * A reward spec from the configured VLM: the simulated camera's view of the scene at the start
 * pose and the instruction in, keypoints by name out — checked against the detector's names and
 * grounded in the same frame so the caller sees where they are. Written to `out` as the VLM wrote it.
 */
export async function writeSpec(input: ParsedInputOf<'robot.arm.spec'>, provider: VlmProvider, signal?: AbortSignal) {
  const scene = input.scene ? parseOrThrow(TabletopScene, readJsonFile(input.scene, 'scene'), `input.scene (${input.scene})`) : defaultScene;
  const detector = await loadKeypointDetector(input.detector ?? defaultDetectorFile);
  try {
    const result = await specFromSceneCamera(scene, detector, provider, input.instruction, signal);
    if (input.out) {
      mkdirSync(dirname(input.out), { recursive: true });
      writeFileSync(input.out, `${JSON.stringify(result.written, null, 2)}\n`);
    }
    return { spec: result.written, grounded: result.spec, keypoints: result.grounding, ...(input.out ? { out: input.out } : {}) };
  } finally {
    await detector.dispose();
  }
}

/** Recorded successes into the memory: each row keyed by its normalised state (and the image embedding of its camera frame), its chunk the next actions. */
export async function addToMemory(input: ParsedInputOf<'robot.arm.memory.add'>, context: ArmContext) {
  const { readSidecar } = await import('../policy/sidecar.ts');
  const sidecar = readSidecar(input.policy, readFileSync(input.policy));
  const joints = sidecar.joints;
  const directory = datasetDirectory(context.home, input.dataset);
  const episodes = listEpisodes(directory).filter((episode) => (episode.length ?? 0) > 0);
  if (!episodes.length) throw new SkillframeError('not_found', `input.dataset: ${directory} has no finished episodes`);
  const embedding = input.embedding === 'keypoints' ? await loadKeypointEncoder(input.detector ?? defaultDetectorFile) : undefined;
  const shape = { keyWidth: joints.length + (embedding?.width ?? 0), chunkWidth: sidecar.chunk * joints.length };
  const { mean: stateMean, std: stateStd } = sidecar.normalisation.state;
  const { mean: actionMean, std: actionStd } = sidecar.normalisation.action;
  let memory: ChunkMemory;
  try {
    memory = loadMemory(input.memory, input.task, shape);
    for (const episode of episodes) {
      const order = joints.map((name) => episode.jointNames.indexOf(name));
      if (order.includes(-1)) throw new SkillframeError('bad_input', `episode ${episode.index} records joints ${episode.jointNames.join(', ')}; the policy needs ${joints.join(', ')}`);
      const all = readEpisodeFrames(directory, episode.index);
      let embedded: Float32Array[] | undefined;
      if (embedding) {
        const camera = episode.cameras.find((candidate) => candidate.name === 'front') ?? episode.cameras[0];
        if (!camera) throw new SkillframeError('bad_input', `episode ${episode.index} has no camera; memory keys with an image embedding need one (--embedding none keys by joint state only)`);
        const video = await decodeFrames(episodeFile(directory, episode.index, camera.file), defaultCamera.width, defaultCamera.height);
        if (video.length !== all.length) throw new SkillframeError('bad_input', `episode ${episode.index}: ${video.length} video frames for ${all.length} rows`);
        embedded = await embedding.encode(video.map((rgb) => cameraTensor(rgb)));
      }
      // Rows the loop filled in for a missed deadline are not what the arm did: skipped, by their recorded index.
      const frames = all.map((frame, index) => ({ frame, index })).filter(({ frame }) => !frame.filled);
      const id = memory.beginEpisode();
      frames.forEach(({ frame, index }, row) => {
        if (row % sidecar.execute !== 0) return;
        const state = order.map((source, joint) => (frame.observation[source] - stateMean[joint]) / stateStd[joint]);
        const chunk = new Float32Array(shape.chunkWidth);
        for (let step = 0; step < sidecar.chunk; step += 1) {
          const action = frames[Math.min(row + step, frames.length - 1)].frame.action;
          order.forEach((source, joint) => (chunk[step * joints.length + joint] = (action[source] - actionMean[joint]) / actionStd[joint]));
        }
        memory.add(memoryKey(state, embedded?.[index]), row / frames.length, chunk, id);
      });
    }
  } finally {
    await embedding?.dispose();
  }
  saveMemory(input.memory, input.task, memory, shape);
  return { memory: input.memory, episodes: episodes.length, memoryEntries: memory.size };
}

export async function demonstrations(input: ParsedInputOf<'robot.arm.demo'>, context: ArmContext) {
  const scene = input.scene ? parseOrThrow(TabletopScene, readJsonFile(input.scene, 'scene'), `input.scene (${input.scene})`) : defaultScene;
  const { parseTableArea, recordDemonstrations } = await import('../sim/demonstrations.ts');
  // Checked before anything is recorded.
  const binArea = input.binArea !== undefined ? parseTableArea(input.binArea, 'input.binArea') : undefined;
  const directory = datasetDirectory(context.home, input.dataset);
  const result = await recordDemonstrations(directory, {
    scene,
    episodes: input.episodes,
    jitter: input.jitter,
    ...(input.binJitter !== undefined ? { binJitter: input.binJitter } : {}),
    ...(binArea ? { binArea } : {}),
    seed: input.seed,
    hz: input.hz,
    signal: context.signal,
    onEpisode: (index, success) => context.progress(Math.min(1, (index + (success ? 1 : 0)) / input.episodes), success ? `demonstration ${index + 1} recorded` : 'a demonstration missed the bin; retrying'),
  });
  return { dataset: directory, episodes: result.episodes.map((episode) => ({ index: episode.index, frames: episode.length ?? 0 })), attempts: result.attempts };
}

function readJsonFile(path: string, field: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SkillframeError('bad_input', `input.${field}: ${path} is missing or not JSON: ${(error as Error).message}`);
  }
}

/**
 * Runs a policy through the arm's safety path. Everything that can be refused (policy and its
 * sidecar, spec, scene, memory) is loaded and checked before the arm is opened. On `--model sim`
 * a tabletop world follows the arm's measured joints and renders the camera the policy sees.
 */
export async function run(input: RunInput, context: ArmContext) {
  refuseWhileLatched();
  const written = input.spec ? parseKeypointSpec(readJsonFile(input.spec, 'spec'), `input.spec (${input.spec})`) : undefined;
  const named = written ? specKeypoints(written) : [];
  // A spec naming keypoints is grounded from the live camera image by the detector; names it does not know are refused before anything moves.
  const detector = named.length || input.detector ? await loadKeypointDetector(input.detector ?? defaultDetectorFile) : undefined;
  let spec: RewardSpec | undefined;
  let grounding: Grounding | undefined;
  let embedding: KeypointEncoderSession | undefined;
  try {
    if (written && detector) checkSpecKeypoints(written, detector.names, `input.spec (${input.spec})`);
    if (written && !named.length) spec = groundSpec(written, undefined, []).spec;
  } catch (error) {
    await detector?.dispose();
    throw error;
  }
  if (named.length && input.model !== 'sim') {
    await detector?.dispose();
    throw new SkillframeError('unavailable', `input.spec names keypoints (${named.map((entry) => entry.name).join(', ')}); they are found in the camera image, which only --model sim renders so far`);
  }
  if (named.length && !/\.onnx$/i.test(input.policy)) {
    await detector?.dispose();
    throw new SkillframeError('bad_input', `input.spec names keypoints; only an .onnx arm policy can be steered by a grounded spec (got --policy ${input.policy})`);
  }
  const scene = input.model === 'sim' && (input.scene || /\.onnx$/i.test(input.policy)) ? (input.scene ? parseOrThrow(TabletopScene, readJsonFile(input.scene, 'scene'), `input.scene (${input.scene})`) : defaultScene) : undefined;
  if (input.scene && input.model !== 'sim') throw new SkillframeError('bad_input', `input.scene: a tabletop scene needs --model sim (got ${input.model})`);
  let world: TabletopWorld | undefined;
  let policy: ArmPolicy;
  let joint: JointPolicy | undefined;
  let memory: ChunkMemory | undefined;
  const task = input.task ?? scene?.name ?? basename(input.policy).replace(/\.onnx$/i, '');
  if (input.policy === 'hold' || input.policy === 'sine') {
    if (input.sampler !== 'base') throw new SkillframeError('bad_input', `input.sampler: policy ${input.policy} is not sampled; --sampler ${input.sampler} needs reach or an .onnx policy`);
    policy = input.policy === 'hold' ? holdPolicy() : sinePolicy({ hz: input.hz });
  } else if (input.policy === 'reach') {
    const { reachPolicy } = await import('./reach-policy.ts');
    policy = await reachPolicy({ sampler: input.sampler, spec, seed: input.seed });
  } else {
    const { jointPolicy } = await import('./joint-policy.ts');
    const { loadSidecarPolicy } = await import('../policy/sidecar.ts');
    if (input.memory) {
      // The memory's shape comes from the sidecar; reading it first refuses a mismatch before anything moves.
      const probe = await loadSidecarPolicy(input.policy);
      const shape = { keyWidth: probe.sidecar.joints.length + (input.embedding === 'keypoints' ? encoderFeatures : 0), chunkWidth: probe.sidecar.chunk * probe.sidecar.joints.length };
      await probe.dispose();
      memory = loadMemory(input.memory, task, shape);
    }
    const image = () => (world ? cameraTensor(renderScene(world.scene, world.state)) : undefined);
    const grounded = written && detector && named.length
      ? async () => {
          if (!world) throw new SkillframeError('internal', 'no camera image to ground the spec in');
          const result = groundSpec(written, await detector.detect(renderScene(world.scene, world.state)), detector.sidecar.classes, `input.spec (${input.spec})`);
          grounding = result.grounding;
          spec = result.spec;
          return result.spec;
        }
      : spec;
    if (memory && input.embedding === 'keypoints') {
      if (!scene) throw new SkillframeError('unavailable', 'input.embedding: memory keys with an image embedding need a camera image, which only --model sim renders so far (use --embedding none)');
      embedding = await loadKeypointEncoder(input.detector ?? defaultDetectorFile);
    }
    joint = await jointPolicy({ file: input.policy, sampler: input.sampler, spec: grounded, memory, particles: input.particles, guidance: input.guidance, seed: input.seed, image, expectedSteps: Math.round(input.hz * input.seconds), ...(embedding ? { embedding } : {}) });
    policy = joint;
  }
  try {
    return await withArm(input, context, async (arm) => {
      const publish = streamState(context, arm.armId);
      if (scene) {
        // The tabletop task starts where the demonstrations start; the move goes through the same safety path.
        await arm.moveTo(homePose, { signal: context.signal, clamp: true, tolerance: 2 });
        world = new TabletopWorld(scene, (await arm.readState()).positions);
      }
      let inference = 0;
      const timed: ArmPolicy = {
        ...policy,
        name: policy.name,
        execute: policy.execute,
        nextChunk: async (observation, signal) => {
          const started = performance.now();
          const chunk = await policy.nextChunk(observation, signal);
          inference += performance.now() - started;
          return chunk;
        },
        observe: (positions) => {
          world?.step(positions);
          policy.observe?.(positions);
        },
      };
      const report = await runPolicyLoop(arm, timed, {
        hz: input.hz,
        seconds: input.seconds,
        signal: context.signal,
        onTick: (tick) => publish(tick.sent.sent, tick.time),
      });
      const final = await arm.readState();
      world?.step(final.positions);
      let success: boolean | null = null;
      // The spec says what this run was for; without one, the tabletop task is the cube in the bin.
      if (spec) success = specReached(spec, final.positions) && !world?.state.collided;
      else if (world) success = world.state.inBin && !world.state.collided;
      if (success && memory && joint && input.memory) {
        const episode = memory.beginEpisode();
        for (const entry of joint.executed) memory.add(entry.key, entry.progress, entry.chunk, episode);
        saveMemory(input.memory, task, memory, { keyWidth: joint.keyWidth, chunkWidth: joint.chunkWidth });
      }
      return {
        ...report,
        watchdogTrips: arm.watchdogTrips,
        sampler: input.sampler,
        memoryEntries: memory?.size ?? 0,
        success,
        collisions: world ? world.state.collisions : null,
        injections: joint?.injections ?? 0,
        meanInferenceMs: Math.round((inference / Math.max(1, report.chunks)) * 100) / 100,
        ...(grounding ? { keypoints: grounding } : {}),
      };
    });
  } finally {
    await policy.dispose?.();
    await detector?.dispose();
    await embedding?.dispose();
  }
}

/** The spec's last stage is done when the gripper is within 3 cm of its first reach target. */
function specReached(spec: RewardSpec, positions: JointValues): boolean {
  const target = spec.stages.at(-1)!.terms.find((term) => term.kind === 'reach');
  if (!target || target.kind !== 'reach') return false;
  const gripper = forwardKinematics(positions).gripper;
  return Math.hypot(gripper[0] - target.target[0], gripper[1] - target.target[1]) < 0.03;
}

/** Latched by an e-stop in this process: motion commands refuse until a process restart or release. */
let estopLatched = false;

function refuseWhileLatched() {
  if (estopLatched) throw new SkillframeError('unsafe', 'the e-stop is engaged in this process; restart it (or release the e-stop from the UI) before moving the arm');
}

export function releaseEstop(): void {
  estopLatched = false;
}

/** E-stops every arm open in this process, then, if a port is named and free, that arm too. */
export async function estop(input: ParsedInputOf<'robot.arm.estop'>, context: Pick<ArmContext, 'torque'>) {
  estopLatched = true;
  const torqueOff: number[] = [];
  const failed: number[] = [];
  const local = [...openArms];
  await Promise.all(
    local.map(async (arm) => {
      const result = await arm.estop();
      for (const id of arm.ids) (result.failed.includes(id) ? failed : torqueOff).push(id);
    }),
  );
  const localPorts = new Set(local.map((arm) => arm.bus.link.path));
  if ((input.port && !localPorts.has(input.port)) || (input.model === 'sim' && local.length === 0)) {
    // Another process may still hold the port for a moment after its kill switch fired.
    const opened = await openBus(configOf(input), { waitForLockMs: 3000, retries: 2 });
    try {
      const ids = opened.layout.joints.map((joint) => joint.id);
      const result = await opened.bus.urgentWrite(ids, opened.layout.joints[0].motor.registers.Torque_Enable, 0, 'e-stop');
      torqueOff.push(...result.confirmed);
      failed.push(...result.failed);
      context.torque({ armId: opened.armId, reason: 'estop', failed: result.failed });
    } finally {
      await opened.dispose();
    }
  }
  return { local: local.length, torqueOff, failed };
}

export function listDataset(home: string, dataset: string) {
  const episodes = listEpisodes(datasetDirectory(home, dataset));
  return {
    dataset: datasetDirectory(home, dataset),
    episodes: episodes.map((episode) => ({ index: episode.index, task: episode.task, frames: episode.length ?? 0, fps: episode.fps, cameras: episode.cameras.map((camera) => camera.name) })),
  };
}

export async function exportDataset(home: string, dataset: string, out: string) {
  return exportLeRobot(datasetDirectory(home, dataset), out);
}

export async function importDataset(home: string, from: string, dataset: string, signal: AbortSignal) {
  const result = await importLeRobot(from, datasetDirectory(home, dataset), { signal });
  return { dataset: datasetDirectory(home, dataset), episodes: result.episodes.length, frames: result.frames };
}
