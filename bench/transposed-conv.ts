// tfjs's Conv2DBackpropInput against transposedConv on the β-VAE's shapes (npx tsx bench/transposed-conv.ts [wasm|cpu]).
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../src/compile/backend-node';
import { transposedConv } from '../src/compile/transposed-conv';

await useNodeBackend(tf, (process.argv[2] ?? 'wasm') as 'wasm');
const cases: [string, [number, number, number, number], [number, number, number, number], number][] = [
  ['deconv1 7→14 64→64', [128, 7, 7, 64], [3, 3, 64, 64], 2],
  ['deconv2 14→28 64→32', [128, 14, 14, 64], [3, 3, 32, 64], 2],
  ['deconv3 28→28 32→1', [128, 28, 28, 32], [3, 3, 1, 32], 1],
  ['conv2 dx 7→14 64→32', [128, 7, 7, 64], [3, 3, 32, 64], 2],
];
const time = (f: () => tf.Tensor) => {
  f().dispose();
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) f().dispose();
  return (performance.now() - t0) / 5;
};
for (const [name, xs, ws, s] of cases) {
  const x = tf.randomNormal(xs) as tf.Tensor4D;
  const w = tf.randomNormal(ws) as tf.Tensor4D;
  const out: [number, number, number, number] = [xs[0], xs[1] * s, xs[2] * s, ws[2]];
  const a = time(() => tf.conv2dTranspose(x, w, out, s, 'same'));
  const b = time(() => transposedConv(tf, x, w, out, s, 'same'));
  console.log(`${name.padEnd(24)} tfjs ${a.toFixed(1).padStart(7)} ms   conv2d-based ${b.toFixed(1).padStart(7)} ms`);
}
