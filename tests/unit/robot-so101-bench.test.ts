// The SO-101 tabletop benchmark runs end to end on the bundled policy and detector: steered
// methods get a keypoint spec grounded in the scene's camera frame, the report carries where
// the detector found each keypoint (and how far from the true object), and a scene whose cube
// the camera cannot see is reported as a grounding failure, not steered blind.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { TabletopScene } from '../../core/schemas/tabletop.ts';
import { runSo101Bench } from '../../bench/robot-so101.ts';
import { defaultScene } from '../../engine/robot/sim/scenes.ts';

const policyFile = fileURLToPath(new URL('../../engine/robot/policy/assets/so101-flow.onnx', import.meta.url));

test('so101 bench: grounded spec per scene, perception figures, same-run latency vs base', async () => {
  const hidden = TabletopScene.parse({ ...defaultScene, name: 'cube-out-of-view', cube: { position: [0.6, -0.1] } });
  const report = await runSo101Bench({ policyFile, scenes: [defaultScene, hidden], methods: ['base', 'vls', 'vls_no_adaptive', 'vls_no_mcmc'], episodes: 1, ticks: 30 });
  assert.equal(report.task, 'so101');
  const seen = report.perception?.['so101-train'];
  assert.ok(seen && seen.error_m.cube !== undefined && seen.error_m.cube < 0.015, JSON.stringify(seen));
  assert.ok(seen.error_m.bin !== undefined && seen.error_m.bin < 0.015, JSON.stringify(seen));
  assert.equal(report.layouts['so101-train'].vls.episodes, 1);
  assert.ok(report.layouts['so101-train'].vls.latency_ms_p50 > 0);
  assert.ok(typeof report.latency_vs_base?.vls === 'number' && report.latency_vs_base.vls > 0);
  // The two VLS ablations are rows of their own.
  for (const ablation of ['vls_no_adaptive', 'vls_no_mcmc']) assert.equal(report.layouts['so101-train'][ablation]?.episodes, 1, ablation);
  const blind = report.perception?.['cube-out-of-view'];
  assert.ok(blind?.failed && /cube/.test(blind.failed), JSON.stringify(blind));
  // Base needs no spec and still runs there; the steered method is a miss, not a run without its spec.
  assert.equal(report.layouts['cube-out-of-view'].base.episodes, 1);
  assert.equal(report.layouts['cube-out-of-view'].vls.success, 0);
  assert.equal(report.layouts['cube-out-of-view'].vls.latency_ms_p50, 0);
  // Pooled over the shifted scenes only (the training scene is left out), with method differences.
  assert.equal(report.pooled?.vls.episodes, 1);
  assert.equal(report.pooled?.vls.successes, 0);
  const vlsOverBase = report.differences?.find((entry) => entry.a === 'vls' && entry.b === 'base');
  assert.ok(vlsOverBase && vlsOverBase.ci95[0] <= vlsOverBase.difference && vlsOverBase.difference <= vlsOverBase.ci95[1], JSON.stringify(report.differences));
});

test("Newcombe's interval for a difference of proportions matches his published example", async () => {
  const { newcombe } = await import('../../bench/robot-steer.ts');
  // Newcombe (1998), Statistics in Medicine 17:873, table II example (b): 56/70 vs 48/80 → 0.0524 to 0.3339.
  const [low, high] = newcombe(56, 70, 48, 80);
  assert.ok(Math.abs(low - 0.0524) < 5e-4 && Math.abs(high - 0.3339) < 5e-4, `${low} ${high}`);
  const [zeroLow, zeroHigh] = newcombe(0, 10, 0, 10);
  assert.ok(zeroLow < 0 && zeroHigh > 0);
});

test('so101 bench: VLS grasps a cube with a post beside it (tune scene) — the reach stage ends at the grasp and the barrier ends at its edge', async () => {
  const { tuneScenes } = await import('../../bench/robot-so101.ts');
  const byCube = tuneScenes.find((scene) => scene.name === 'tune_obstacle_by_cube')!;
  // Before: 0/10 (the keep_away's tail held the gripper 4 cm off the cube, and "near" on the
  // table plane switched to carrying while it hovered over the cube, jaws open).
  const report = await runSo101Bench({ policyFile, scenes: [byCube], methods: ['vls'], episodes: 2, seed: 101 });
  const vls = report.layouts.tune_obstacle_by_cube.vls;
  assert.ok(vls.success >= 0.5, `VLS ${vls.success * 2}/2 with the post beside the cube`);
});
