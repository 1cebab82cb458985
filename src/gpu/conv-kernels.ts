// A conv's weight gradients on webgpu in one tiled kernel (two at large batches): the filter's
// and, in the same pass, the bias's. The filter gradient is a matrix product
//   dW[m, n] = Σ_k A[m, k] · dy[k, n],  m = (ky, kx, ci), k = (b, oy, ox), n = co,
//   A[m, k] = x[b, oy·s + ky − pad, ox·s + kx − pad, ci]  (0 outside the image),
// whose output is small (kh·kw·Cin × Cout) and whose sum is long (batch × output pixels): tfjs
// runs it as a conv (or a dilated conv) that gives each of a few workgroups the whole sum, which
// leaves most of a big GPU idle (≈ 60 ms a step at batch 1024 on an H100). Here the sum is split
// over many workgroups (split-K), each writes a partial tile, and a second pass adds the parts.
// The bias gradient Σ_k dy[k, n] is one more row of A, all ones.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../nodes/define';
import { dispatchDirect, maybeSubmit, uniformBlock, type WebGpuBackendLike } from './webgpu-dispatch';

export const CONV_WEIGHT_GRAD = 'WirelabConvWeightGrad';

/** Attributes: kernel size, stride, 'same' (1) or 'valid' (0), and whether to return the bias's gradient too. */
export interface ConvWeightGradAttrs {
  kh: number;
  kw: number;
  cin: number;
  strides: number;
  same: number;
  bias: number;
}

const TK = 16;
/** Workgroups wanted in flight: enough to fill a large GPU (an H100 has 132 SMs). */
const TARGET_WORKGROUPS = 1024;
/** Fewest sum terms a workgroup takes (so that partials stay few). */
const MIN_CHUNK = 256;

interface Tile {
  tm: number;
  tn: number;
  rm: number;
  rn: number;
}

/** 16×16 threads; each computes rm×rn outputs. Small tiles where a dimension is small. */
function tileFor(mTotal: number, n: number): Tile {
  const tm = mTotal >= 64 ? 64 : 16;
  const tn = n >= 64 ? 64 : n >= 32 ? 32 : 16;
  return { tm, tn, rm: tm / 16, rn: tn / 16 };
}

