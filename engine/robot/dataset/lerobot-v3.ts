import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { describeZodError, SkillframeError } from '../../../core/index.ts';
import { ArmModel, armModelInfo } from '../../../core/schemas/arm.ts';
import { concatVideos, countFrames, cutFrames } from './video.ts';
import { EpisodeRecorder, episodeFile, type EpisodeMeta, listEpisodes, readEpisodeFrames } from './episodes.ts';

/**
 * LeRobotDataset v3.0 layout, as LeRobot writes it:
 *   meta/info.json, meta/stats.json, meta/tasks.parquet,
 *   meta/episodes/chunk-000/file-000.parquet, data/chunk-000/file-000.parquet,
 *   videos/<video_key>/chunk-000/file-000.mp4 (every episode packed into one file per camera,
 *   each a [from_timestamp, to_timestamp) span of it, as LeRobot packs them).
 * Frame timestamps are frame_index / fps, as LeRobot's own recorder writes them (its loader
 * checks them against fps); the measured times stay in the internal store.
 */

const dataPath = 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet';
const videoPath = 'videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4';

const Feature = z.object({ dtype: z.string(), shape: z.array(z.number()), names: z.unknown().optional(), info: z.unknown().optional() });
const Info = z.object({
  codebase_version: z.string(),
  robot_type: z.string().nullable().optional(),
  fps: z.number().positive(),
  total_episodes: z.number().int(),
  total_frames: z.number().int(),
  data_path: z.string(),
  video_path: z.string().nullable().optional(),
  features: z.record(z.string(), Feature),
});

function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)(?::0?(\d+)d)?\}/g, (_, key: string, width?: string) => {
    const value = values[key];
    if (value === undefined) throw new SkillframeError('bad_input', `path template ${template} names {${key}}, which is unknown`);
    return width ? String(value).padStart(Number(width), '0') : String(value);
  });
}

type Column = { name: string; data: unknown[] };
type SchemaElement = Record<string, unknown>;

async function writeParquet(path: string, columns: (Column & { kind: 'int64' | 'float32' | 'float64' | 'string' | 'float32[]' | 'float64[]' | 'string[]' })[], kv?: Record<string, string>) {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  const columnData: Column[] = [];
  for (const column of columns) {
    const list = column.kind.endsWith('[]');
    const base = column.kind.replace('[]', '');
    const leaf: SchemaElement =
      base === 'int64' ? { type: 'INT64' } : base === 'float32' ? { type: 'FLOAT' } : base === 'float64' ? { type: 'DOUBLE' } : { type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    if (list) {
      schema.push({ name: column.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 });
      schema.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
      schema.push({ name: 'element', repetition_type: 'OPTIONAL', ...leaf });
    } else schema.push({ name: column.name, repetition_type: 'REQUIRED', ...leaf });
    columnData.push({ name: column.name, data: base === 'int64' && !list ? column.data.map((value) => BigInt(value as number)) : column.data });
  }
  const buffer = parquetWriteBuffer({
    columnData: columnData as never,
    schema: schema as never,
    kvMetadata: kv ? Object.entries(kv).map(([key, value]) => ({ key, value })) : undefined,
  });
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, new Uint8Array(buffer));
}

async function readParquet(path: string): Promise<Record<string, unknown>[]> {
  if (!existsSync(path)) throw new SkillframeError('bad_input', `LeRobot dataset is missing ${path}`);
  const { parquetReadObjects } = await import('hyparquet');
  const bytes = readFileSync(path);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    return (await parquetReadObjects({ file: buffer })) as Record<string, unknown>[];
  } catch (error) {
    throw new SkillframeError('bad_input', `${path} is not a readable parquet file: ${(error as Error).message}`);
  }
}

