/**
 * Faster forms of three tfjs-backend-wasm kernels that a training step leans on, and two kernels
 * of our own (a conv's filter gradient as patches × dy; a sub-pixel transposed conv's interleave),
 * each the same maths through the backend's own fast kernels (float sums in another order):
 *
 * - BatchMatMul with transposeA or transposeB: wasm's kernel runs XNNPACK only for plain
 *   products and a naive loop otherwise (10–20× slower: 0.6 against 13 GMAC/s for the β-VAE's
 *   dense gradients). The operand is transposed first, then multiplied plainly.
 * - Sum over the leading axes (a bias's gradient, [B, H, W, C] → [C]): wasm transposes the whole
 *   tensor so that the axes become innermost, then sums; XNNPACK's average pooling over one
 *   window, times its size, does it in one pass (28 ms → 0.8 ms for [128, 28, 28, 32]). Not a
 *   product with a row of ones: XNNPACK packs (transposes) the right operand of every product.
 * - Transpose: axes that stay next to each other are merged first, so [B, H, W, C] → [C, B, H, W]
 *   runs as a 2-D transpose.
 *
 * Replaces the kernels registered for 'wasm' (tfjs's registry is global), keeping the originals
 * to call. Idempotent.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

type TF = typeof tfjs;

/** What these kernels use of the wasm backend. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
}

type Run = (inputs: Record<string, TensorInfo>, attrs?: NamedAttrMap) => TensorInfo;

const PATCHED = new WeakSet<KernelFunc>();
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The kernels replaced here, as tfjs registered them for wasm. */
const originals = new Map<string, KernelConfig>();

function original(tf: TF, name: string): KernelConfig {
  const k = originals.get(name) ?? (tf.getKernel(name, 'wasm') as KernelConfig | undefined);
  if (!k) throw new Error(`wasm-kernels: tfjs-backend-wasm has no ${name} kernel`);
  return k;
}

/** Calls another wasm kernel from inside one. */
function caller(tf: TF, backend: WasmBackendLike, name: string): Run {
  const k = original(tf, name);
  return (inputs, attrs = {}) => k.kernelFunc({ inputs, backend: backend as unknown as tfjs.KernelBackend, attrs }) as TensorInfo;
}

/** Merges axes that stay adjacent and in order under `perm` (and drops size-1 axes). */
export function mergeTransposeAxes(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const keep = shape.map((d) => d !== 1);
  const oldToNew = new Map<number, number>();
  const kept = shape.map((_, i) => i).filter((i) => keep[i]);
  kept.forEach((a, i) => oldToNew.set(a, i));
  const s1 = kept.map((a) => shape[a]);
  const p1 = perm.filter((a) => keep[a]).map((a) => oldToNew.get(a)!);
  // Groups: runs in the output order whose input axes are consecutive.
  const groups: number[][] = [];
  for (const a of p1) {
    const last = groups.at(-1);
    if (last && last.at(-1)! + 1 === a) last.push(a);
    else groups.push([a]);
  }
  const byStart = [...groups].sort((g, h) => g[0] - h[0]);
  const index = new Map(byStart.map((g, i) => [g[0], i]));
  return { shape: byStart.map((g) => size(g.map((a) => s1[a]))), perm: groups.map((g) => index.get(g[0])!) };
}

function transposeKernel(tf: TF): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as TensorInfo;
    const perm = (attrs as { perm: number[] }).perm;
    const wasm = backend as unknown as WasmBackendLike;
    const run = caller(tf, wasm, 'Transpose');
    const merged = mergeTransposeAxes(x.shape, perm);
    const outShape = perm.map((a) => x.shape[a]);
    if (merged.shape.length === x.shape.length || merged.shape.length === 0) return run({ x }, { perm });
    // A view of x in the merged shape (the backend tracks the shared data by reference count).
    const view = caller(tf, wasm, 'Reshape')({ x }, { shape: merged.shape });
    const out = run({ x: view }, { perm: merged.perm });
    wasm.disposeData(view.dataId);
    return { ...out, shape: outShape };
  };
}