/** Pass 1: one (TM × TN) tile of dW over one chunk of the sum; `partial` writes it to the split's slice. */
function tileWgsl(t: Tile, partial: boolean): string {
  const { tm, tn, rm, rn } = t;
  const outputs = partial
    ? '@group(0) @binding(0) var<storage, read_write> part: array<f32>;'
    : '@group(0) @binding(0) var<storage, read_write> dk: array<f32>;\n@group(0) @binding(1) var<storage, read_write> db: array<f32>;';
  const first = partial ? 1 : 2;
  const store = partial
    ? 'part[(g.z * u.mTotal + gm) * u.n + gn] = acc[i * RN + j];'
    : 'if (gm < u.m) { dk[gm * u.n + gn] = acc[i * RN + j]; } else { db[gn] = acc[i * RN + j]; }';
  return `
struct U { m: u32, mTotal: u32, n: u32, k: u32, chunk: u32, cin: u32, kw: u32, oh: u32, ow: u32, h: u32, w: u32, s: u32, pt: u32, pl: u32 }
${outputs}
@group(0) @binding(${first}) var<storage, read> x: array<f32>;
@group(0) @binding(${first + 1}) var<storage, read> dy: array<f32>;
@group(0) @binding(${first + 2}) var<uniform> u: U;
const TM = ${tm}u; const TN = ${tn}u; const RM = ${rm}u; const RN = ${rn}u; const TK = ${TK}u;
var<workgroup> As: array<f32, ${TK * tm}>;
var<workgroup> Bs: array<f32, ${TK * tn}>;

// A[m, k]: the input pixel that filter tap m meets at output position k (0 in the padding), or 1 on the bias row.
fn a(m: u32, k: u32) -> f32 {
  if (m == u.m) { return 1.0; }
  let ci = m % u.cin;
  let tap = m / u.cin;
  let kx = tap % u.kw;
  let ky = tap / u.kw;
  let ox = k % u.ow;
  let r = k / u.ow;
  let oy = r % u.oh;
  let b = r / u.oh;
  let iy = i32(oy * u.s + ky) - i32(u.pt);
  let ix = i32(ox * u.s + kx) - i32(u.pl);
  if (iy < 0 || ix < 0 || iy >= i32(u.h) || ix >= i32(u.w)) { return 0.0; }
  return x[((b * u.h + u32(iy)) * u.w + u32(ix)) * u.cin + ci];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) l: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(workgroup_id) g: vec3<u32>) {
  let m0 = g.y * TM;
  let n0 = g.x * TN;
  let kBegin = g.z * u.chunk;
  let kEnd = min(u.k, kBegin + u.chunk);
  var acc: array<f32, ${rm * rn}>;
  for (var k0 = kBegin; k0 < kEnd; k0 = k0 + TK) {
    // Neighbouring threads load neighbouring channels (ci, co), which lie next to each other in memory.
    for (var e = li; e < TK * TM; e = e + 256u) {
      let mm = e % TM;
      let kk = e / TM;
      let gm = m0 + mm;
      let gk = k0 + kk;
      var v = 0.0;
      if (gm < u.mTotal && gk < kEnd) { v = a(gm, gk); }
      As[kk * TM + mm] = v;
    }
    for (var e = li; e < TK * TN; e = e + 256u) {
      let nn = e % TN;
      let kk = e / TN;
      let gn = n0 + nn;
      let gk = k0 + kk;
      var v = 0.0;
      if (gn < u.n && gk < kEnd) { v = dy[gk * u.n + gn]; }
      Bs[kk * TN + nn] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk = kk + 1u) {
      var av: array<f32, ${rm}>;
      var bv: array<f32, ${rn}>;
      for (var i = 0u; i < RM; i = i + 1u) { av[i] = As[kk * TM + l.y + i * 16u]; }
      for (var j = 0u; j < RN; j = j + 1u) { bv[j] = Bs[kk * TN + l.x + j * 16u]; }
      for (var i = 0u; i < RM; i = i + 1u) {
        for (var j = 0u; j < RN; j = j + 1u) { acc[i * RN + j] = fma(av[i], bv[j], acc[i * RN + j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < RM; i = i + 1u) {
    for (var j = 0u; j < RN; j = j + 1u) {
      let gm = m0 + l.y + i * 16u;
      let gn = n0 + l.x + j * 16u;
      if (gm < u.mTotal && gn < u.n) { ${store} }
    }
  }
}`;
}

/** Pass 2: adds the splits' partial tiles; one invocation per output value. */
const SUM_WGSL = `
struct U { m: u32, mTotal: u32, n: u32, splits: u32 }
@group(0) @binding(0) var<storage, read_write> dk: array<f32>;
@group(0) @binding(1) var<storage, read_write> db: array<f32>;
@group(0) @binding(2) var<storage, read> part: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = id.x + id.y * nw.x * 64u;
  let size = u.mTotal * u.n;
  if (i >= size) { return; }
  var sum = 0.0;
  for (var s = 0u; s < u.splits; s = s + 1u) { sum = sum + part[s * size + i]; }
  if (i < u.m * u.n) { dk[i] = sum; } else { db[i - u.m * u.n] = sum; }
}`;

/** Keras's 'same' padding before the first row of one dimension. */
const padBefore = (n: number, k: number, s: number, out: number, same: boolean) => (same ? Math.floor(Math.max((out - 1) * s + k - n, 0) / 2) : 0);

/**
 * The kernel: inputs x [B, H, W, Cin] and dy [B, oh, ow, Cout]; outputs the filter's gradient
 * [kh, kw, Cin, Cout] and, with attrs.bias, the bias's [Cout].
 */