function vectorStats(rows: number[][]) {
  const width = rows[0]?.length ?? 0;
  const min = Array(width).fill(Infinity);
  const max = Array(width).fill(-Infinity);
  const sum = Array(width).fill(0);
  const squares = Array(width).fill(0);
  for (const row of rows) {
    row.forEach((value, index) => {
      min[index] = Math.min(min[index], value);
      max[index] = Math.max(max[index], value);
      sum[index] += value;
      squares[index] += value * value;
    });
  }
  const count = rows.length;
  const mean = sum.map((value) => value / Math.max(1, count));
  const std = squares.map((value, index) => Math.sqrt(Math.max(0, value / Math.max(1, count) - mean[index] ** 2)));
  return { min, max, mean, std, count: [count] };
}


export interface ExportReport {
  outDir: string;
  episodes: number;
  frames: number;
  videos: number;
  files: string[];
}

/** Writes every finished episode of an internal dataset as one LeRobotDataset v3.0 folder. */
export async function exportLeRobot(datasetDir: string, outDir: string): Promise<ExportReport> {
  const episodes = listEpisodes(datasetDir).filter((episode) => (episode.length ?? 0) > 0);
  if (!episodes.length) throw new SkillframeError('not_found', `dataset ${datasetDir} has no finished episodes to export`);
  const first = episodes[0];
  for (const episode of episodes) {
    if (episode.fps !== first.fps || episode.jointNames.join() !== first.jointNames.join()) {
      throw new SkillframeError('bad_input', `episode ${episode.index} has fps ${episode.fps} and joints ${episode.jointNames.join(',')}, unlike episode ${first.index}; a LeRobot dataset needs one of each`);
    }
  }
  const fps = first.fps;
  const names = first.jointNames.map((name) => `${name}.pos`);
  const tasks = [...new Set(episodes.map((episode) => episode.task))];
  const cameraNames = [...new Set(episodes.flatMap((episode) => episode.cameras.map((camera) => camera.name)))];
  const files: string[] = [];

  const data = { state: [] as number[][], action: [] as number[][], timestamp: [] as number[], frame: [] as number[], episode: [] as number[], index: [] as number[], task: [] as number[] };
  const episodeRows: Record<string, unknown[]> = {};
  const push = (key: string, value: unknown) => (episodeRows[key] ??= []).push(value);
  const packed: Record<string, string[]> = {};
  for (const [position, episode] of episodes.entries()) {
    const frames = readEpisodeFrames(datasetDir, episode.index).slice(0, episode.length);
    const from = data.index.length;
    frames.forEach((frame, frameIndex) => {
      data.state.push(frame.observation);
      data.action.push(frame.action);
      data.timestamp.push(frameIndex / fps);
      data.frame.push(frameIndex);
      data.episode.push(position);
      data.index.push(from + frameIndex);
      data.task.push(tasks.indexOf(episode.task));
    });
    push('episode_index', position);
    push('tasks', [episode.task]);
    push('length', frames.length);
    push('data/chunk_index', 0);
    push('data/file_index', 0);
    push('dataset_from_index', from);
    push('dataset_to_index', from + frames.length);
    for (const camera of cameraNames) {
      const key = `observation.images.${camera}`;
      const source = episode.cameras.find((candidate) => candidate.name === camera);
      if (!source) throw new SkillframeError('bad_input', `episode ${episode.index} has no ${camera} camera; every episode of a LeRobot dataset needs the same cameras`);
      const file = episodeFile(datasetDir, episode.index, source.file);
      const count = await countFrames(file);
      if (count !== frames.length) {
        throw new SkillframeError('bad_input', `episode ${episode.index}: camera ${camera} has ${count} video frames for ${frames.length} state rows (recorded before video was aligned to rows?); re-record it`, {
          episode: episode.index,
          videoFrames: count,
          rows: frames.length,
        });
      }
      (packed[key] ??= []).push(file);
      // Packed as LeRobot packs them: one mp4 per camera, each episode a [from, to) span of it.
      push(`videos/${key}/chunk_index`, 0);
      push(`videos/${key}/file_index`, 0);
      push(`videos/${key}/from_timestamp`, from / fps);
      push(`videos/${key}/to_timestamp`, (from + frames.length) / fps);
    }
    for (const [feature, rows] of [['observation.state', frames.map((frame) => frame.observation)], ['action', frames.map((frame) => frame.action)]] as const) {
      const stats = vectorStats(rows as number[][]);
      for (const [name, value] of Object.entries(stats)) push(`stats/${feature}/${name}`, value);
    }
    push('meta/episodes/chunk_index', 0);
    push('meta/episodes/file_index', 0);
  }

  let videos = 0;
  for (const [key, sources] of Object.entries(packed)) {
    const target = join(outDir, fill(videoPath, { video_key: key, chunk_index: 0, file_index: 0 }));
    await concatVideos(sources, target, fps);
    files.push(target);
    videos += 1;
  }

  const dataFile = join(outDir, fill(dataPath, { chunk_index: 0, file_index: 0 }));
  await writeParquet(dataFile, [
    { name: 'observation.state', kind: 'float32[]', data: data.state },
    { name: 'action', kind: 'float32[]', data: data.action },
    { name: 'timestamp', kind: 'float32', data: data.timestamp },
    { name: 'frame_index', kind: 'int64', data: data.frame },
    { name: 'episode_index', kind: 'int64', data: data.episode },
    { name: 'index', kind: 'int64', data: data.index },
    { name: 'task_index', kind: 'int64', data: data.task },
  ]);
  files.push(dataFile);

  const episodesFile = join(outDir, 'meta/episodes/chunk-000/file-000.parquet');
  await writeParquet(
    episodesFile,
    Object.entries(episodeRows).map(([name, values]) => ({
      name,
      data: values,
      kind: name === 'tasks' ? 'string[]' : name.startsWith('stats/') ? 'float64[]' : name.endsWith('_timestamp') ? 'float64' : 'int64',
    })),
  );
  files.push(episodesFile);

  // pandas metadata makes `task` the index, as LeRobot reads tasks.parquet (tasks.loc[task]).
  const pandas = {
    index_columns: ['task'],
    column_indexes: [],
    columns: [
      { name: 'task_index', field_name: 'task_index', pandas_type: 'int64', numpy_type: 'int64', metadata: null },
      { name: 'task', field_name: 'task', pandas_type: 'unicode', numpy_type: 'object', metadata: null },
    ],
    creator: { library: 'skillframe', version: '0.1.0' },
    pandas_version: '2.2.3',
  };
  const tasksFile = join(outDir, 'meta/tasks.parquet');
  await writeParquet(
    tasksFile,
    [
      { name: 'task_index', kind: 'int64', data: tasks.map((_, index) => index) },
      { name: 'task', kind: 'string', data: tasks },
    ],
    { pandas: JSON.stringify(pandas) },
  );
  files.push(tasksFile);

  const scalar = (values: number[]) => {
    const stats = vectorStats(values.map((value) => [value]));
    return stats;
  };
  const stats: Record<string, unknown> = {
    'observation.state': vectorStats(data.state),
    action: vectorStats(data.action),
    timestamp: scalar(data.timestamp),
    frame_index: scalar(data.frame),
    episode_index: scalar(data.episode),
    index: scalar(data.index),
    task_index: scalar(data.task),
  };
  const features: Record<string, unknown> = {
    action: { dtype: 'float32', shape: [names.length], names },
    'observation.state': { dtype: 'float32', shape: [names.length], names },
  };
  for (const camera of cameraNames) {
    const spec = episodes.flatMap((episode) => episode.cameras).find((candidate) => candidate.name === camera)!;
    features[`observation.images.${camera}`] = {
      dtype: 'video',
      shape: [spec.height, spec.width, 3],
      names: ['height', 'width', 'channels'],
      info: {
        'video.height': spec.height,
        'video.width': spec.width,
        'video.codec': 'h264',
        'video.pix_fmt': 'yuv420p',
        'video.is_depth_map': false,
        'video.fps': fps,
        'video.channels': 3,
        has_audio: false,
      },
    };
  }
  Object.assign(features, {
    timestamp: { dtype: 'float32', shape: [1], names: null },
    frame_index: { dtype: 'int64', shape: [1], names: null },
    episode_index: { dtype: 'int64', shape: [1], names: null },
    index: { dtype: 'int64', shape: [1], names: null },
    task_index: { dtype: 'int64', shape: [1], names: null },
  });
  const robotModel = ArmModel.safeParse(first.robotType);
  const info = {
    codebase_version: 'v3.0',
    robot_type: robotModel.success ? armModelInfo[robotModel.data].lerobotType : first.robotType,
    total_episodes: episodes.length,
    total_frames: data.index.length,
    total_tasks: tasks.length,
    chunks_size: 1000,
    data_files_size_in_mb: 100,
    video_files_size_in_mb: 500,
    fps,
    splits: { train: `0:${episodes.length}` },
    data_path: dataPath,
    video_path: cameraNames.length ? videoPath : null,
    features,
  };
  writeFileSync(join(outDir, 'meta/info.json'), `${JSON.stringify(info, null, 4)}\n`);
  writeFileSync(join(outDir, 'meta/stats.json'), `${JSON.stringify(stats, null, 4)}\n`);
  files.push(join(outDir, 'meta/info.json'), join(outDir, 'meta/stats.json'));
  return { outDir, episodes: episodes.length, frames: data.index.length, videos, files };
}

