import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

// The real `skillframe` binary on real fixture screenshots.
const fixtures = new URL('../../testkit/fixtures/vision/', import.meta.url).pathname;
const home = temporaryHome();
const scratch = mkdtempSync(join(tmpdir(), 'sf-vision-cli-'));
after(() => {
  home.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

test('skillframe ocr IMAGE --json prints exactly {lines:[{text, box, confidence, words}], ms}', async () => {
  const result = await runCli(['ocr', join(fixtures, 'app-mousepad.png'), '--region', '318,215,400,85', '--json'], { env: home.env });
  assert.equal(result.code, 0, result.stderr);
  const output = JSON.parse(result.stdout) as { lines: { text: string; box: number[]; confidence: number }[]; ms: number };
  assert.deepEqual(Object.keys(output).sort(), ['lines', 'ms']);
  assert.equal(output.lines.length, 4);
  for (const line of output.lines) {
    // words (per-word boxes) was added in the second round; the first round's fields stay as they were.
    assert.deepEqual(Object.keys(line).sort(), ['box', 'confidence', 'text', 'words']);
    assert.equal(line.box.length, 4);
  }
  assert.equal(output.lines[0].text, 'Quarterly report draft');
  assert.ok(output.ms > 0);
});

test('vision match finds a crop from the command line', async () => {
  const screen = join(fixtures, 'app-galculator.png');
  const sharp = (await import('sharp')).default;
  const needle = join(scratch, 'sqrt.png');
  await sharp(screen).extract({ left: 740, top: 418, width: 60, height: 36 }).toFile(needle);
  const match = await runCli(['vision', 'match', screen, needle, '--json'], { env: home.env });
  assert.equal(match.code, 0, match.stderr);
  const found = JSON.parse(match.stdout) as { matches: { box: number[]; score: number; scale: number }[] };
  assert.deepEqual(found.matches[0].box, [740, 418, 60, 36]);
});