export function webgpuConvWeightGrad(tf: Tf): tfjs.KernelConfig['kernelFunc'] {
  return ({ inputs, backend, attrs }) => {
    const be = backend as unknown as WebGpuBackendLike;
    const { kh, kw, cin, strides: s, same, bias } = attrs as unknown as ConvWeightGradAttrs;
    const x = inputs.x!;
    const dy = inputs.dy!;
    const [batch, h, w] = x.shape;
    const [, oh, ow, n] = dy.shape;
    const m = kh * kw * cin;
    const mTotal = m + (bias ? 1 : 0);
    const k = batch * oh * ow;
    const tile = tileFor(mTotal, n);
    const tiles = Math.ceil(mTotal / tile.tm) * Math.ceil(n / tile.tn);
    let splits = Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.floor(k / MIN_CHUNK)));
    const chunk = Math.ceil(Math.ceil(k / splits) / TK) * TK;
    splits = Math.ceil(k / chunk);
    const pt = padBefore(h, kh, s, oh, !!same);
    const pl = padBefore(w, kw, s, ow, !!same);
    const uniforms = uniformBlock([m, mTotal, n, k, chunk, cin, kw, oh, ow, h, w, s, pt, pl].map((v) => ({ u32: v })));
    const grid: [number, number, number] = [Math.ceil(n / tile.tn), Math.ceil(mTotal / tile.tm), splits];
    const shapes = [[kh, kw, cin, n], [bias ? n : 1]];
    const key = `${CONV_WEIGHT_GRAD}-${tile.tm}x${tile.tn}`;
    let outs: tfjs.TensorInfo[];
    if (splits === 1) {
      outs = dispatchDirect(be, { key: `${key}-direct`, code: tileWgsl(tile, false), outputs: shapes, inputs: [x, dy], uniforms, size: 0, grid });
    } else {
      const [part] = dispatchDirect(be, { key: `${key}-partial`, code: tileWgsl(tile, true), outputs: [[splits, mTotal, n]], inputs: [x, dy], uniforms, size: 0, grid });
      outs = dispatchDirect(be, { key: `${CONV_WEIGHT_GRAD}-sum`, code: SUM_WGSL, outputs: shapes, inputs: [part], uniforms: uniformBlock([m, mTotal, n, splits].map((v) => ({ u32: v }))), size: mTotal * n });
      (backend as unknown as { disposeData(id: object): void }).disposeData(part.dataId);
    }
    maybeSubmit(tf, be);
    return bias ? outs : [outs[0]];
  };
}

/** Registers the kernel for webgpu (idempotent); other backends keep the dilated-conv form. */
export function registerConvKernels(tf: Tf): void {
  if (!tf.getKernel(CONV_WEIGHT_GRAD, 'webgpu')) tf.registerKernel({ kernelName: CONV_WEIGHT_GRAD, backendName: 'webgpu', kernelFunc: webgpuConvWeightGrad(tf) });
}

/** The filter's (and with `bias`, the bias's) gradient of a conv, by the kernel above. */
export function convWeightGrad(tf: Tf, x: tfjs.Tensor4D, dy: tfjs.Tensor4D, filterShape: readonly number[], strides: number, pad: 'same' | 'valid', bias: boolean): tfjs.Tensor[] {
  registerConvKernels(tf);
  const [kh, kw, cin] = filterShape;
  const attrs: ConvWeightGradAttrs = { kh, kw, cin, strides, same: pad === 'same' ? 1 : 0, bias: bias ? 1 : 0 };
  const r = tf.engine().runKernel(CONV_WEIGHT_GRAD, { x, dy }, attrs as unknown as tfjs.NamedAttrMap);
  return Array.isArray(r) ? (r as tfjs.Tensor[]) : [r as tfjs.Tensor];
}