const asNumber = (value: unknown) => (typeof value === 'bigint' ? Number(value) : (value as number));

interface PlannedEpisode {
  index: number;
  task: string;
  rows: Record<string, unknown>[];
  videos: { key: string; source: string; first: number }[];
}

/** Every row of every meta/episodes file (LeRobot starts a new file when one grows too large). */
async function readEpisodeTable(inDir: string): Promise<Record<string, unknown>[]> {
  const root = join(inDir, 'meta/episodes');
  if (!existsSync(root)) throw new SkillframeError('bad_input', `LeRobot dataset is missing ${root}`);
  const files = readdirSync(root)
    .filter((chunk) => /^chunk-\d+$/.test(chunk))
    .sort()
    .flatMap((chunk) =>
      readdirSync(join(root, chunk))
        .filter((file) => /^file-\d+\.parquet$/.test(file))
        .sort()
        .map((file) => join(root, chunk, file)),
    );
  if (!files.length) throw new SkillframeError('bad_input', `LeRobot dataset has no parquet file under ${root}`);
  const rows: Record<string, unknown>[] = [];
  for (const file of files) rows.push(...(await readParquet(file)));
  return rows;
}

/**
 * Checks a dataset before anything is written: each episode's rows are a contiguous run of the
 * global index with frame_index 0..n-1 at 1/fps steps, episodes neither overlap nor leave gaps,
 * and each video span holds exactly the episode's frames without overlapping another span.
 */
