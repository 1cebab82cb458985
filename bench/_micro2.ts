import * as tf from '@tensorflow/tfjs';
import { useNodeWebGpu } from '../src/compile/webgpu-node';
await useNodeWebGpu(tf);
const a = tf.randomNormal([64, 64]);
for (const bs of [15, 100, 15, 100, 1000]) {
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', bs);
  for (let i = 0; i < 50; i++) tf.relu(a).dispose();
  await a.data();
  const n = 4000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) tf.relu(a).dispose();
  const t1 = performance.now();
  await a.data();
  console.log(bs, ((t1 - t0) / n * 1000).toFixed(1), 'µs per op');
}
