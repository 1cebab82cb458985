import * as tf from '@tensorflow/tfjs';
import { useNodeWebGpu } from '../src/compile/webgpu-node';
import { fusedOps } from '../src/compile/fused-ops';
await useNodeWebGpu(tf);
const ops = fusedOps(tf);
const a = tf.randomNormal([64, 64]);
const b = tf.randomNormal([64]);
const time = async (label: string, f: () => tf.Tensor, n = 2000) => {
  for (let i = 0; i < 50; i++) f().dispose();
  await a.data();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) { const t = f(); t.dispose(); }
  const t1 = performance.now();
  await a.data();
  console.log(label.padEnd(30), ((t1 - t0) / n * 1000).toFixed(1), 'µs per op (CPU side)');
};
await time('tf.add', () => tf.add(a, b));
await time('tf.relu', () => tf.relu(a));
await time('fused biasActivation', () => ops.biasActivation(a, b, 'relu'));
await time('tf.matMul', () => tf.matMul(a, a));
await time('tf.add in tidy', () => tf.tidy(() => tf.add(a, b)));
