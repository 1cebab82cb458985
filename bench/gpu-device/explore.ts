// What to speed up next on a GPU machine (bundled by prepare.sh beside the bench, run by run.sh
// with EXPLORE=1): the fast step's samples/s for several submit batch sizes, each conv and loss op
// of the β-VAE timed alone at batch 1024, and a CPU profile of 100 steps at batch 128.
//   node gpu-explore.mjs --preset FILE --out DIR
import { Session } from 'node:inspector/promises';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compile } from '../../src/compile/compile';
import { registerFastConvGradients } from '../../src/compile/conv-gradient';
import { useNodeWebGpu, describeNodeAdapter } from '../../src/compile/webgpu-node';
import { fusedOps } from '../../src/compile/fused-ops';
import { filterGradient } from '../../src/compile/conv-gradient';
import { convBiasActivation, convWeightGrad } from '../../src/gpu/conv-kernels';
import { parse } from '../../src/graph/parse';
import { createTrainingStep } from '../../src/train/step';

const arg = (name: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) throw new Error(`missing --${name}`);
  return process.argv[i + 1];
};
const out = arg('out');
mkdirSync(out, { recursive: true });
const r = parse(JSON.parse(readFileSync(arg('preset'), 'utf8')));
if (!r.ok) throw new Error('preset');
const doc = r.doc;
// --small: a smoke run on a software adapter (batches 4 and 8).
const small = process.argv.includes('--small');
const [B1, B2] = small ? [4, 8] : [128, 1024];
const adapter = await useNodeWebGpu(tf);
registerFastConvGradients(tf);
console.log(`explore on ${describeNodeAdapter(adapter)}`);
const log: string[] = [];
const say = (s: string) => {
  console.log(s);
  log.push(s);
};

/** Samples/s of the fast step over 40 steps (losses read every 4). */
async function rate(batch: number, options: Parameters<typeof compile>[2] = {}): Promise<number> {
  const program = compile(doc, tf, options);
  const step = createTrainingStep(tf, program, 'rmsprop', 0.001, 'fast');
  const image = tf.randomUniform([batch, 28, 28, 1]) as tf.Tensor4D;
  const run = async (n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const v = step.run(image);
      if (i % 4 === 3 || i === n - 1) await v.data();
      v.dispose();
    }
    return (batch * n) / ((performance.now() - t0) / 1000);
  };
  await run(small ? 2 : 8);
  const n = small ? 4 : 40;
  const rates = [await run(n), await run(n), await run(n)].sort((a, b) => a - b);
  image.dispose();
  step.dispose();
  program.dispose();
  return rates[1];
}

// --rates-only: just samples/s (run.sh runs it again with WIRELAB_BIND_GROUP_CACHE=0).
if (process.argv.includes('--rates-only')) {
  console.log(`bind group cache ${process.env.WIRELAB_BIND_GROUP_CACHE === '0' ? 'off' : 'on'}: batch ${B1} ${(await rate(B1)).toFixed(0)} samples/s, batch ${B2} ${(await rate(B2)).toFixed(0)} samples/s`);
  process.exit(0);
}
const profileOnly = process.argv.includes('--profile-only');
for (const size of profileOnly ? [] : small ? [15, 120] : [15, 40, 120, 400]) {
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', size);
  say(`submit every ${size} dispatches: batch ${B1} ${(await rate(B1)).toFixed(0)} samples/s, batch ${B2} ${(await rate(B2)).toFixed(0)} samples/s`);
}
tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 40);
if (!profileOnly) say(`dilated filter gradient: batch ${B1} ${(await rate(B1, { filterGradient: 'dilated' })).toFixed(0)}, batch ${B2} ${(await rate(B2, { filterGradient: 'dilated' })).toFixed(0)} samples/s`);

