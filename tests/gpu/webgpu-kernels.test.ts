// The conv weight-gradient kernel (WGSL, split-K) on WebGPU in Node (Dawn on SwiftShader, a CPU
// Vulkan driver): equal to the dilated-conv filter gradient and tfjs's column sum, for the β-VAE's
// convs and odd shapes (valid padding, 5×5, stride 3, one channel), with and without splits.
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { filterGradient } from '../../src/compile/conv-gradient';
import { useNodeWebGpu } from '../../src/compile/webgpu-node';
import { convBiasActivation, convWeightGrad } from '../../src/gpu/conv-kernels';
import { fusedOps } from '../../src/compile/fused-ops';
import { uploadNow } from '../../src/gpu/upload';
import { tf } from '../helpers';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
let noAdapter: string | null = null;

beforeAll(async () => {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
  try {
    await useNodeWebGpu(tf);
  } catch (e) {
    noAdapter = (e as Error).message;
  }
}, 900_000);

type Four = [number, number, number, number];
const CASES: { name: string; x: Four; k: number; cout: number; s: number; pad: 'same' | 'valid' }[] = [
  { name: 'conv1 28→14, 1→32, stride 2 (one tile row)', x: [3, 28, 28, 1], k: 3, cout: 32, s: 2, pad: 'same' },
  { name: 'conv2 14→7, 32→64, stride 2', x: [3, 14, 14, 32], k: 3, cout: 64, s: 2, pad: 'same' },
  { name: 'convT2 as a conv 28→14, 32→64, batch 9 (split sum)', x: [9, 28, 28, 32], k: 3, cout: 64, s: 2, pad: 'same' },
  { name: 'convT3 as a conv 28→28, 1→32, stride 1', x: [2, 28, 28, 1], k: 3, cout: 32, s: 1, pad: 'same' },
  { name: 'valid 5×5, stride 3, 3→5 channels, odd size', x: [4, 17, 13, 3], k: 5, cout: 5, s: 3, pad: 'valid' },
  { name: 'same 4×4 (uneven padding), stride 2, 70→1', x: [2, 9, 11, 70], k: 4, cout: 1, s: 2, pad: 'same' },
];

const relative = (a: Float32Array, b: Float32Array) => {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / n);
};

describe('conv weight gradient kernel (WebGPU in Node, SwiftShader)', () => {
  for (const c of CASES) {
    it(`${c.name}: filter and bias gradients equal the reference within 1e-5`, async (ctx) => {
      if (noAdapter) {
        console.warn(`skipped: ${noAdapter}`);
        return ctx.skip();
      }
      const [b, h, w, cin] = c.x;
      const oh = c.pad === 'same' ? Math.ceil(h / c.s) : Math.floor((h - c.k) / c.s) + 1;
      const ow = c.pad === 'same' ? Math.ceil(w / c.s) : Math.floor((w - c.k) / c.s) + 1;
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
      const dy = tf.randomNormal([b, oh, ow, c.cout], 0, 1, 'float32', 2) as tf.Tensor4D;
      const shape: Four = [c.k, c.k, cin, c.cout];
      const [dk, db] = convWeightGrad(tf, x, dy, shape, c.s, c.pad, true);
      const [onlyK] = convWeightGrad(tf, x, dy, shape, c.s, c.pad, false);
      const refK = filterGradient(tf, x, dy, shape, c.s, c.pad);
      const refB = tf.sum(dy, [0, 1, 2]);
      expect(dk.shape).toEqual(shape);
      expect(db.shape).toEqual([c.cout]);
      expect(relative((await dk.data()) as Float32Array, (await refK.data()) as Float32Array)).toBeLessThan(1e-5);
      expect(relative((await onlyK.data()) as Float32Array, (await refK.data()) as Float32Array)).toBeLessThan(1e-5);
      expect(relative((await db.data()) as Float32Array, (await refB.data()) as Float32Array)).toBeLessThan(1e-5);
      tf.dispose([x, dy, dk, db, onlyK, refK, refB]);
    }, 300_000);
  }
});

describe('long reductions in two passes (WebGPU in Node, SwiftShader)', () => {
  it('column sums of tall inputs (one column, and three) equal tfjs sum', async (ctx) => {
    if (noAdapter) return ctx.skip();
    const ops = fusedOps(tf);
    for (const shape of [[3, 200, 200, 1], [70_001, 3], [100, 3]] as number[][]) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
      const mine = ops.columnSum(x);
      const ref = tf.sum(tf.reshape(x, [-1, shape.at(-1)!]), 0);
      expect(relative((await mine.data()) as Float32Array, (await ref.data()) as Float32Array), `shape ${shape}`).toBeLessThan(1e-5);
      tf.dispose([x, mine, ref]);
    }
  }, 300_000);

  it('BCE and KL losses over 100,000 terms equal tfjs ops', async (ctx) => {
    if (noAdapter) return ctx.skip();
    const ops = fusedOps(tf);
    const x = tf.randomUniform([128, 28, 28, 1], 0, 1, 'float32', 4);
    const p = tf.randomUniform([128, 28, 28, 1], 0, 1, 'float32', 5);
    const bce = ops.bceLoss(x, p, 2, 1e-7);
    const q = tf.clipByValue(p, 1e-7, 1 - 1e-7);
    const ref = tf.mul(tf.sum(tf.neg(tf.add(tf.mul(x, tf.log(q)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, q)))))), 2);
    expect(Math.abs((await bce.data())[0] / (await ref.data())[0] - 1)).toBeLessThan(1e-5);
    const kl = ops.klLoss(x, p, -0.5);
    const klRef = tf.mul(tf.sum(tf.sub(tf.sub(tf.add(1, p), tf.square(x)), tf.exp(p))), -0.5);
    expect(Math.abs((await kl.data())[0] / (await klRef.data())[0] - 1)).toBeLessThan(1e-5);
    tf.dispose([x, p, bce, q, ref, kl, klRef]);
  }, 300_000);
});

