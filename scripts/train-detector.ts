// Retrains the tabletop keypoint detector on rendered frames and writes the bundled asset
// (engine/robot/vision/assets/so101-keypoints.onnx + .json). Deterministic: the same seed gives
// the same bytes. `node --import tsx scripts/train-detector.ts [--steps N] [--seed S] [--out FILE]`.
import { fileURLToPath } from 'node:url';
import { trainKeypointDetector } from '../engine/robot/vision/train-detector.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] ? args[at + 1] : fallback;
};
const out = option('out', fileURLToPath(new URL('../engine/robot/vision/assets/so101-keypoints.onnx', import.meta.url)));
const started = Date.now();
const trained = trainKeypointDetector(out, {
  steps: Number(option('steps', '4000')),
  seed: Number(option('seed', '11')),
  onProgress: (step, loss) => console.log(`step ${step} loss ${loss.toFixed(4)} (${((Date.now() - started) / 1000).toFixed(0)} s)`),
});
console.log(JSON.stringify({ out, validation: trained.sidecar.validation, planeHeights: Object.fromEntries(trained.sidecar.classes.map((entry) => [entry.name, entry.planeHeight])), seconds: (Date.now() - started) / 1000 }));
