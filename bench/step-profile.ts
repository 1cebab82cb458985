// Where a training step's time goes, per kernel (npx tsx bench/step-profile.ts [wasm|cpu] [batch]).
import * as tf from '@tensorflow/tfjs';
import { compile } from '../src/compile/compile';
import { useNodeBackend } from '../src/compile/backend-node';
import { createOptimizer } from '../src/train/train';
import { toFloats } from '../src/train/data';
import { loadDatasetFromDisk } from '../src/train/data-node';
import { parse } from '../src/graph/parse';
import { readFileSync } from 'node:fs';

const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu';
const batch = Number(process.argv[3] ?? 128);
await useNodeBackend(tf, backend);
const r = parse(JSON.parse(readFileSync('presets/beta-vae.json', 'utf8')));
if (!r.ok) throw new Error('preset');
const program = compile(r.doc, tf);
const data = await loadDatasetFromDisk('fashion-mnist');
const opt = createOptimizer(tf, 'rmsprop', 0.001);
const idx = Array.from({ length: batch }, (_, i) => i);
const step = () => tf.tidy(() => {
  const image = tf.tensor4d(toFloats(data.train, idx), [batch, 28, 28, 1]);
  opt.minimize(() => program.losses({ image }).total, false, program.variables);
});
for (let i = 0; i < 2; i++) step();
const t0 = performance.now();
for (let i = 0; i < 3; i++) step();
await tf.ready();
console.log(`${backend} batch ${batch}: ${((performance.now() - t0) / 3).toFixed(0)} ms/step`);
const prof = await tf.profile(() => { step(); });
const byKernel = new Map<string, number>();
for (const k of prof.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
for (const [k, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(k.padEnd(28), ms.toFixed(1).padStart(8), `${((ms / total) * 100).toFixed(1)}%`);