describe('conv and transposed conv with bias and activation (WebGPU in Node, SwiftShader)', () => {
  const CONVS: { name: string; x: Four; k: number; n: number; s: number; pad: 'same' | 'valid'; act: 'relu' | 'sigmoid' | 'linear' | 'tanh' }[] = [
    { name: 'conv1 28→14, 1→32, relu', x: [3, 28, 28, 1], k: 3, n: 32, s: 2, pad: 'same', act: 'relu' },
    { name: 'conv2 14→7, 32→64, relu', x: [2, 14, 14, 32], k: 3, n: 64, s: 2, pad: 'same', act: 'relu' },
    { name: 'valid 5×5 stride 3, 3→20, tanh', x: [2, 17, 13, 3], k: 5, n: 20, s: 3, pad: 'valid', act: 'tanh' },
    { name: 'same 4×4 stride 2 (uneven padding), 5→16, linear', x: [2, 9, 11, 5], k: 4, n: 16, s: 2, pad: 'same', act: 'linear' },
    { name: 'same 3×3 stride 1 (transposed without phases), 6→16, sigmoid', x: [2, 7, 9, 6], k: 3, n: 16, s: 1, pad: 'same', act: 'sigmoid' },
  ];
  for (const c of CONVS) {
    it(`${c.name}: conv and its transposed conv equal tfjs's`, async (ctx) => {
      if (noAdapter) return ctx.skip();
      const [b, h, w, cin] = c.x;
      const oh = c.pad === 'same' ? Math.ceil(h / c.s) : Math.floor((h - c.k) / c.s) + 1;
      const ow = c.pad === 'same' ? Math.ceil(w / c.s) : Math.floor((w - c.k) / c.s) + 1;
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 6) as tf.Tensor4D;
      const filter = tf.randomNormal([c.k, c.k, cin, c.n], 0, 1, 'float32', 7) as tf.Tensor4D;
      const bias = tf.randomNormal([c.n], 0, 1, 'float32', 8);
      const act = (t: tf.Tensor) => (c.act === 'relu' ? tf.relu(t) : c.act === 'sigmoid' ? tf.sigmoid(t) : c.act === 'tanh' ? tf.tanh(t) : t);
      const mine = convBiasActivation(tf, x, filter, bias, c.s, c.pad, c.act, false, [oh, ow]);
      const ref = act(tf.add(tf.conv2d(x, filter, c.s, c.pad), bias));
      expect(mine.shape).toEqual(ref.shape);
      expect(relative((await mine.data()) as Float32Array, (await ref.data()) as Float32Array)).toBeLessThan(1e-5);
      // The transposed conv back to x's shape: the filter [k, k, cin, n] read as [k, k, out = cin, in = n].
      const dy = tf.randomNormal([b, oh, ow, c.n], 0, 1, 'float32', 9) as tf.Tensor4D;
      const back = convBiasActivation(tf, dy, filter, null, c.s, c.pad, 'linear', true, [h, w]);
      const backRef = tf.conv2dTranspose(dy, filter, [b, h, w, cin], c.s, c.pad);
      expect(back.shape).toEqual(backRef.shape);
      expect(relative((await back.data()) as Float32Array, (await backRef.data()) as Float32Array)).toBeLessThan(1e-5);
      // And as a layer: a transposed conv with its bias and activation.
      const inBias = tf.randomNormal([cin], 0, 1, 'float32', 10);
      const layer = convBiasActivation(tf, dy, filter, inBias, c.s, c.pad, c.act, true, [h, w]);
      const layerRef = act(tf.add(backRef, inBias));
      expect(relative((await layer.data()) as Float32Array, (await layerRef.data()) as Float32Array)).toBeLessThan(1e-5);
      tf.dispose([x, filter, bias, mine, ref, dy, back, backRef, inBias, layer, layerRef]);
    }, 300_000);
  }
});

describe('uploads by writeBuffer (WebGPU in Node, SwiftShader)', () => {
  it('a batch uploaded while the last one is still in use keeps both right (floats and int32 labels)', async (ctx) => {
    if (noAdapter) return ctx.skip();
    const a = Float32Array.from({ length: 4096 }, (_, i) => i);
    const b = Float32Array.from({ length: 4096 }, (_, i) => -i);
    const x1 = uploadNow(tf, tf.tensor2d(a, [64, 64]));
    const y1 = tf.mul(x1, 2);
    x1.dispose();
    // x1's buffer goes back to the pool only after a submit; make one, so x2 may take it.
    await y1.data();
    const x2 = uploadNow(tf, tf.tensor2d(b, [64, 64]));
    const y2 = tf.mul(x2, 2);
    const labels = uploadNow(tf, tf.tensor1d(Int32Array.of(3, 1, 4, 1, 5), 'int32'));
    expect(Array.from((await y1.data()) as Float32Array)).toEqual(Array.from(a, (v) => 2 * v));
    expect(Array.from((await y2.data()) as Float32Array)).toEqual(Array.from(b, (v) => 2 * v));
    expect(Array.from(await labels.data())).toEqual([3, 1, 4, 1, 5]);
    tf.dispose([y1, x2, y2, labels]);
  }, 300_000);
});
