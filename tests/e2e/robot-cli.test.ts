import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';

const home = temporaryHome();
const directory = mkdtempSync(join(tmpdir(), 'skillframe-robot-'));
after(() => {
  rmSync(directory, { recursive: true, force: true });
  home.dispose();
});

test('robot bench --json runs the real ONNX policy over a layouts file and prints the contract shape', async () => {
  const file = join(directory, 'layouts.json');
  writeFileSync(file, JSON.stringify([{ name: 'moved', start: [0, 0], goal: [1, 0], obstacles: [{ center: [0.5, 0.2], radius: 0.15 }], constraint: null }]));
  const result = await runCli(['robot', 'bench', '--json', '--seed', '4', '--seeds', '1', '--episodes', '4', '--layouts', file, '--method', 'base', '--method', 'vls', '--method', 'rts'], { env: home.env });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.deepEqual(Object.keys(report.layouts), ['moved']);
  assert.deepEqual(Object.keys(report.layouts.moved), ['base', 'vls', 'rts']);
  for (const stats of Object.values(report.layouts.moved) as Record<string, unknown>[]) {
    for (const field of ['success', 'ci95', 'collision_rate', 'latency_ms_p50', 'latency_ms_p95', 'nfe', 'jerk']) assert.ok(field in stats, field);
  }
  assert.equal(report.layouts.moved.base.nfe, 10);
  assert.equal(report.layouts.moved.vls.nfe, 80);
  assert.ok(Array.isArray(report.layouts.moved.rts.learning_curve));
  assert.ok(report.hz > 0);
});

test('robot sim runs one episode of VLS on a shifted layout', async () => {
  const result = await runCli(['robot', 'sim', '--method', 'vls', '--layout', 'shift_0.2', '--seed', '3', '--json'], { env: home.env });
  assert.equal(result.code, 0, result.stderr);
  const episode = JSON.parse(result.stdout);
  assert.equal(episode.layout, 'shift_0.2');
  assert.equal(typeof episode.success, 'boolean');
  assert.ok(episode.path.length > 5);
});

test('bad layouts and specs are coded errors naming the field (exit 2), an unknown layout is not_found (exit 5), no VLM is unavailable (exit 7)', async () => {
  const bad = join(directory, 'bad.json');
  writeFileSync(bad, JSON.stringify([{ name: 'bad', start: [0, 0], goal: [1, 0], obstacles: [{ center: [0.5, 0], radius: -0.2 }], constraint: null }]));
  const negative = await runCli(['robot', 'bench', '--layouts', bad, '--episodes', '1'], { env: home.env });
  assert.equal(negative.code, 2);
  assert.match(negative.stderr + negative.stdout, /layouts\.0\.obstacles\.0\.radius/);
  writeFileSync(bad, JSON.stringify([{ name: 'bad', start: [0, 0], goal: [1, 0], obstacles: [], constraint: 'pass_under' }]));
  const constraint = await runCli(['robot', 'sim', '--layouts', bad, '--layout', 'bad'], { env: home.env });
  assert.equal(constraint.code, 2);
  assert.match(constraint.stderr + constraint.stdout, /layouts\.0\.constraint/);
  const spec = join(directory, 'spec.json');
  writeFileSync(spec, JSON.stringify({ stages: [{ name: 'go', terms: [{ kind: 'wish', target: [1, 0] }] }] }));
  const unknownTerm = await runCli(['robot', 'spec', '--from', 'json', '--file', spec], { env: home.env });
  assert.equal(unknownTerm.code, 2);
  assert.match(unknownTerm.stderr + unknownTerm.stdout, /spec\.stages\.0\.terms\.0\.kind/);
  const missing = await runCli(['robot', 'sim', '--layout', 'nowhere'], { env: home.env });
  assert.equal(missing.code, 5);
  const vlm = await runCli(['robot', 'spec', '--from', 'vlm'], { env: home.env });
  assert.equal(vlm.code, 7);
});

