import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  fastConvGradientsRegistered,
  filterGradient,
  registerFastConvGradients,
  unregisterFastConvGradients,
  type ConvPad,
} from '../../src/compile/conv-gradient';
import { useNodeBackend } from '../../src/compile/backend-node';

type Shape4 = [number, number, number, number];

interface Case {
  name: string;
  batch: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  cin: number;
  cout: number;
  strides: number | [number, number];
  pad: ConvPad;
}

const CASES: Case[] = [];
{
  const sizes: Array<[number, number]> = [
    [7, 7],
    [8, 8],
    [9, 6],
  ];
  const kernels: Array<[number, number]> = [
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
    [5, 5],
    [3, 2],
  ];
  let i = 0;
  for (const [h, w] of sizes)
    for (const [kh, kw] of kernels)
      for (const strides of [1, 2, [2, 1]] as Array<number | [number, number]>)
        for (const pad of ['same', 'valid'] as ConvPad[]) {
          if (pad === 'valid' && (kh > h || kw > w)) continue;
          const batch = 1 + (i % 3);
          const cin = 1 + ((i + 1) % 3);
          const cout = 1 + ((i + 2) % 4);
          i++;
          CASES.push({ name: `${h}x${w} k${kh}x${kw} s${String(strides)} ${pad} b${batch} ${cin}->${cout}`, batch, h, w, kh, kw, cin, cout, strides, pad });
        }
}

function outSize(n: number, k: number, s: number, pad: ConvPad): number {
  return pad === 'same' ? Math.ceil(n / s) : Math.ceil((n - k + 1) / s);
}
function stridePair(s: number | [number, number]): [number, number] {
  return typeof s === 'number' ? [s, s] : s;
}

/** Deterministic pseudo-random data (tf.random* would depend on backend/seed handling). */
function data(shape: Shape4, seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let s = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

interface Inputs {
  x: Shape4; // conv input
  w: Shape4; // filter
  y: Shape4; // conv output
}
function shapes(c: Case): Inputs {
  const [sh, sw] = stridePair(c.strides);
  return {
    x: [c.batch, c.h, c.w, c.cin],
    w: [c.kh, c.kw, c.cin, c.cout],
    y: [c.batch, outSize(c.h, c.kh, sh, c.pad), outSize(c.w, c.kw, sw, c.pad), c.cout],
  };
}

interface Grads {
  convW: Float32Array; // d/dw sum(conv2d(x, w) * r)
  convX: Float32Array; // d/dx of the same
  transW: Float32Array; // d/dw sum(conv2dTranspose(y, w, xShape) * r2)
  transY: Float32Array; // d/dy of the same
}

/** Gradients through the registered gradient functions, for whatever is registered now. */
function grads(c: Case, i: number): Grads {
  return tf.tidy(() => {
    const s = shapes(c);
    const x = tf.tensor4d(data(s.x, 10 * i + 1), s.x);
    const w = tf.tensor4d(data(s.w, 10 * i + 2), s.w);
    const r = tf.tensor4d(data(s.y, 10 * i + 3), s.y);
    const y = tf.tensor4d(data(s.y, 10 * i + 4), s.y);
    const r2 = tf.tensor4d(data(s.x, 10 * i + 5), s.x);
    const conv = (xx: tf.Tensor4D, ww: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(xx, ww, c.strides, c.pad), r));
    const trans = (yy: tf.Tensor4D, ww: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2dTranspose(yy, ww, s.x, c.strides, c.pad), r2));
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => conv(a as tf.Tensor4D, b as tf.Tensor4D))([x, w]);
    const [gy, gtw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => trans(a as tf.Tensor4D, b as tf.Tensor4D))([y, w]);
    return {
      convW: gw.dataSync() as Float32Array,
      convX: gx.dataSync() as Float32Array,
      transW: gtw.dataSync() as Float32Array,
      transY: gy.dataSync() as Float32Array,
    };
  });
}

/** Max |a - b| relative to max(1, max |b|). */
function relErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

const TOL = 1e-4;
const stock: Grads[] = [];

beforeAll(async () => {
  // Reference: tfjs's own gradients on the stock cpu backend, before registering.
  await useNodeBackend(tf, 'cpu-stock');
  expect(fastConvGradientsRegistered(tf)).toBe(false);
  CASES.forEach((c, i) => stock.push(grads(c, i)));
});