// Each op alone, ms (GPU-bound at this size: 10 back to back, then a read).
async function time(label: string, f: () => tf.Tensor | tf.Tensor[]) {
  const once = () => tf.tidy(() => {
    const y = f();
    return Array.isArray(y) ? y[0] : y;
  });
  for (let i = 0; i < 3; i++) await once().data();
  const t0 = performance.now();
  let last: tf.Tensor | null = null;
  for (let i = 0; i < 10; i++) {
    last?.dispose();
    last = once();
  }
  await last!.data();
  last!.dispose();
  say(`${label.padEnd(58)} ${((performance.now() - t0) / 10).toFixed(2)} ms`);
}
const B = B2;
const ops = fusedOps(tf);
const convs: { name: string; x: [number, number, number, number]; k: number; cout: number; s: number }[] = [
  { name: 'conv1 28→14 1→32', x: [B, 28, 28, 1], k: 3, cout: 32, s: 2 },
  { name: 'conv2 14→7 32→64', x: [B, 14, 14, 32], k: 3, cout: 64, s: 2 },
  { name: 'convT1 7→14 64→64 (as conv 14→7)', x: [B, 14, 14, 64], k: 3, cout: 64, s: 2 },
  { name: 'convT2 14→28 64→32 (as conv 28→14 32→64)', x: [B, 28, 28, 32], k: 3, cout: 64, s: 2 },
  { name: 'convT3 28→28 32→1 (as conv 28→28 1→32)', x: [B, 28, 28, 1], k: 3, cout: 32, s: 1 },
];
for (const c of profileOnly ? [] : convs) {
  const x = tf.randomNormal(c.x) as tf.Tensor4D;
  const w = tf.randomNormal([c.k, c.k, c.x[3], c.cout]) as tf.Tensor4D;
  const y = tf.conv2d(x, w, c.s, 'same');
  const shape = [c.k, c.k, c.x[3], c.cout] as [number, number, number, number];
  await time(`${c.name}: forward conv2d`, () => tf.conv2d(x, w, c.s, 'same'));
  await time(`${c.name}: input gradient (conv2dTranspose)`, () => tf.conv2dTranspose(y, w, x.shape, c.s, 'same'));
  await time(`${c.name}: our conv kernel, forward`, () => convBiasActivation(tf, x, w, null, c.s, 'same', 'linear', false, [y.shape[1], y.shape[2]]));
  if (c.x[3] >= 16) await time(`${c.name}: our conv kernel, input gradient`, () => convBiasActivation(tf, y, w, null, c.s, 'same', 'linear', true, [c.x[1], c.x[2]]));
  await time(`${c.name}: split-sum weight gradient`, () => convWeightGrad(tf, x, y, shape, c.s, 'same', true));
  await time(`${c.name}: dilated filter gradient`, () => filterGradient(tf, x, y, shape, c.s, 'same'));
  await time(`${c.name}: column sum of dy`, () => ops.columnSum(y));
  tf.dispose([x, w, y]);
}
if (!profileOnly) {
const img = tf.randomUniform([B, 28, 28, 1]);
const p = tf.randomUniform([B, 28, 28, 1]);
await time('BCE loss (one reduction)', () => ops.bceLoss(img, p, 784, 1e-7));
await time('BCE gradient', () => ops.bceGrad(img, p, tf.scalar(1), 784, 1e-7));
tf.dispose([img, p]);
}

// CPU profile of 100 steps at batch 128 (the JavaScript time per dispatch): --profile-only.
if (profileOnly) {
  const program = compile(doc, tf, {});
  const step = createTrainingStep(tf, program, 'rmsprop', 0.001, 'fast');
  const image = tf.randomUniform([B1, 28, 28, 1]) as tf.Tensor4D;
  for (let i = 0; i < 10; i++) await step.run(image).data();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
  let cpu = 0;
  const t0 = performance.now();
  for (let i = 0; i < (small ? 8 : 100); i++) {
    const s0 = performance.now();
    const v = step.run(image);
    cpu += performance.now() - s0;
    if (i % 4 === 3) await v.data();
    v.dispose();
  }
  const wall = performance.now() - t0;
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(path.join(out, 'step-128.cpuprofile'), JSON.stringify(profile));
  say(`profiled 100 steps at batch ${B1}: ${(wall / 100).toFixed(2)} ms a step, ${(cpu / 100).toFixed(2)} ms of it dispatching`);
}
writeFileSync(path.join(out, profileOnly ? 'explore-profile.txt' : 'explore.txt'), log.join('\n') + '\n');
process.exit(0);
