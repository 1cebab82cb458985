import { beforeAll, describe, expect, it } from 'vitest';
import { fastConv2dTranspose, subPixelTransposedConv, transposedConv } from '../../src/compile/transposed-conv';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../../src/compile/backend-node';
import { deconvLength } from '../../nodes/conv2d-transpose';

// On cpu: tfjs's wasm conv2d is itself wrong for 'same' padding with kernel < stride when the
// padding comes out as zero (e.g. 9×9, k 2, s 3), which would spoil the reference.
beforeAll(() => useNodeBackend(tf, 'cpu'));

describe('transposedConv and fastConv2dTranspose equal tf.conv2dTranspose', () => {
  it('across sizes, kernels 1–5, strides 1–3 and both paddings, values and gradients', () => {
    let cases = 0;
    for (const n of [3, 4, 7])
      for (const k of [1, 2, 3, 4, 5])
        for (const s of [1, 2, 3])
          for (const pad of ['same', 'valid'] as const) {
            const oh = deconvLength(n, k, s, pad);
            const ow = deconvLength(n + 1, k, s, pad);
            tf.tidy(() => {
              const x = tf.randomNormal([2, n, n + 1, 3], 0, 1, 'float32', cases) as tf.Tensor4D;
              const w = tf.randomNormal([k, k, 4, 3], 0, 1, 'float32', cases + 1) as tf.Tensor4D;
              const out: [number, number, number, number] = [2, oh, ow, 4];
              const ref = tf.conv2dTranspose(x, w, out, s, pad);
              const ours = transposedConv(tf, x, w, out, s, pad);
              const where = `n=${n} k=${k} s=${s} ${pad}`;
              expect(ours.shape, where).toEqual(ref.shape);
              expect(tf.max(tf.abs(tf.sub(ours, ref))).dataSync()[0], where).toBeLessThan(1e-4);
              const phased = subPixelTransposedConv(tf, x, w, out, s, pad);
              expect(phased.shape, where).toEqual(ref.shape);
              expect(tf.max(tf.abs(tf.sub(phased, ref))).dataSync()[0], `sub-pixel ${where}`).toBeLessThan(1e-4);
              const r = tf.randomNormal(out, 0, 1, 'float32', 9);
              const [gx1, gw1] = tf.grads((a, b) => tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, out, s, pad), r)))([x, w]);
              const [gx2, gw2] = tf.grads((a, b) => tf.sum(tf.mul(transposedConv(tf, a as tf.Tensor4D, b as tf.Tensor4D, out, s, pad), r)))([x, w]);
              expect(tf.max(tf.abs(tf.sub(gx1, gx2))).dataSync()[0], where).toBeLessThan(1e-3);
              expect(tf.max(tf.abs(tf.sub(gw1, gw2))).dataSync()[0], where).toBeLessThan(1e-3);
              // The training form: the same value, with tf.conv2dTranspose's own gradients.
              expect(tf.max(tf.abs(tf.sub(fastConv2dTranspose(tf, x, w, out, s, pad), ref))).dataSync()[0], where).toBeLessThan(1e-4);
              const [gx3, gw3] = tf.grads((a, b) => tf.sum(tf.mul(fastConv2dTranspose(tf, a as tf.Tensor4D, b as tf.Tensor4D, out, s, pad), r)))([x, w]);
              expect(tf.max(tf.abs(tf.sub(gx1, gx3))).dataSync()[0], where).toBeLessThan(1e-3);
              expect(tf.max(tf.abs(tf.sub(gw1, gw3))).dataSync()[0], where).toBeLessThan(1e-3);
            });
            cases++;
          }
    expect(cases).toBe(90);
  });
});