describe('filterGradient', () => {
  it('equals tfjs Conv2DBackpropFilter on stock cpu', async () => {
    await useNodeBackend(tf, 'cpu-stock');
    CASES.forEach((c, i) => {
      const err = tf.tidy(() => {
        const s = shapes(c);
        const x = tf.tensor4d(data(s.x, 10 * i + 6), s.x);
        const dy = tf.tensor4d(data(s.y, 10 * i + 7), s.y);
        const ref = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
          strides: c.strides,
          pad: c.pad,
          dataFormat: 'NHWC',
          filterShape: s.w,
        }) as tf.Tensor;
        const got = filterGradient(tf, x, dy, s.w, c.strides, c.pad);
        expect(got.shape, c.name).toEqual(s.w);
        return relErr(got.dataSync() as Float32Array, ref.dataSync() as Float32Array);
      });
      expect(err, c.name).toBeLessThan(TOL);
    });
  });

  it('rejects a dy that does not fit the conv', () => {
    tf.tidy(() => {
      const x = tf.zeros([1, 8, 8, 2]) as tf.Tensor4D;
      const dy = tf.zeros([1, 3, 4, 3]) as tf.Tensor4D;
      expect(() => filterGradient(tf, x, dy, [3, 3, 2, 3], 2, 'same')).toThrow(/output size 3/);
    });
  });
});

describe('registered gradients', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`match tfjs's own for Conv2D and Conv2DTranspose on ${backend}`, async () => {
      expect(await useNodeBackend(tf, backend)).toBe(backend);
      registerFastConvGradients(tf); // idempotent
      expect(fastConvGradientsRegistered(tf)).toBe(true);
      CASES.forEach((c, i) => {
        const g = grads(c, i);
        const ref = stock[i];
        expect(relErr(g.convW, ref.convW), `${c.name} conv2d dw`).toBeLessThan(TOL);
        expect(relErr(g.convX, ref.convX), `${c.name} conv2d dx`).toBeLessThan(TOL);
        expect(relErr(g.transW, ref.transW), `${c.name} conv2dTranspose dw`).toBeLessThan(TOL);
        expect(relErr(g.transY, ref.transY), `${c.name} conv2dTranspose dy`).toBeLessThan(TOL);
      });
    });

    it(`does not leak tensors on ${backend}`, async () => {
      await useNodeBackend(tf, backend);
      const c = CASES.find((k) => k.pad === 'same' && k.strides === 2 && k.kh === 3)!;
      grads(c, 0); // warm up anything cached on first use
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const s = shapes(c);
        const x = tf.ones(s.x) as tf.Tensor4D;
        const dy = tf.ones(s.y) as tf.Tensor4D;
        filterGradient(tf, x, dy, s.w, c.strides, c.pad);
      });
      grads(c, 0);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('restores tfjs gradients for cpu-stock', async () => {
    await useNodeBackend(tf, 'cpu-stock');
    expect(fastConvGradientsRegistered(tf)).toBe(false);
    unregisterFastConvGradients(tf); // idempotent
    expect(fastConvGradientsRegistered(tf)).toBe(false);
  });
});

describe('wasm training', () => {
  it('a tiny conv net (conv s2 + transposed conv) learns with rmsprop', async () => {
    expect(await useNodeBackend(tf, 'wasm')).toBe('wasm');
    const x = tf.tensor4d(data([8, 12, 12, 1], 99).map((v) => (v + 1) / 2), [8, 12, 12, 1]);
    const w1 = tf.variable(tf.tensor4d(data([3, 3, 1, 8], 5).map((v) => v * 0.5), [3, 3, 1, 8]));
    const b1 = tf.variable(tf.zeros([8]));
    const w2 = tf.variable(tf.tensor4d(data([3, 3, 1, 8], 6).map((v) => v * 0.5), [3, 3, 1, 8]));
    const before = tf.memory().numTensors;
    const opt = tf.train.rmsprop(0.01);
    const losses: number[] = [];
    for (let step = 0; step < 8; step++) {
      const loss = opt.minimize(
        () => {
          const h = tf.relu(tf.add(tf.conv2d(x, w1 as tf.Tensor4D, 2, 'same'), b1)) as tf.Tensor4D; // [8,6,6,8]
          const out = tf.sigmoid(tf.conv2dTranspose(h, w2 as tf.Tensor4D, [8, 12, 12, 1], 2, 'same'));
          return tf.mean(tf.square(tf.sub(out, x))) as tf.Scalar;
        },
        true,
        [w1, b1, w2],
      );
      losses.push(loss!.dataSync()[0]);
      loss!.dispose();
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.9);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before); // nothing left behind by the training steps
    tf.dispose([x, w1, b1, w2]);
  });
});