async function planImport(inDir: string, info: z.infer<typeof Info>, videoKeys: { key: string }[], signal?: AbortSignal): Promise<PlannedEpisode[]> {
  const episodeRows = (await readEpisodeTable(inDir)).sort((a, b) => asNumber(a.episode_index) - asNumber(b.episode_index));
  const fail = (message: string, details?: Record<string, unknown>) => new SkillframeError('bad_input', `${inDir}: ${message}`, details);
  const dataCache = new Map<string, Record<string, unknown>[]>();
  const frameCounts = new Map<string, number>();
  const spans = new Map<string, { episode: number; from: number; to: number }[]>();
  const planned: PlannedEpisode[] = [];
  let previous: { episode: number; to: number } | undefined;
  for (const row of episodeRows) {
    if (signal?.aborted) throw signal.reason;
    const episodeIndex = asNumber(row.episode_index);
    if (planned.some((episode) => episode.index === episodeIndex)) throw fail(`episode ${episodeIndex} is listed twice in meta/episodes`, { episode: episodeIndex });
    const file = join(inDir, fill(info.data_path, { chunk_index: asNumber(row['data/chunk_index'] ?? 0), file_index: asNumber(row['data/file_index'] ?? 0), episode_chunk: 0, episode_index: episodeIndex }));
    if (!dataCache.has(file)) dataCache.set(file, await readParquet(file));
    const all = dataCache.get(file)!;
    let rows: Record<string, unknown>[];
    if (row.dataset_from_index !== undefined && row.dataset_to_index !== undefined) {
      const from = asNumber(row.dataset_from_index);
      const to = asNumber(row.dataset_to_index);
      if (previous && from < previous.to) throw fail(`episode ${episodeIndex} starts at index ${from}, inside episode ${previous.episode} (which ends at ${previous.to}): overlapping spans`, { episode: episodeIndex, from, previousTo: previous.to });
      if (previous && from > previous.to) throw fail(`episode ${episodeIndex} starts at index ${from} but episode ${previous.episode} ends at ${previous.to}: a gap of ${from - previous.to} rows`, { episode: episodeIndex, from, previousTo: previous.to });
      previous = { episode: episodeIndex, to };
      rows = all.filter((frame) => asNumber(frame.index) >= from && asNumber(frame.index) < to).sort((a, b) => asNumber(a.index) - asNumber(b.index));
      if (rows.length !== to - from) throw fail(`episode ${episodeIndex} spans index ${from}..${to} but ${file} holds ${rows.length} of those ${to - from} rows: a gap`, { episode: episodeIndex, rows: rows.length, expected: to - from });
      const stranger = rows.find((frame) => asNumber(frame.episode_index) !== episodeIndex);
      if (stranger) throw fail(`row ${asNumber(stranger.index)} lies in episode ${episodeIndex}'s span but belongs to episode ${asNumber(stranger.episode_index)}: overlapping spans`, { episode: episodeIndex });
    } else {
      rows = all.filter((frame) => asNumber(frame.episode_index) === episodeIndex).sort((a, b) => asNumber(a.frame_index) - asNumber(b.frame_index));
    }
    if (!rows.length) throw fail(`episode ${episodeIndex} has no rows in ${file}`, { episode: episodeIndex });
    if (row.length !== undefined && asNumber(row.length) !== rows.length) throw fail(`episode ${episodeIndex} declares length ${asNumber(row.length)} but has ${rows.length} rows`, { episode: episodeIndex });
    rows.forEach((frame, position) => {
      const frameIndex = asNumber(frame.frame_index);
      if (frameIndex !== position) throw fail(`episode ${episodeIndex}: frame_index ${frameIndex} where ${position} was expected (a gap or a repeat)`, { episode: episodeIndex, frameIndex, expected: position });
      const timestamp = asNumber(frame.timestamp);
      if (Math.abs(timestamp - asNumber(rows[0].timestamp) - position / info.fps) > 0.5 / info.fps) {
        throw fail(`episode ${episodeIndex}: frame ${position} has timestamp ${timestamp}, more than half a frame off ${position}/${info.fps} s (a time gap)`, { episode: episodeIndex, frame: position, timestamp });
      }
    });
    const videos: PlannedEpisode['videos'] = [];
    for (const { key } of videoKeys) {
      const source = join(inDir, fill(info.video_path ?? videoPath, { video_key: key, chunk_index: asNumber(row[`videos/${key}/chunk_index`] ?? 0), file_index: asNumber(row[`videos/${key}/file_index`] ?? 0), episode_chunk: 0, episode_index: episodeIndex }));
      if (!existsSync(source)) throw fail(`episode ${episodeIndex}: video ${source} is missing`, { episode: episodeIndex });
      if (!frameCounts.has(source)) frameCounts.set(source, await countFrames(source));
      const from = asNumber(row[`videos/${key}/from_timestamp`] ?? 0);
      const to = asNumber(row[`videos/${key}/to_timestamp`] ?? rows.length / info.fps);
      const first = Math.round(from * info.fps);
      const spanFrames = Math.round((to - from) * info.fps);
      if (Math.abs(spanFrames - rows.length) > 1) throw fail(`episode ${episodeIndex}: ${key} span ${from}..${to} s holds ${spanFrames} frames for ${rows.length} rows`, { episode: episodeIndex, key, from, to });
      if (first + rows.length > frameCounts.get(source)!) throw fail(`episode ${episodeIndex}: ${key} span ${from}..${to} s runs past the end of ${source} (${frameCounts.get(source)} frames)`, { episode: episodeIndex, key });
      const others = spans.get(source) ?? [];
      const clash = others.find((other) => from < other.to - 0.5 / info.fps && other.from < to - 0.5 / info.fps);
      if (clash) throw fail(`episode ${episodeIndex}: ${key} span ${from}..${to} s overlaps episode ${clash.episode} (${clash.from}..${clash.to} s) in ${source}: overlapping spans`, { episode: episodeIndex, key, other: clash.episode });
      spans.set(source, [...others, { episode: episodeIndex, from, to }]);
      videos.push({ key, source, first });
    }
    planned.push({ index: episodeIndex, task: ((row.tasks as string[] | undefined) ?? ['(no task)'])[0], rows, videos });
  }
  return planned;
}

