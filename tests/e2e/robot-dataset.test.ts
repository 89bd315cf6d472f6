// Robot data that stays aligned: a recorded episode has exactly one video frame per state row,
// the LeRobot v3 export packs episodes into one parquet and one mp4 (read back by DuckDB and
// ffprobe, not by our own reader), import cuts each episode's span back out, and a dataset with
// a gap or overlapping spans is refused with a coded error before anything is written.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { SkillframeError } from '../../core/index.ts';
import { exportDataset, importDataset, listDataset, record } from '../../engine/robot/arm/service.ts';
import { readEpisodeFrames } from '../../engine/robot/dataset/episodes.ts';
import { temporaryHome } from '../support/home.ts';

function ffprobeFrames(file: string): { frames: number; fps: number } {
  const output = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,r_frame_rate', '-of', 'json', file], { encoding: 'utf8' });
  const stream = JSON.parse(output).streams[0];
  const [numerator, denominator] = String(stream.r_frame_rate).split('/').map(Number);
  return { frames: Number(stream.nb_read_frames), fps: numerator / denominator };
}

async function duckRows(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
  }
}

describe('robot data: aligned video, packed LeRobot v3 export and import', () => {
  const home = temporaryHome();
  const context = { home: home.path, signal: new AbortController().signal, progress: () => undefined, state: () => undefined, torque: () => undefined };
  const lerobot = join(home.path, 'lerobot');
  let rows: number[] = [];

  before(async () => {
    const result = await record(
      {
        model: 'sim',
        armId: 'follower',
        leaderModel: 'sim',
        leaderArmId: 'leader',
        hz: 30,
        seconds: 2,
        dataset: 'demo',
        task: 'wave',
        episodes: 2,
        camera: 'testsrc',
        cameraWidth: 64,
        cameraHeight: 48,
      },
      context,
    );
    rows = result.episodes.map((episode) => episode.frames);
  });
  after(() => home.dispose());

  it('records exactly one video frame per state row (a 2 s episode holds 2 s of video)', () => {
    const dataset = join(home.path, 'datasets', 'demo');
    for (const episode of listDataset(home.path, 'demo').episodes) {
      const frames = readEpisodeFrames(dataset, episode.index);
      assert.ok(frames.length >= 40, `episode ${episode.index}: only ${frames.length} rows in 2 s at 30 Hz`);
      const video = ffprobeFrames(join(dataset, 'episodes', `episode-${String(episode.index).padStart(6, '0')}`, 'camera-front.mp4'));
      assert.equal(video.frames, frames.length, `episode ${episode.index}: ${video.frames} video frames for ${frames.length} rows`);
      assert.equal(video.fps, 30);
      // Row i stands for frame i at i / fps: every measured row is within one frame of it, even
      // when a loaded machine made the loop skip ticks (those slots repeat the previous row).
      frames.forEach((frame, index) => {
        assert.ok(Math.abs(frame.t - frames[0].t - index / 30) <= 0.5 / 30 + 1e-6, `row ${index} measured at ${(frame.t - frames[0].t).toFixed(3)} s, frame at ${(index / 30).toFixed(3)} s`);
      });
    }
  });

  it('exports one packed parquet and one packed mp4 that DuckDB and ffprobe read back', async () => {
    const exported = await exportDataset(home.path, 'demo', lerobot);
    assert.equal(exported.episodes, 2);
    assert.equal(exported.videos, 1);
    const total = rows[0] + rows[1];
    const data = await duckRows(`SELECT episode_index, count(*) AS n, min(frame_index) AS first, max(frame_index) AS last, min("index") AS lo, max("index") AS hi FROM read_parquet('${lerobot}/data/chunk-000/file-000.parquet') GROUP BY episode_index ORDER BY episode_index`);
    assert.deepEqual(
      data.map((row) => [Number(row.episode_index), Number(row.n), Number(row.first), Number(row.last)]),
      [
        [0, rows[0], 0, rows[0] - 1],
        [1, rows[1], 0, rows[1] - 1],
      ],
    );
    assert.equal(Number(data[1].lo), rows[0]);
    const episodes = await duckRows(
      `SELECT episode_index, dataset_from_index, dataset_to_index, "videos/observation.images.front/from_timestamp" AS vfrom, "videos/observation.images.front/to_timestamp" AS vto FROM read_parquet('${lerobot}/meta/episodes/chunk-000/file-000.parquet') ORDER BY episode_index`,
    );
    assert.equal(Number(episodes[1].dataset_from_index), rows[0]);
    assert.equal(Number(episodes[1].dataset_to_index), total);
    assert.ok(Math.abs(Number(episodes[1].vfrom) - rows[0] / 30) < 1e-6);
    assert.ok(Math.abs(Number(episodes[1].vto) - total / 30) < 1e-6);
    const video = ffprobeFrames(join(lerobot, 'videos/observation.images.front/chunk-000/file-000.mp4'));
    assert.equal(video.frames, total);
    const info = JSON.parse(readFileSync(join(lerobot, 'meta/info.json'), 'utf8'));
    assert.equal(info.total_frames, total);
  });

  it('imports a packed dataset: each episode gets its own span of the parquet and the mp4', async () => {
    const result = await importDataset(home.path, lerobot, 'again', context.signal);
    assert.equal(result.episodes, 2);
    const dataset = join(home.path, 'datasets', 'again');
    const original = join(home.path, 'datasets', 'demo');
    for (const index of [0, 1]) {
      const frames = readEpisodeFrames(dataset, index);
      assert.equal(frames.length, rows[index]);
      assert.deepEqual(
        frames.map((frame) => frame.action.map((value) => Math.round(value * 100))),
        readEpisodeFrames(original, index).map((frame) => frame.action.map((value) => Math.round(value * 100))),
      );
      const video = ffprobeFrames(join(dataset, 'episodes', `episode-00000${index}`, 'camera-front.mp4'));
      assert.equal(video.frames, rows[index], `imported episode ${index}: ${video.frames} video frames for ${rows[index]} rows`);
    }
  });

  async function importBroken(name: string, update: string): Promise<SkillframeError> {
    const copy = join(home.path, name);
    rmSync(copy, { recursive: true, force: true });
    cpSync(lerobot, copy, { recursive: true });
    const file = join(copy, 'meta/episodes/chunk-000/file-000.parquet');
    await duckRows(`COPY (SELECT * REPLACE (${update}) FROM read_parquet('${join(lerobot, 'meta/episodes/chunk-000/file-000.parquet')}')) TO '${file}' (FORMAT parquet)`);
    const error = await importDataset(home.path, copy, name, context.signal).then(
      () => assert.fail(`${name} was imported`),
      (caught: unknown) => caught as SkillframeError,
    );
    assert.ok(!existsSync(join(home.path, 'datasets', name)), `${name}: something was written before the refusal`);
    return error;
  }

  it('refuses a dataset with a gap or overlapping spans, before writing anything', async () => {
    const gap = await importBroken('gap', `CASE WHEN episode_index = 1 THEN dataset_from_index + 3 ELSE dataset_from_index END AS dataset_from_index`);
    assert.equal(gap.code, 'bad_input');
    assert.match(gap.message, /gap/);
    const shift = (column: string) => `CASE WHEN episode_index = 1 THEN "${column}" - 0.5 ELSE "${column}" END AS "${column}"`;
    const overlap = await importBroken('overlap', `${shift('videos/observation.images.front/from_timestamp')}, ${shift('videos/observation.images.front/to_timestamp')}`);
    assert.equal(overlap.code, 'bad_input');
    assert.match(overlap.message, /overlapping spans/);
  });
});
