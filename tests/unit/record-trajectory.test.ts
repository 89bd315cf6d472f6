import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTrajectory, TrajectoryWriter } from '../../skills-mm/trajectory/store.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sf-traj-'));
}

const png = Buffer.from('89504e470d0a1a0a', 'hex');

test('a cleanly closed trajectory reads back exactly', () => {
  const root = tempDir();
  try {
    const dir = join(root, 'rec');
    const writer = TrajectoryWriter.create(dir, { version: 1, id: 'a', kind: 'web', url: 'http://127.0.0.1/', screen: { width: 800, height: 600 }, started: new Date().toISOString() });
    const before = writer.writeFrame('000000-before.png', png);
    writer.append({ kind: 'click', at: Date.now(), pointer: { x: 1, y: 2 }, frames: { before }, target: { role: 'button', name: 'Save' } });
    writer.append({ kind: 'type', at: Date.now(), text: 'hello' });
    writer.close();
    const read = readTrajectory(dir);
    assert.equal(read.meta.status, 'complete');
    assert.equal(read.meta.eventCount, 2);
    assert.deepEqual(read.events.map((event) => event.kind), ['click', 'type']);
    assert.equal(read.events[0].frames?.before, 'frames/000000-before.png');
    assert.equal(read.repair.repaired, false);
    assert.equal(existsSync(join(dir, 'recording.lock')), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a torn tail, a stray temp frame and a missing frame are repaired on open', () => {
  const root = tempDir();
  try {
    const dir = join(root, 'rec');
    const writer = TrajectoryWriter.create(dir, { version: 1, id: 'b', kind: 'x11', screen: { width: 800, height: 600 }, started: new Date().toISOString() });
    writer.append({ kind: 'key', at: Date.now(), key: 'ctrl+s' });
    writer.append({ kind: 'click', at: Date.now(), frames: { after: 'frames/gone.png' } });
    // Simulate a crash mid-write: half a line, a temp frame, and a lock held by a dead process.
    appendFileSync(join(dir, 'events.jsonl'), '{"seq":2,"kind":"cli');
    writeFileSync(join(dir, 'frames', 'x.png.tmp'), png);
    writeFileSync(join(dir, 'recording.lock'), JSON.stringify({ pid: 999_999_999 }));
    const read = readTrajectory(dir);
    assert.equal(read.events.length, 2);
    assert.equal(read.events[1].frames?.after, undefined);
    assert.equal(read.repair.repaired, true);
    assert.equal(read.repair.droppedLines, 1);
    assert.equal(read.repair.missingFrames, 1);
    assert.equal(read.repair.removedTemporaryFiles, 1);
    assert.equal(read.meta.status, 'repaired');
    assert.ok(read.meta.ended);
    assert.ok(readFileSync(join(dir, 'events.jsonl'), 'utf8').endsWith('}\n'));
    // A second open finds nothing left to repair.
    const again = readTrajectory(dir);
    assert.equal(again.repair.repaired, false);
    assert.equal(again.events.length, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a live recorder folder is read but not changed', () => {
  const root = tempDir();
  try {
    const dir = join(root, 'rec');
    const writer = TrajectoryWriter.create(dir, { version: 1, id: 'c', kind: 'x11', screen: { width: 8, height: 6 }, started: new Date().toISOString() });
    writer.append({ kind: 'key', at: Date.now(), key: 'Enter' });
    const read = readTrajectory(dir);
    assert.equal(read.repair.live, true);
    assert.equal(read.repair.repaired, false);
    assert.equal(read.meta.status, 'recording');
    writer.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('creating into a non-empty folder is refused', () => {
  const root = tempDir();
  try {
    writeFileSync(join(root, 'keep.txt'), 'x');
    assert.throws(() => TrajectoryWriter.create(root, { version: 1, id: 'd', kind: 'web', screen: { width: 8, height: 6 }, started: new Date().toISOString() }), /not empty/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
