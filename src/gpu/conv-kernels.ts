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
import { ACT_WGSL, ACTIVATIONS, type FusedActivation } from './fused-kernels';
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

/** The product of the tiles in workgroup memory, into each thread's rm×rn accumulators. */
const tileProduct = (rm: number, rn: number) => `
    for (var kk = 0u; kk < TK; kk = kk + 1u) {
      var av: array<f32, ${rm}>;
      var bv: array<f32, ${rn}>;
      for (var i = 0u; i < RM; i = i + 1u) { av[i] = As[kk * TM + l.y + i * 16u]; }
      for (var j = 0u; j < RN; j = j + 1u) { bv[j] = Bs[kk * TN + l.x + j * 16u]; }
      for (var i = 0u; i < RM; i = i + 1u) {
        for (var j = 0u; j < RN; j = j + 1u) { acc[i * RN + j] = fma(av[i], bv[j], acc[i * RN + j]); }
      }
    }`;

/**
 * Loads the B tile (TK × TN) into workgroup memory, then multiplies the tiles: the part of a step
 * of k every kernel here shares. `value` reads B[k, n] (row k, column n), valid where k < `end`.
 */
const loadBAndMultiply = (end: string, value: string, rm: number, rn: number) => `
    for (var e = li; e < TK * TN; e = e + 256u) {
      let nn = e % TN;
      let kk = e / TN;
      let n = n0 + nn;
      let k = k0 + kk;
      var v = 0.0;
      if (n < u.n && k < ${end}) { v = ${value}; }
      Bs[kk * TN + nn] = v;
    }
    workgroupBarrier();
${tileProduct(rm, rn)}
    workgroupBarrier();`;

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

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) l: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(workgroup_id) g: vec3<u32>) {
  let m0 = g.y * TM;
  let n0 = g.x * TN;
  let kBegin = g.z * u.chunk;
  let kEnd = min(u.k, kBegin + u.chunk);
  var acc: array<f32, ${rm * rn}>;
  // Thread li always loads row mm = li mod TM of A (a filter tap and channel), found once here.
  let mm = li % TM;
  let gm = m0 + mm;
  let ci = gm % u.cin;
  let tap = gm / u.cin;
  let kx = i32(tap % u.kw) - i32(u.pl);
  let ky = i32(tap / u.kw) - i32(u.pt);
  for (var k0 = kBegin; k0 < kEnd; k0 = k0 + TK) {
    // Neighbouring threads load neighbouring channels (ci, co), which lie next to each other in memory.
    for (var kk = li / TM; kk < TK; kk = kk + 256u / TM) {
      let gk = k0 + kk;
      var v = 0.0;
      if (gm < u.mTotal && gk < kEnd) {
        if (gm == u.m) { v = 1.0; } else {
          let ox = gk % u.ow;
          let r = gk / u.ow;
          let iy = i32((r % u.oh) * u.s) + ky;
          let ix = i32(ox * u.s) + kx;
          if (iy >= 0 && ix >= 0 && iy < i32(u.h) && ix < i32(u.w)) { v = x[(((r / u.oh) * u.h + u32(iy)) * u.w + u32(ix)) * u.cin + ci]; }
        }
      }
      As[kk * TM + mm] = v;
    }
${loadBAndMultiply('kEnd', 'dy[k * u.n + n]', rm, rn)}
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

/** Registers the kernels for webgpu (idempotent); other backends keep tfjs's ops and the dilated-conv form. */
export function registerConvKernels(tf: Tf): void {
  if (!tf.getKernel(CONV_WEIGHT_GRAD, 'webgpu')) tf.registerKernel({ kernelName: CONV_WEIGHT_GRAD, backendName: 'webgpu', kernelFunc: webgpuConvWeightGrad(tf) });
  if (!tf.getKernel(CONV, 'webgpu')) tf.registerKernel({ kernelName: CONV, backendName: 'webgpu', kernelFunc: webgpuConv(tf) });
}

/** The filter's (and with `bias`, the bias's) gradient of a conv, by the kernel above. */
export function convWeightGrad(tf: Tf, x: tfjs.Tensor4D, dy: tfjs.Tensor4D, filterShape: readonly number[], strides: number, pad: 'same' | 'valid', bias: boolean): tfjs.Tensor[] {
  registerConvKernels(tf);
  const [kh, kw, cin] = filterShape;
  const attrs: ConvWeightGradAttrs = { kh, kw, cin, strides, same: pad === 'same' ? 1 : 0, bias: bias ? 1 : 0 };
  const r = tf.engine().runKernel(CONV_WEIGHT_GRAD, { x, dy }, attrs as unknown as tfjs.NamedAttrMap);
  return Array.isArray(r) ? (r as tfjs.Tensor[]) : [r as tfjs.Tensor];
}

// ---------------------------------------------------------------------------------------------
// A conv (or a transposed conv) with its bias and activation, as one tiled matrix product:
//   out[m, n] = act(Σ_k A[m, k] · W[k, n] + bias[n]),  m = (b, oy, ox) an output pixel,
// where A gathers the input pixels each filter tap meets (0 in the padding). tfjs's programs for
// these shapes left the GPU idle at batch 1024 (a 28×28 transposed conv took 11 ms, a one-channel
// conv 8 ms on an H100); a bias and activation cost them another pass and dispatch.

export const CONV = 'WirelabConv';

/** Attributes: stride, 'same' (1) or 'valid' (0), transposed (1: tf.conv2dTranspose's maths), the output's h and w, activation (fused-kernels' index), bias given. */
export interface ConvAttrs {
  strides: number;
  same: number;
  transposed: number;
  oh: number;
  ow: number;
  act: number;
  bias: number;
}

/**
 * The conv kernels' uniforms (`fields`, then the sizes both use), bindings (y; x, w and the bias
 * if any), tile constants and workgroup memory.
 */
const convHead = (t: Tile, bias: boolean, fields: string) => `
struct U { ${fields}, oh: u32, ow: u32, h: u32, w: u32, s: u32, pt: u32, pl: u32, act: f32 }
@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
${bias ? '@group(0) @binding(3) var<storage, read> bias: array<f32>;' : ''}
@group(0) @binding(${bias ? 4 : 3}) var<uniform> u: U;
const TM = ${t.tm}u; const TN = ${t.tn}u; const RM = ${t.rm}u; const RN = ${t.rn}u; const TK = ${TK}u;
var<workgroup> As: array<f32, ${TK * t.tm}>;
var<workgroup> Bs: array<f32, ${TK * t.tn}>;
${ACT_WGSL}`;

function convWgsl(t: Tile, transposed: boolean, bias: boolean): string {
  const { tm, tn, rm, rn } = t;
  // A[m, k] of a transposed conv (the input gradient of the conv from out to in): the input pixel
  // (oy, ox) whose tap (ky, kx) lands on output pixel (iy, ix), where oy·s + ky − pad = iy, if it
  // exists. (Strided ones take phaseWgsl; this serves stride 1 and grids too tall for phases.)
  const gather = `
fn a(m: u32, k: u32) -> f32 {
  let co = k % u.cin;
  let tap = k / u.cin;
  let kx = tap % u.kw;
  let ky = tap / u.kw;
  let ix = m % u.ow;
  let r = m / u.ow;
  let iy = r % u.oh;
  let b = r / u.oh;
  let ty = i32(iy + u.pt) - i32(ky);
  let tx = i32(ix + u.pl) - i32(kx);
  if (ty < 0 || tx < 0 || ty % i32(u.s) != 0 || tx % i32(u.s) != 0) { return 0.0; }
  let oy = u32(ty) / u.s;
  let ox = u32(tx) / u.s;
  if (oy >= u.h || ox >= u.w) { return 0.0; }
  return x[((b * u.h + oy) * u.w + ox) * u.cin + co];
}`;
  // Loading A: thread li always loads column kk = li mod TK of rows li/TK + 16j, so a conv finds
  // those rows' pixels (b, oy·s − pad, ox·s − pad) once, and each step of k only its tap. (Integer
  // division is dear on a GPU: per element it cost more than the multiplications.)
  const rowsA = transposed
    ? ''
    : `
  var rowB: array<i32, ${ROWS_A}>;
  var rowY: array<i32, ${ROWS_A}>;
  var rowX: array<i32, ${ROWS_A}>;
  for (var j = 0u; j < ${ROWS_A}u; j = j + 1u) {
    let gm = m0 + li / TK + j * (256u / TK);
    rowB[j] = -1;
    if (gm < u.m) {
      let ox = gm % u.ow;
      let r = gm / u.ow;
      rowB[j] = i32(r / u.oh);
      rowY[j] = i32((r % u.oh) * u.s) - i32(u.pt);
      rowX[j] = i32(ox * u.s) - i32(u.pl);
    }
  }`;
  const loadA = transposed
    ? `
    for (var e = li; e < TK * TM; e = e + 256u) {
      let kk = e % TK;
      let mm = e / TK;
      let gm = m0 + mm;
      let gk = k0 + kk;
      var v = 0.0;
      if (gm < u.m && gk < u.k) { v = a(gm, gk); }
      As[kk * TM + mm] = v;
    }`
    : `
    {
      let kk = li % TK;
      let gk = k0 + kk;
      let ci = gk % u.cin;
      let tap = gk / u.cin;
      let kx = i32(tap % u.kw);
      let ky = i32(tap / u.kw);
      for (var j = 0u; j < ${ROWS_A}u; j = j + 1u) {
        let iy = rowY[j] + ky;
        let ix = rowX[j] + kx;
        var v = 0.0;
        if (rowB[j] >= 0 && gk < u.k && iy >= 0 && ix >= 0 && iy < i32(u.h) && ix < i32(u.w)) {
          v = x[((u32(rowB[j]) * u.h + u32(iy)) * u.w + u32(ix)) * u.cin + ci];
        }
        As[kk * TM + li / TK + j * (256u / TK)] = v;
      }
    }`;
  // W[k, n]: a conv's filter is [kh, kw, cin, n] (row k, column n); a transposed conv's is [kh, kw, n, cin].
  const weight = transposed ? 'w[((k / u.cin) * u.n + n) * u.cin + k % u.cin]' : 'w[k * u.n + n]';
  return `
${convHead(t, bias, 'm: u32, n: u32, k: u32, cin: u32, kw: u32')}
${transposed ? gather : ''}

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) l: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(workgroup_id) g: vec3<u32>) {
  let m0 = (g.y + g.z * ${MAX_GRID_Y}u) * TM;
  let n0 = g.x * TN;
  var acc: array<f32, ${rm * rn}>;
${rowsA}
  for (var k0 = 0u; k0 < u.k; k0 = k0 + TK) {
${loadA}
${loadBAndMultiply('u.k', weight, rm, rn)}
  }
  for (var i = 0u; i < RM; i = i + 1u) {
    for (var j = 0u; j < RN; j = j + 1u) {
      let gm = m0 + l.y + i * 16u;
      let gn = n0 + l.x + j * 16u;
      if (gm < u.m && gn < u.n) { y[gm * u.n + gn] = activate(acc[i * RN + j]${bias ? ' + bias[gn]' : ''}, u.act); }
    }
  }
}`;
}

/**
 * A strided transposed conv by output phase (sub-pixel): the output pixels (iy, ix) with the same
 * (iy mod s, ix mod s) all meet the same filter taps, so each phase is a dense matrix product over
 * just its taps — no multiplying by the zeros between input pixels. Workgroup z is the phase.
 */
function phaseWgsl(t: Tile, bias: boolean): string {
  const { tm, tn, rm, rn } = t;
  return `
${convHead(t, bias, 'n: u32, cin: u32, kh: u32, kw: u32, batch: u32')}
// W[k, n] of this phase: its tap (jy, jx) is filter tap (ky0 + jy·s, kx0 + jx·s); a transposed conv's filter is [kh, kw, n, cin].
fn wAt(k: u32, n: u32, ky0: u32, kx0: u32, ntx: u32) -> f32 {
  let tap = k / u.cin;
  let ky = ky0 + (tap / ntx) * u.s;
  let kx = kx0 + (tap % ntx) * u.s;
  return w[((ky * u.kw + kx) * u.n + n) * u.cin + k % u.cin];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) l: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(workgroup_id) g: vec3<u32>) {
  // This phase: output rows iy = qy·s + py, columns ix = qx·s + px; its taps ky = ky0 + jy·s,
  // which meet input row oy = qy + cy − jy (oy·s + ky − pad = iy).
  let py = g.z / u.s;
  let px = g.z % u.s;
  let ky0 = (py + u.pt) % u.s;
  let kx0 = (px + u.pl) % u.s;
  let nty = select(0u, (u.kh - ky0 + u.s - 1u) / u.s, ky0 < u.kh);
  let ntx = select(0u, (u.kw - kx0 + u.s - 1u) / u.s, kx0 < u.kw);
  let cy = (py + u.pt - ky0) / u.s;
  let cx = (px + u.pl - kx0) / u.s;
  let qh = select(0u, (u.oh - py + u.s - 1u) / u.s, py < u.oh);
  let qw = select(0u, (u.ow - px + u.s - 1u) / u.s, px < u.ow);
  let mCount = u.batch * qh * qw;
  let kCount = nty * ntx * u.cin;
  let m0 = g.y * TM;
  let n0 = g.x * TN;
  if (m0 >= mCount) { return; }
  var acc: array<f32, ${rm * rn}>;
  // As in the conv kernel: each thread's rows (b, qy + cy, qx + cx) found once.
  var rowB: array<i32, ${ROWS_A}>;
  var rowY: array<i32, ${ROWS_A}>;
  var rowX: array<i32, ${ROWS_A}>;
  for (var j = 0u; j < ${ROWS_A}u; j = j + 1u) {
    let m = m0 + li / TK + j * (256u / TK);
    rowB[j] = -1;
    if (m < mCount) {
      let qx = m % qw;
      let r = m / qw;
      rowB[j] = i32(r / qh);
      rowY[j] = i32(r % qh + cy);
      rowX[j] = i32(qx + cx);
    }
  }
  for (var k0 = 0u; k0 < kCount; k0 = k0 + TK) {
    {
      let kk = li % TK;
      let k = k0 + kk;
      let co = k % u.cin;
      let tap = k / u.cin;
      let jx = i32(tap % max(ntx, 1u));
      let jy = i32(tap / max(ntx, 1u));
      for (var j = 0u; j < ${ROWS_A}u; j = j + 1u) {
        let oy = rowY[j] - jy;
        let ox = rowX[j] - jx;
        var v = 0.0;
        if (rowB[j] >= 0 && k < kCount && oy >= 0 && ox >= 0 && oy < i32(u.h) && ox < i32(u.w)) {
          v = x[((u32(rowB[j]) * u.h + u32(oy)) * u.w + u32(ox)) * u.cin + co];
        }
        As[kk * TM + li / TK + j * (256u / TK)] = v;
      }
    }
${loadBAndMultiply('kCount', 'wAt(k, n, ky0, kx0, ntx)', rm, rn)}
  }
  for (var i = 0u; i < RM; i = i + 1u) {
    for (var j = 0u; j < RN; j = j + 1u) {
      let m = m0 + l.y + i * 16u;
      let n = n0 + l.x + j * 16u;
      if (m < mCount && n < u.n) {
        let qx = m % qw;
        let r = m / qw;
        let qy = r % qh;
        let b = r / qh;
        let iy = qy * u.s + py;
        let ix = qx * u.s + px;
        y[((b * u.oh + iy) * u.ow + ix) * u.n + n] = activate(acc[i * RN + j]${bias ? ' + bias[n]' : ''}, u.act);
      }
    }
  }
}`;
}

/** Rows of A each thread loads per step of k (TM·TK / 256 threads). */
const ROWS_A = (64 * TK) / 256;

/** Rows of tiles per grid row (WebGPU guarantees 65,535 workgroups a dimension). */
const MAX_GRID_Y = 32768;

/**
 * The kernel: inputs x [B, h, w, Cin], w (a conv's [kh, kw, Cin, N]; a transposed conv's
 * [kh, kw, N, Cin]) and optionally bias [N]; output [B, oh, ow, N].
 */
export function webgpuConv(tf: Tf): tfjs.KernelConfig['kernelFunc'] {
  return ({ inputs, backend, attrs }) => {
    const be = backend as unknown as WebGpuBackendLike;
    const a = attrs as unknown as ConvAttrs;
    const x = inputs.x!;
    const w = inputs.w!;
    const [batch, h, wd, cin] = x.shape;
    const [kh, kw] = w.shape;
    const transposed = !!a.transposed;
    const n = transposed ? w.shape[2] : w.shape[3];
    const m = batch * a.oh * a.ow;
    const k = kh * kw * cin;
    const s = a.strides;
    // A transposed conv's padding is its forward conv's (from the output's size to the input's).
    const pt = transposed ? padBefore(a.oh, kh, s, h, !!a.same) : padBefore(h, kh, s, a.oh, !!a.same);
    const pl = transposed ? padBefore(a.ow, kw, s, wd, !!a.same) : padBefore(wd, kw, s, a.ow, !!a.same);
    const tile: Tile = { tm: 64, tn: n >= 64 ? 64 : n >= 32 ? 32 : 16, rm: 4, rn: n >= 64 ? 4 : n >= 32 ? 2 : 1 };
    const uniforms = uniformBlock([
      ...[m, n, k, cin, kw, a.oh, a.ow, h, wd, s, pt, pl].map((v) => ({ u32: v })),
      { f32: a.act },
    ]);
    const rows = Math.ceil(m / tile.tm);
    const grid: [number, number, number] = [Math.ceil(n / tile.tn), Math.min(rows, MAX_GRID_Y), Math.ceil(rows / MAX_GRID_Y)];
    const bias = !!a.bias && !!inputs.bias;
    const phaseRows = Math.ceil((batch * Math.ceil(a.oh / s) * Math.ceil(a.ow / s)) / tile.tm);
    if (transposed && s > 1 && phaseRows <= 65535) {
      const [y] = dispatchDirect(be, {
        key: `${CONV}-p${bias ? 'b' : ''}-${tile.tn}`,
        code: phaseWgsl(tile, bias),
        outputs: [[batch, a.oh, a.ow, n]],
        inputs: bias ? [x, w, inputs.bias!] : [x, w],
        uniforms: uniformBlock([...[n, cin, kh, kw, batch, a.oh, a.ow, h, wd, s, pt, pl].map((v) => ({ u32: v })), { f32: a.act }]),
        size: 0,
        grid: [Math.ceil(n / tile.tn), phaseRows, s * s],
      });
      maybeSubmit(tf, be);
      return y;
    }
    const [y] = dispatchDirect(be, {
      key: `${CONV}-${transposed ? 't' : 'c'}${bias ? 'b' : ''}-${tile.tn}`,
      code: convWgsl(tile, transposed, bias),
      outputs: [[batch, a.oh, a.ow, n]],
      inputs: bias ? [x, w, inputs.bias!] : [x, w],
      uniforms,
      size: 0,
      grid,
    });
    maybeSubmit(tf, be);
    return y;
  };
}

/**
 * act(conv(x, w) + bias) — or, `transposed`, act(conv2dTranspose(x, w) + bias) — to an output of
 * `outHW` pixels, by the kernel above (webgpu only).
 */
export function convBiasActivation(
  tf: Tf,
  x: tfjs.Tensor4D,
  w: tfjs.Tensor4D,
  bias: tfjs.Tensor | null,
  strides: number,
  pad: 'same' | 'valid',
  act: FusedActivation,
  transposed: boolean,
  outHW: readonly [number, number],
): tfjs.Tensor4D {
  registerConvKernels(tf);
  const attrs: ConvAttrs = { strides, same: pad === 'same' ? 1 : 0, transposed: transposed ? 1 : 0, oh: outHW[0], ow: outHW[1], act: ACTIVATIONS.indexOf(act), bias: bias ? 1 : 0 };
  return tf.engine().runKernel(CONV, bias ? { x, w, bias } : { x, w }, attrs as unknown as tfjs.NamedAttrMap) as tfjs.Tensor4D;
}
