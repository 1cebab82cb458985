// The faster wasm kernels (src/compile/wasm-kernels.ts) against tfjs's own wasm kernels on the
// same inputs: products with transposes, sums over leading axes, transposes, and the conv filter
// gradient as patches × dy against the dilated-conv form.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../../src/compile/backend-node';
import { filterGradient } from '../../src/compile/conv-gradient';
import { subPixelTransposedConv } from '../../src/compile/transposed-conv';
import { mergeTransposeAxes, registerWasmKernels, unregisterWasmKernels, wasmKernelsRegistered } from '../../src/compile/wasm-kernels';

const values = (shape: number[], seed: number) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.731 + seed) + 0.25 * Math.cos(i * 0.113 * seed));

/** Runs `f` with tfjs's own wasm kernels and with ours; returns both results' values and shapes. */
function both(f: () => tf.Tensor): { ours: Float32Array; theirs: Float32Array; shapes: [number[], number[]] } {
  unregisterWasmKernels(tf);
  const a = tf.tidy(f);
  registerWasmKernels(tf);
  const b = tf.tidy(f);
  const out = { theirs: a.dataSync() as Float32Array, ours: b.dataSync() as Float32Array, shapes: [a.shape, b.shape] as [number[], number[]] };
  tf.dispose([a, b]);
  return out;
}

function relErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

beforeAll(async () => {
  expect(await useNodeBackend(tf, 'wasm')).toBe('wasm');
  expect(wasmKernelsRegistered(tf)).toBe(true);
});
afterAll(() => registerWasmKernels(tf));

describe('mergeTransposeAxes', () => {
  it('merges axes that stay together and drops size-1 axes', () => {
    expect(mergeTransposeAxes([128, 28, 28, 32], [3, 0, 1, 2])).toEqual({ shape: [128 * 28 * 28, 32], perm: [1, 0] });
    expect(mergeTransposeAxes([2, 3, 4, 5], [2, 3, 0, 1])).toEqual({ shape: [6, 20], perm: [1, 0] });
    expect(mergeTransposeAxes([2, 1, 4, 5], [3, 1, 2, 0])).toEqual({ shape: [2, 4, 5], perm: [2, 1, 0] });
    expect(mergeTransposeAxes([2, 3, 4], [0, 1, 2])).toEqual({ shape: [24], perm: [0] });
  });
});

describe('wasm kernels equal tfjs-backend-wasm\'s own', () => {
  it('BatchMatMul with every transpose, 2-D and batched', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[37, 50], [37, 9], true, false],
      [[50, 37], [9, 37], false, true],
      [[37, 50], [9, 37], true, true],
      [[3, 20, 7], [3, 20, 5], true, false],
      [[3, 7, 20], [3, 5, 20], false, true],
      [[128, 3136], [128, 16], true, false],
    ];
    cases.forEach(([as, bs, ta, tb], i) => {
      const r = both(() => tf.matMul(tf.tensor(values(as, i), as), tf.tensor(values(bs, i + 9), bs), ta, tb));
      expect(r.shapes[1]).toEqual(r.shapes[0]);
      expect(relErr(r.ours, r.theirs), `case ${i}`).toBeLessThan(1e-5);
    });
  });

  it('Sum over leading axes (and any other sum), with and without keepDims', () => {
    const cases: [number[], number | number[], boolean][] = [
      [[32, 28, 28, 16], [0, 1, 2], false],
      [[32, 28, 28, 16], [0, 1], true],
      [[64, 3136], 0, false],
      [[64, 3136], [-2], true],
      [[9, 7, 300], [0, 1], false],
      [[32, 28, 28, 16], [1, 2], false],
      [[32, 28, 28, 16], 3, false],
      [[4, 5], 0, false],
    ];
    cases.forEach(([shape, axis, keep], i) => {
      const r = both(() => tf.sum(tf.tensor(values(shape, i), shape), axis, keep));
      expect(r.shapes[1]).toEqual(r.shapes[0]);
      expect(relErr(r.ours, r.theirs), `case ${i}`).toBeLessThan(1e-5);
    });
  });

  it('Transpose with merged axes', () => {
    const cases: [number[], number[]][] = [
      [[8, 5, 5, 6], [3, 0, 1, 2]],
      [[8, 5, 5, 6], [3, 1, 2, 0]],
      [[8, 5, 5, 6], [1, 2, 0, 3]],
      [[2, 1, 3, 4, 5], [4, 1, 0, 2, 3]],
    ];
    cases.forEach(([shape, perm], i) => {
      const r = both(() => tf.transpose(tf.tensor(values(shape, i), shape), perm));
      expect(r.shapes[1]).toEqual(r.shapes[0]);
      expect(relErr(r.ours, r.theirs), `case ${i}`).toBeLessThan(1e-7);
    });
  });
});

