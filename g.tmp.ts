import * as tf from '@tensorflow/tfjs';
import { useNodeWebGpu, describeNodeAdapter } from './src/compile/webgpu-node';
import { FastOptimizer } from './src/train/fast-optimizer';
const t0 = performance.now();
const a = await useNodeWebGpu(tf);
console.log(describeNodeAdapter(a), tf.getBackend(), (performance.now() - t0).toFixed(0), 'ms');
console.log(await tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).data());
for (const name of ['rmsprop', 'adam', 'sgd'] as const) {
  const w = tf.variable(tf.tensor1d([1, 2, 3, -1, 0.5])); const g = tf.tensor1d([0.1, -0.2, 0.3, 1e-6, 0]);
  const f = new FastOptimizer(tf, name, 0.01, [w]);
  f.applyGradients([g]); f.applyGradients([g]);
  console.log(name, f.isFused, await w.data());
}
await tf.setBackend('cpu');
for (const name of ['rmsprop', 'adam', 'sgd'] as const) {
  const w = tf.variable(tf.tensor1d([1, 2, 3, -1, 0.5])); const g = tf.tensor1d([0.1, -0.2, 0.3, 1e-6, 0]);
  const f = new FastOptimizer(tf, name, 0.01, [w]);
  f.applyGradients([g]); f.applyGradients([g]);
  console.log(name, f.isFused, await w.data());
}