function batchMatMulKernel(tf: TF): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const wasm = backend as unknown as WasmBackendLike;
    const matMul = caller(tf, wasm, 'BatchMatMul');
    if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') return matMul({ a, b }, attrs);
    const transpose = transposeKernel(tf);
    const flip = (t: TensorInfo) => {
      const r = t.shape.length;
      const perm = [...Array(r - 2).keys(), r - 1, r - 2];
      return transpose({ inputs: { x: t }, backend, attrs: { perm } }) as TensorInfo;
    };
    const at = transposeA ? flip(a) : a;
    const bt = transposeB ? flip(b) : b;
    const out = matMul({ a: at, b: bt }, { transposeA: false, transposeB: false });
    if (at !== a) wasm.disposeData(at.dataId);
    if (bt !== b) wasm.disposeData(bt.dataId);
    return out;
  };
}

function sumKernel(tf: TF): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as TensorInfo;
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const wasm = backend as unknown as WasmBackendLike;
    const r = x.shape.length;
    const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + r : a)).sort((p, q) => p - q);
    const k = axes.length;
    // Only the leading axes, some left, and enough to matter: the mean over one pooling window
    // of a [1, 1, n, m] view of x (n the leading axes' size), times n.
    const leading = k > 0 && k < r && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32' || size(x.shape) < 4096) return caller(tf, wasm, 'Sum')({ x }, attrs);
    const rest = x.shape.slice(k);
    // One window row of all n: the same view (so the same order of additions) however the
    // leading axes are split, so a bias's gradient sums alike from [B, H, W, C] and [B·H·W, C].
    const p = 1;
    const q = size(x.shape.slice(0, k));
    const view = caller(tf, wasm, 'Reshape')({ x }, { shape: [1, p, q, size(rest)] });
    const out = caller(tf, wasm, 'AvgPool')({ x: view }, { filterSize: [p, q], strides: 1, pad: 'valid' });
    wasm.disposeData(view.dataId);
    const sums = wasm.typedArrayFromHeap(out);
    for (let i = 0; i < sums.length; i++) sums[i] *= p * q;
    return { ...out, shape: keepDims ? [...Array(k).fill(1), ...rest] : rest };
  };
}

/** Attributes of the filter-gradient kernel: the forward conv's kernel size, strides and top/left padding. */
export interface FilterGradAttrs {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

/** The name of the wasm filter-gradient kernel (conv-gradient.ts uses it where it is registered). */
export const FILTER_GRAD_KERNEL = 'WirelabWasmConvFilterGrad';

/**
 * A conv's filter gradient on wasm as one product: the input's patches, channel-major
 * ([kh·kw·Cin, B·oh·ow], written by a loop here), times dy ([B·oh·ow, Cout]). The dilated conv
 * (conv-gradient.ts) does the same multiplies but through XNNPACK's convolution with dy as a
 * filter as large as the data, repacked at every call; this runs at the speed of its plain
 * products. dy is copied first so that the product's cached packing of it dies with the copy.
 */
function filterGradKernel(tf: TF): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { kh, kw, sh, sw, top, left } = attrs as unknown as FilterGradAttrs;
    const wasm = backend as unknown as WasmBackendLike;
    const [b, h, w, c] = x.shape;
    const [, oh, ow, cout] = dy.shape;
    const n = b * oh * ow;
    const rows = kh * kw * c;
    const patches = wasm.makeOutput([1, rows, n], 'float32');
    const out = wasm.typedArrayFromHeap(patches) as Float32Array;
    const xs = wasm.typedArrayFromHeap(x) as Float32Array;
    // Column k = (image, p, q); for each tap (i, j) the pixel's Cin values go down rows t·Cin + ch.
    // One output row (p) at a time: its pixels stay in cache while every row of patches gets
    // its ow contiguous values.
    for (let im = 0; im < b; im++)
      for (let p = 0; p < oh; p++) {
        const col = (im * oh + p) * ow;
        for (let i = 0; i < kh; i++) {
          const y = p * sh + i - top;
          for (let j = 0; j < kw; j++) {
            // The q range whose column xx = q·sw + j − left lies inside the image.
            const q0 = Math.max(0, Math.ceil((left - j) / sw));
            const q1 = Math.min(ow, Math.floor((w - 1 + left - j) / sw) + 1);
            const inside = y >= 0 && y < h;
            for (let ch = 0; ch < c; ch++) {
              const at = ((i * kw + j) * c + ch) * n + col;
              if (!inside) {
                out.fill(0, at, at + ow);
                continue;
              }
              for (let q = 0; q < q0; q++) out[at + q] = 0;
              for (let q = q1; q < ow; q++) out[at + q] = 0;
              let from = ((im * h + y) * w + q0 * sw + j - left) * c + ch;
              const step = sw * c;
              for (let q = q0; q < q1; q++, from += step) out[at + q] = xs[from];
            }
          }
        }
      }
    const grads = caller(tf, wasm, 'Identity')({ x: { dataId: dy.dataId, shape: [1, n, cout], dtype: 'float32' } });
    const product = caller(tf, wasm, 'BatchMatMul')({ a: patches, b: grads }, { transposeA: false, transposeB: false });
    wasm.disposeData(patches.dataId);
    wasm.disposeData(grads.dataId);
    return { ...product, shape: [kh, kw, c, cout] };
  };
}