/**
 * Reads a LeRobotDataset v3.0 folder into the internal store as new episodes. Episodes packed
 * several to a parquet or mp4 file are cut out by their index and timestamp spans; a dataset with
 * gaps or overlapping spans is refused before anything is written.
 */
export async function importLeRobot(inDir: string, datasetDir: string, options: { signal?: AbortSignal } = {}): Promise<{ episodes: EpisodeMeta[]; frames: number }> {
  const infoPath = join(inDir, 'meta/info.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(infoPath, 'utf8'));
  } catch (error) {
    throw new SkillframeError('bad_input', `${infoPath} is missing or not JSON: ${(error as Error).message}`);
  }
  const parsed = Info.safeParse(raw);
  if (!parsed.success) throw new SkillframeError('bad_input', `${infoPath}: ${describeZodError(parsed.error, raw, 'info')}`);
  const info = parsed.data;
  if (!info.codebase_version.startsWith('v3')) throw new SkillframeError('bad_input', `${infoPath}: codebase_version ${info.codebase_version} is not v3.x`);
  const state = info.features['observation.state'];
  const action = info.features.action;
  if (!state || !action) throw new SkillframeError('bad_input', `${infoPath}: features need observation.state and action`);
  const jointNames = (Array.isArray(state.names) ? (state.names as string[]) : Array.from({ length: state.shape[0] }, (_, index) => `joint_${index}.pos`)).map((name) =>
    name.replace(/\.pos$/, ''),
  );
  const videoKeys = Object.entries(info.features)
    .filter(([, feature]) => feature.dtype === 'video')
    .map(([key, feature]) => ({ key, name: key.replace(/^observation\.images\./, ''), height: feature.shape[0], width: feature.shape[1] }));

  const planned = await planImport(inDir, info, videoKeys, options.signal);
  const imported: EpisodeMeta[] = [];
  let frames = 0;
  for (const episode of planned) {
    if (options.signal?.aborted) throw options.signal.reason;
    const recorder = await EpisodeRecorder.start(datasetDir, { task: episode.task, robotType: info.robot_type ?? 'unknown', fps: info.fps, jointNames, cameras: [] });
    recorder.meta.cameras = videoKeys.map((camera) => ({ name: camera.name, file: `camera-${camera.name}.mp4`, width: camera.width, height: camera.height, fps: info.fps }));
    for (const frame of episode.rows) {
      recorder.append({ t: asNumber(frame.timestamp), observation: [...(frame['observation.state'] as number[])], action: [...(frame.action as number[])] });
    }
    for (const video of episode.videos) {
      const camera = videoKeys.find((candidate) => candidate.key === video.key)!;
      const target = join(recorder.folder, `camera-${camera.name}.mp4`);
      if (video.first === 0 && (await countFrames(video.source)) === episode.rows.length) copyFileSync(video.source, target);
      else await cutFrames(video.source, target, video.first, episode.rows.length, info.fps);
    }
    imported.push(await recorder.finish());
    frames += episode.rows.length;
  }
  return { episodes: imported, frames };
}
