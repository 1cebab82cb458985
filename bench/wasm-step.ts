// One wasm training step of the β-VAE three ways, in interleaved rounds, by CPU time (what a busy
// machine changes least): tfjs's own wasm kernels with the reference step (tape), the faster
// kernels of src/compile/wasm-kernels.ts with the reference step, and with the fast step (the
// default on wasm). `npx tsx bench/wasm-step.ts [batch] [rounds] [--profile]`; --profile adds the
// default step's CPU time per kernel.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../src/compile/backend-node';
import { compile } from '../src/compile/compile';
import { registerWasmKernels, unregisterWasmKernels } from '../src/compile/wasm-kernels';
import { parse } from '../src/graph/parse';
import { toFloats } from '../src/train/data';
import { loadDatasetFromDisk } from '../src/train/data-node';
import { createTrainingStep, type TrainingStep } from '../src/train/step';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const batch = Number(args[0] ?? 128);
const rounds = Number(args[1] ?? 5);
const steps = 3;
await useNodeBackend(tf, 'wasm');
const r = parse(JSON.parse(readFileSync('presets/beta-vae.json', 'utf8')));
if (!r.ok) throw new Error('presets/beta-vae.json does not parse');
const program = compile(r.doc, tf);
const data = await loadDatasetFromDisk('fashion-mnist');
const image = tf.tensor4d(toFloats(data.train, Array.from({ length: batch }, (_, i) => i)), [batch, 28, 28, 1]);
const reference = createTrainingStep(tf, program, 'rmsprop', 0.001, 'reference');
const fast = createTrainingStep(tf, program, 'rmsprop', 0.001, 'fast');
const variants: [string, boolean, TrainingStep][] = [
  ["tfjs's wasm kernels, reference step (tape)", false, reference],
  ['faster wasm kernels, reference step', true, reference],
  ['faster wasm kernels, fast step (the default)', true, fast],
];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const run = ([, kernels, step]: (typeof variants)[number], n: number) => {
  if (kernels) registerWasmKernels(tf);
  else unregisterWasmKernels(tf);
  const t0 = cpuMs();
  for (let i = 0; i < n; i++) step.run(image).dispose();
  return (cpuMs() - t0) / n;
};
variants.forEach((v) => run(v, 2));
const times = variants.map(() => [] as number[]);
for (let k = 0; k < rounds; k++) variants.forEach((v, i) => times[i].push(run(v, steps)));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
console.log(`β-VAE on wasm, batch ${batch}: CPU ms per step, median of ${rounds} interleaved rounds of ${steps} steps (load average ${os.loadavg()[0].toFixed(1)})`);
variants.forEach(([name], i) => console.log(`  ${name.padEnd(48)} ${median(times[i]).toFixed(0).padStart(5)}   (${times[i].map((t) => t.toFixed(0)).join(', ')})`));

if (process.argv.includes('--profile')) {
  registerWasmKernels(tf);
  // tf.profile times kernels by the clock; by CPU time here, as above.
  (tf.backend() as unknown as { time(f: () => void): Promise<{ kernelMs: number }> }).time = async (f) => {
    const t0 = cpuMs();
    f();
    return { kernelMs: cpuMs() - t0 };
  };
  const prof = await tf.profile(() => fast.run(image).dispose());
  const by = new Map<string, { ms: number; n: number }>();
  for (const k of prof.kernels) {
    const e = by.get(k.name) ?? { ms: 0, n: 0 };
    by.set(k.name, { ms: e.ms + (k.kernelTimeMs as number), n: e.n + 1 });
  }
  console.log('the fast step by kernel (CPU ms; a kernel that calls others counts them too):');
  for (const [name, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) console.log(`  ${name.padEnd(30)} ${e.ms.toFixed(1).padStart(7)}  ×${e.n}`);
}
reference.dispose();
fast.dispose();
program.dispose();
