// Where the fast step's CPU-side time goes on Node's webgpu (run with node --cpu-prof via tsx):
// npx tsx bench/gpu-step-profile.ts [batch] [steps]
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { compile } from '../src/compile/compile';
import { registerFastConvGradients } from '../src/compile/conv-gradient';
import { useNodeWebGpu } from '../src/compile/webgpu-node';
import { cacheBindGroups } from '../src/gpu/bind-group-cache';
import { parse } from '../src/graph/parse';
import { createTrainingStep } from '../src/train/step';

const batch = Number(process.argv[2] ?? 4);
const steps = Number(process.argv[3] ?? 50);
await useNodeWebGpu(tf);
const stats = cacheBindGroups(tf);
registerFastConvGradients(tf);
const r = parse(JSON.parse(readFileSync('presets/beta-vae.json', 'utf8')));
if (!r.ok) throw new Error('preset');
const program = compile(r.doc, tf, { filterGradient: 'split' });
const step = createTrainingStep(tf, program, 'rmsprop', 0.001, 'fast');
const image = tf.randomUniform([batch, 28, 28, 1]) as tf.Tensor4D;
for (let i = 0; i < 5; i++) await step.run(image).data();
let cpu = 0;
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  const v = step.run(image);
  cpu += performance.now() - t0;
  if (i % 4 === 3) await v.data();
  v.dispose();
}
console.log(`batch ${batch}: CPU-side ${(cpu / steps).toFixed(2)} ms a step; bind groups reused ${stats?.hits ?? 'off'}, made ${stats?.misses ?? 'off'}`);