/** The name of the wasm kernel that interleaves a sub-pixel transposed conv's phases (transposed-conv.ts). */
export const INTERLEAVE_KERNEL = 'WirelabWasmInterleavePhases';

/**
 * DepthToSpace of a sub-pixel transposed conv and its crop in one pass: inputs p0 … p(s²−1), the
 * phases [B, qh, qw, C] in (row phase, column phase) order; output [B, oh, ow, C] with
 * out[b, y, x] = phase((y + top) mod s, (x + left) mod s)[b, ⌊(y + top)/s⌋, ⌊(x + left)/s⌋].
 * tfjs ops need a concat along the channels (row by row on wasm) or a 5-D transpose (slow).
 */
function interleaveKernel(): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { s, top, left, oh, ow } = attrs as unknown as { s: number; top: number; left: number; oh: number; ow: number };
    const wasm = backend as unknown as WasmBackendLike;
    const phases = Array.from({ length: s * s }, (_, k) => (inputs as Record<string, TensorInfo>)[`p${k}`]);
    const [b, qh, qw, c] = phases[0].shape;
    const out = wasm.makeOutput([b, oh, ow, c], 'float32');
    const o = wasm.typedArrayFromHeap(out) as Float32Array;
    const src = phases.map((p) => wasm.typedArrayFromHeap(p) as Float32Array);
    let at = 0;
    for (let im = 0; im < b; im++)
      for (let y = 0; y < oh; y++) {
        const r = (y + top) % s;
        const row = (im * qh + Math.floor((y + top) / s)) * qw;
        for (let x = 0; x < ow; x++) {
          // A loop, not set(subarray): a view per pixel costs more than its c values.
          const p = src[r * s + ((x + left) % s)];
          for (let from = (row + Math.floor((x + left) / s)) * c, end = from + c; from < end; ) o[at++] = p[from++];
        }
      }
    return out;
  };
}

/** Installs the faster kernels for the wasm backend (no-op where it is already done). */
export function registerWasmKernels(tf: TF): void {
  const make: [string, (tf: TF) => KernelFunc][] = [
    ['Transpose', transposeKernel],
    ['BatchMatMul', batchMatMulKernel],
    ['Sum', sumKernel],
  ];
  if (!tf.getKernel(FILTER_GRAD_KERNEL, 'wasm')) tf.registerKernel({ kernelName: FILTER_GRAD_KERNEL, backendName: 'wasm', kernelFunc: filterGradKernel(tf) });
  if (!tf.getKernel(INTERLEAVE_KERNEL, 'wasm')) tf.registerKernel({ kernelName: INTERLEAVE_KERNEL, backendName: 'wasm', kernelFunc: interleaveKernel() });
  for (const [name, build] of make) {
    const current = tf.getKernel(name, 'wasm') as KernelConfig | undefined;
    if (!current || PATCHED.has(current.kernelFunc)) continue;
    if (!originals.has(name)) originals.set(name, current);
    const kernelFunc = build(tf);
    PATCHED.add(kernelFunc);
    tf.unregisterKernel(name, 'wasm');
    // The original's setup (binding its wasm function) runs again if the backend is re-created.
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc, setupFunc: current.setupFunc, disposeFunc: current.disposeFunc });
  }
}

/** Puts tfjs's own wasm kernels back (for comparison in the bench). */
export function unregisterWasmKernels(tf: TF): void {
  for (const [name, config] of originals) {
    const current = tf.getKernel(name, 'wasm') as KernelConfig | undefined;
    if (!current || !PATCHED.has(current.kernelFunc)) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
}

/** Whether the faster kernels are the ones registered now. */
export const wasmKernelsRegistered = (tf: TF): boolean => {
  const k = tf.getKernel('BatchMatMul', 'wasm') as KernelConfig | undefined;
  return !!k && PATCHED.has(k.kernelFunc);
};