test('robot spec --from vlm: a scripted VLM reply becomes a checked spec; one that breaks the schema is bad_input naming the field', async () => {
  const vlmHome = temporaryHome();
  try {
    const set = await runCli(['settings', 'set', '{"vlm":{"provider":"scripted"}}'], { env: vlmHome.env });
    assert.equal(set.code, 0, set.stderr);
    const good = '```json\n{"version":1,"stages":[{"name":"reach","terms":[{"kind":"reach","target":[1,0]},{"kind":"keep_away","center":[0.5,0.2],"radius":0.15}]}]}\n```';
    const out = join(directory, 'vlm-spec.json');
    const accepted = await runCli(['robot', 'spec', '--from', 'vlm', '--layout', 'shift_0.2', '--out', out, '--json'], { env: { ...vlmHome.env, SKILLFRAME_VLM_SCRIPT: JSON.stringify([good]) } });
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.equal(JSON.parse(accepted.stdout).spec.stages[0].terms[1].kind, 'keep_away');
    const sim = await runCli(['robot', 'sim', '--method', 'vls', '--layout', 'shift_0.2', '--spec', out, '--json'], { env: vlmHome.env });
    assert.equal(sim.code, 0, sim.stderr);
    const broken = '{"version":1,"stages":[{"name":"reach","terms":[{"kind":"keep_away","center":[0.5,0.2],"radius":-3}]}]}';
    const refused = await runCli(['robot', 'spec', '--from', 'vlm'], { env: { ...vlmHome.env, SKILLFRAME_VLM_SCRIPT: JSON.stringify([broken]) } });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr + refused.stdout, /stages\.0\.terms\.0\.radius/);
  } finally {
    vlmHome.dispose();
  }
});

test('robot arm spec: the VLM writes a keypoint spec from the arm camera; the detector grounds it; an unknown keypoint is bad_input', async () => {
  const vlmHome = temporaryHome();
  try {
    const set = await runCli(['settings', 'set', '{"vlm":{"provider":"scripted"}}'], { env: vlmHome.env });
    assert.equal(set.code, 0, set.stderr);
    const reply = JSON.stringify({ stages: [{ name: 'reach the cube', terms: [{ kind: 'reach', target: { keypoint: 'cube' } }], until: { kind: 'near', point: { keypoint: 'cube' }, within: 0.02 } }, { name: 'carry', terms: [{ kind: 'reach', target: { keypoint: 'bin' } }] }] });
    const scene = join(directory, 'arm-scene.json');
    writeFileSync(scene, JSON.stringify({ name: 'moved', cube: { position: [0.12, -0.3] }, bin: { position: [-0.08, -0.2] } }));
    const out = join(directory, 'arm-spec.json');
    const accepted = await runCli(['robot', 'arm', 'spec', '--instruction', 'put the cube in the bin', '--scene', scene, '--out', out, '--json'], { env: { ...vlmHome.env, SKILLFRAME_VLM_SCRIPT: JSON.stringify([reply]) } });
    assert.equal(accepted.code, 0, accepted.stderr);
    const result = JSON.parse(accepted.stdout);
    assert.deepEqual(result.spec.stages[0].terms[0].target, { keypoint: 'cube' });
    const [x, y] = result.grounded.stages[0].terms[0].target;
    assert.ok(Math.hypot(x - 0.12, y + 0.3) < 0.015, `cube grounded at ${x}, ${y}`);
    const [bx, by] = result.grounded.stages[1].terms[0].target;
    assert.ok(Math.hypot(bx + 0.08, by + 0.2) < 0.015, `bin grounded at ${bx}, ${by}`);
    const unknown = JSON.stringify({ stages: [{ name: 'x', terms: [{ kind: 'reach', target: { keypoint: 'teapot' } }] }] });
    const refused = await runCli(['robot', 'arm', 'spec', '--json'], { env: { ...vlmHome.env, SKILLFRAME_VLM_SCRIPT: JSON.stringify([unknown]) } });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr + refused.stdout, /teapot/);
  } finally {
    vlmHome.dispose();
  }
});
