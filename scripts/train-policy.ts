// Retrains the frozen reach policy (flow matching by default, or --kind ddpm) on expert demos of
// the training layout and writes the ONNX file the samplers load. `npm run train:policy`.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exportOnnx, importOnnx, trainPolicy } from '../engine/robot/policy/train.ts';
import { task } from '../engine/robot/sim/reach.ts';
import type { PolicyKind } from '../engine/robot/policy/scheme.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] ? args[at + 1] : fallback;
};
const kind = option('kind', 'flow') as PolicyKind;
if (kind !== 'flow' && kind !== 'ddpm') throw new Error(`--kind must be flow or ddpm, got ${kind}`);
const steps = Number(option('steps', '10000'));
const out = option('out', fileURLToPath(new URL(`../engine/robot/policy/assets/reach-${kind}.onnx`, import.meta.url)));
const init = option('init', '');
const started = Date.now();
const trained = trainPolicy({
  kind,
  steps,
  hidden: Number(option('hidden', '96')),
  batch: Number(option('batch', '64')),
  seed: Number(option('seed', '12')),
  learningRate: Number(option('lr', '0.002')),
  ...(init ? { initial: importOnnx(readFileSync(init)) } : {}),
  checkpointEvery: Number(option('checkpoint', '1000')),
  onCheckpoint: (network, step) => {
    writeFileSync(out, exportOnnx(network, { kind, chunk: task.chunk, observation: 2, steps: 10, actionScale: task.actionScale }));
    console.log(`checkpoint at step ${step} written to ${out}`);
  },
  onProgress: (step, loss) => console.log(`step ${step}/${steps} loss ${loss.toFixed(4)} (${((Date.now() - started) / 1000).toFixed(0)} s)`),
});
const bytes = exportOnnx(trained.network, { kind, chunk: task.chunk, observation: 2, steps: 10, actionScale: task.actionScale });
writeFileSync(out, bytes);
console.log(JSON.stringify({ out, kind, bytes: bytes.length, samples: trained.samples, left_share: trained.leftShare, first_loss: trained.losses[0], last_loss: trained.losses.at(-1), seconds: (Date.now() - started) / 1000 }));
