// Scripted demonstrations on the tabletop: with --bin-area the bin is placed anywhere in the
// area (wider demonstrations, so a policy learns to carry to the bin it sees), never on the cube.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SkillframeError } from '../../core/errors.ts';
import { parseTableArea, recordDemonstrations } from '../../engine/robot/sim/demonstrations.ts';
import { defaultScene } from '../../engine/robot/sim/scenes.ts';

test('demonstrations: a bin area places the bin inside it, clear of the cube, and every kept demo ends with the cube in that bin', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'skillframe-demos-'));
  try {
    const area = parseTableArea('-0.14,0.14,-0.32,-0.17', 'binArea');
    const result = await recordDemonstrations(directory, { scene: defaultScene, episodes: 3, jitter: 0.05, binArea: area, seed: 4, hz: 30 });
    assert.equal(result.episodes.length, 3);
    const bins = result.episodes.map((episode) => episode.bin);
    for (const [index, episode] of result.episodes.entries()) {
      const [x, y] = episode.bin;
      assert.ok(x >= area[0] && x <= area[1] && y >= area[2] && y <= area[3], `bin ${episode.bin} outside the area`);
      assert.ok(Math.hypot(x - episode.cube[0], y - episode.cube[1]) >= defaultScene.bin.size / 2 + defaultScene.cube.size, `demo ${index}: bin ${episode.bin} on the cube ${episode.cube}`);
      assert.ok(episode.success && (episode.length ?? 0) > 30);
    }
    // Across the area, not jittered around the training bin (−0.1, −0.22; ±5 cm reaches x −0.05 at most).
    assert.ok(bins.some((bin) => bin[0] > -0.04), JSON.stringify(bins));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('demonstrations: a bad bin area is bad_input naming the field and the value', () => {
  for (const text of ['1,0,0,1', '-0.1,0.1,-0.3', 'a,b,c,d', '-0.1,0.1,-3,-0.2']) {
    assert.throws(() => parseTableArea(text, 'input.binArea'), (error: SkillframeError) => error.code === 'bad_input' && error.message.includes('input.binArea') && error.message.includes(JSON.stringify(text)));
  }
});