describe('conv filter gradient as patches × dy', () => {
  const cases: { x: [number, number, number, number]; k: [number, number]; cout: number; s: number | [number, number]; pad: 'same' | 'valid' }[] = [
    { x: [5, 28, 28, 1], k: [3, 3], cout: 8, s: 2, pad: 'same' },
    { x: [4, 14, 14, 6], k: [3, 3], cout: 5, s: 2, pad: 'same' },
    { x: [3, 9, 11, 4], k: [3, 3], cout: 3, s: 1, pad: 'same' },
    { x: [3, 10, 10, 2], k: [5, 5], cout: 4, s: 3, pad: 'same' },
    { x: [2, 10, 9, 3], k: [2, 4], cout: 2, s: [1, 2], pad: 'same' },
    { x: [3, 9, 9, 2], k: [3, 3], cout: 3, s: 2, pad: 'valid' },
    { x: [2, 8, 8, 3], k: [1, 1], cout: 4, s: 1, pad: 'valid' },
    { x: [2, 7, 7, 2], k: [4, 4], cout: 2, s: 2, pad: 'same' },
  ];
  it('equals the dilated-conv form on wasm for strides 1–3, both paddings, odd kernels and sizes', () => {
    cases.forEach((c, i) => {
      const [sh, sw] = typeof c.s === 'number' ? [c.s, c.s] : c.s;
      const out = (n: number, k: number, s: number) => (c.pad === 'same' ? Math.ceil(n / s) : Math.ceil((n - k + 1) / s));
      const dyShape = [c.x[0], out(c.x[1], c.k[0], sh), out(c.x[2], c.k[1], sw), c.cout];
      const w: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.cout];
      const r = both(() => filterGradient(tf, tf.tensor4d(values(c.x, i), c.x), tf.tensor4d(values(dyShape, i + 3), dyShape as [number, number, number, number]), w, c.s, c.pad));
      expect(r.shapes[1]).toEqual(w);
      expect(r.shapes[0]).toEqual(w);
      expect(relErr(r.ours, r.theirs), `case ${i}`).toBeLessThan(1e-5);
    });
  });

  it('leaves no tensor and no wasm memory behind', () => {
    const x = tf.tensor4d(values([4, 14, 14, 6], 1), [4, 14, 14, 6]);
    const dy = tf.tensor4d(values([4, 7, 7, 5], 2), [4, 7, 7, 5]);
    tf.dispose(filterGradient(tf, x, dy, [3, 3, 6, 5], 2, 'same'));
    const before = { ...tf.memory(), dataIds: tf.backend().numDataIds() };
    tf.tidy(() => {
      filterGradient(tf, x, dy, [3, 3, 6, 5], 2, 'same');
      tf.sum(x, [0, 1, 2]);
      tf.matMul(tf.reshape(x, [4, -1]), tf.reshape(x, [4, -1]), true, false);
      tf.transpose(x, [3, 0, 1, 2]);
    });
    expect(tf.memory().numTensors).toBe(before.numTensors);
    // The kernels' own temporaries (patches, copies, views) are backend data, not tensors.
    expect(tf.backend().numDataIds()).toBe(before.dataIds);
    tf.dispose([x, dy]);
  });
});

describe('sub-pixel transposed conv, phases interleaved in one pass', () => {
  it('equals the reshape-and-transpose form on wasm, crops included', () => {
    const cases: { x: [number, number, number, number]; k: number; cout: number; s: number; pad: 'same' | 'valid' }[] = [
      { x: [3, 7, 7, 6], k: 3, cout: 4, s: 2, pad: 'same' },
      { x: [2, 5, 6, 3], k: 3, cout: 2, s: 2, pad: 'valid' },
      { x: [2, 4, 4, 3], k: 5, cout: 3, s: 3, pad: 'same' },
      { x: [2, 4, 5, 2], k: 4, cout: 2, s: 2, pad: 'same' },
      { x: [2, 3, 3, 2], k: 3, cout: 2, s: 3, pad: 'valid' },
    ];
    cases.forEach((c, i) => {
      const len = (n: number) => (c.pad === 'same' ? n * c.s : n * c.s + Math.max(c.k - c.s, 0));
      const out: [number, number, number, number] = [c.x[0], len(c.x[1]), len(c.x[2]), c.cout];
      const w: [number, number, number, number] = [c.k, c.k, c.cout, c.x[3]];
      const r = both(() => subPixelTransposedConv(tf, tf.tensor4d(values(c.x, i), c.x), tf.tensor4d(values(w, i + 5), w), out, c.s, c.pad));
      expect(r.shapes[1]).toEqual(out);
      expect(r.shapes[0]).toEqual(out);
      expect(relErr(r.ours, r.theirs), `case ${i}`).toBeLessThan(1e-6);
    });
  });
});
