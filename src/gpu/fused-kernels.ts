// Fused kernels for the fast training step: an elementwise chain or a loss with its reduction as
// one kernel where tfjs dispatches several (bias + activation, an activation's gradient, Sampling,
// BCE and KL with their reductions). Each is one definition that yields a cpu kernel (a loop), a
// webgpu kernel (WGSL) and, for the elementwise ones, a webgl kernel (GLSL, webgl-kernels.ts),
// registered with tfjs so its profiler counts them; `fusedOps` falls back to tfjs ops where one is
// missing (webgl's reductions, wasm). Constants are attributes (uniforms), never tensors made per step.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../nodes/define';
import { INDEX_WGSL, WORKGROUP, dispatchDirect, maybeSubmit, uniformBlock, type WebGpuBackendLike } from './webgpu-dispatch';
import { webglKernel, type Kind } from './webgl-kernels';

/** Activations the fused kernels know, by number (a uniform). */
export const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh'] as const;
export type FusedActivation = (typeof ACTIVATIONS)[number];
export const isFusedActivation = (a: string): a is FusedActivation => (ACTIVATIONS as readonly string[]).includes(a);

interface Elementwise {
  name: string;
  inputs: [string, Kind][];
  outputs: string[];
  /** f32 attributes, in uniform order. */
  attrs: string[];
  /** WGSL statements: reads `<input>` values, `u.<attr>`, assigns each `<output>`. */
  wgsl: string;
  /** The same in GLSL on vec4s (webgl-kernels.ts): reads `<input>`, `u_<attr>`, assigns each `<output>`. */
  glsl: string;
  /** The same per element; `o` receives the outputs. */
  js(v: Record<string, number>, a: Record<string, number>, o: number[]): void;
}

export const ACT_WGSL = `
fn activate(x: f32, act: f32) -> f32 {
  if (act == 1.0) { return max(x, 0.0); }
  if (act == 2.0) { return 1.0 / (1.0 + exp(-x)); }
  if (act == 3.0) { return tanh(x); }
  return x;
}
fn activationGrad(dy: f32, y: f32, act: f32) -> f32 {
  if (act == 1.0) { return select(0.0, dy, y > 0.0); }
  if (act == 2.0) { return dy * (y * (1.0 - y)); }
  if (act == 3.0) { return dy * (1.0 - y * y); }
  return dy;
}`;
const f = Math.fround;
const activateJs = (x: number, act: number) => (act === 1 ? Math.max(x, 0) : act === 2 ? 1 / (1 + Math.exp(-x)) : act === 3 ? Math.tanh(x) : x);
const activationGradJs = (dy: number, y: number, act: number) => (act === 1 ? (y > 0 ? dy : 0) : act === 2 ? dy * f(y * f(1 - y)) : act === 3 ? dy * (1 - y * y) : dy);

export const ELEMENTWISE: Elementwise[] = [
  {
    name: 'WirelabBiasActivation',
    inputs: [
      ['x', 'full'],
      ['b', 'channel'],
    ],
    outputs: ['y'],
    attrs: ['act'],
    wgsl: 'y = activate(x + b, u.act);',
    glsl: 'y = activate(x + b, u_act);',
    js: (v, a, o) => void (o[0] = activateJs(f(v.x + v.b), a.act)),
  },
  {
    name: 'WirelabActivationGrad',
    inputs: [
      ['dy', 'full'],
      ['y', 'full'],
    ],
    outputs: ['dx'],
    attrs: ['act'],
    wgsl: 'dx = activationGrad(dy, y, u.act);',
    glsl: 'dx = activationGrad(dy, y, u_act);',
    js: (v, a, o) => void (o[0] = activationGradJs(v.dy, v.y, a.act)),
  },
  {
    // z = μ + exp(½ log σ²)·ε
    name: 'WirelabSampling',
    inputs: [
      ['mu', 'full'],
      ['lv', 'full'],
      ['eps', 'full'],
    ],
    outputs: ['z'],
    attrs: [],
    wgsl: 'z = mu + exp(0.5 * lv) * eps;',
    glsl: 'z = mu + exp(0.5 * lv) * eps;',
    js: (v, _a, o) => void (o[0] = v.mu + f(f(Math.exp(f(0.5 * v.lv))) * v.eps)),
  },
  {
    // ∂z/∂ log σ² = ½·exp(½ log σ²)·ε
    name: 'WirelabSamplingGrad',
    inputs: [
      ['dz', 'full'],
      ['lv', 'full'],
      ['eps', 'full'],
    ],
    outputs: ['dlv'],
    attrs: [],
    wgsl: 'dlv = dz * eps * (exp(0.5 * lv) * 0.5);',
    glsl: 'dlv = dz * eps * (exp(0.5 * lv) * 0.5);',
    js: (v, _a, o) => void (o[0] = f(v.dz * v.eps) * f(f(Math.exp(f(0.5 * v.lv))) * 0.5)),
  },
  {
    // d/dŷ of scale·mean(BCE(x, clip(ŷ))): zero where the clip holds ŷ (as tfjs's clip gradient).
    name: 'WirelabBceGrad',
    inputs: [
      ['x', 'full'],
      ['p', 'full'],
      ['dl', 'scalar'],
    ],
    outputs: ['dp'],
    attrs: ['scale', 'eps'],
    wgsl: `let inside = p >= u.eps && p <= 1.0 - u.eps;
    let q = clamp(p, u.eps, 1.0 - u.eps);
    dp = select(0.0, -(dl * u.scale) * (x / q - (1.0 - x) / (1.0 - q)), inside);`,
    glsl: `vec4 inside = vec4(greaterThanEqual(p, vec4(u_eps))) * vec4(lessThanEqual(p, vec4(1.0 - u_eps)));
    vec4 q = clamp(p, u_eps, 1.0 - u_eps);
    dp = inside * (-(dl * u_scale) * (x / q - (1.0 - x) / (1.0 - q)));`,
    js: (v, a, o) => {
      const inside = v.p >= f(a.eps) && v.p <= f(1 - a.eps);
      const q = Math.min(Math.max(v.p, f(a.eps)), f(1 - a.eps));
      o[0] = inside ? -f(v.dl * a.scale) * (v.x / q - (1 - v.x) / (1 - q)) : 0;
    },
  },
  {
    // KL's gradient: ∂/∂μ = scale·(−2μ)·(−½)·dl, ∂/∂ log σ² = scale·(1 − exp(log σ²))·(−½)·dl.
    name: 'WirelabKlGrad',
    inputs: [
      ['mu', 'full'],
      ['lv', 'full'],
      ['dl', 'scalar'],
    ],
    outputs: ['dmu', 'dlv'],
    attrs: ['scale'],
    wgsl: `let k = dl * u.scale;
    dmu = k * mu;
    dlv = -0.5 * k * (1.0 - exp(lv));`,
    glsl: `vec4 k = dl * u_scale;
    dmu = k * mu;
    dlv = -0.5 * k * (1.0 - exp(lv));`,
    js: (v, a, o) => {
      const k = f(v.dl * a.scale);
      o[0] = k * v.mu;
      o[1] = -0.5 * k * (1 - Math.exp(v.lv));
    },
  },
  {
    name: 'WirelabScale',
    inputs: [['x', 'full']],
    outputs: ['y'],
    attrs: ['k'],
    wgsl: 'y = x * u.k;',
    glsl: 'y = x * u_k;',
    js: (v, a, o) => void (o[0] = v.x * a.k),
  },
];

/** Reductions to one value per column of [rows, columns], or to one value. */
interface Reduction {
  name: string;
  inputs: string[];
  attrs: string[];
  /** WGSL expression of one element's term, from `<input>[i]`. */
  term: string;
  /** Applied to the sum. */
  finish: string;
  /**
   * GLSL statements on vec4s assigning `term` (webgl runs the terms as one program, then tfjs's sum:
   * the kernel `<name>Term`).
   */
  glslTerm: string;
  jsTerm(v: Record<string, number>, a: Record<string, number>): number;
  jsFinish(sum: number, a: Record<string, number>): number;
}

export const REDUCTIONS: Reduction[] = [
  {
    // scale·Σ BCE(x, clip(ŷ)), Keras's clip at ε
    name: 'WirelabBceLoss',
    inputs: ['x', 'p'],
    attrs: ['scale', 'eps'],
    term: `bceTerm(x[i], p[i])`,
    finish: 'sum * u.scale',
    glslTerm: `vec4 q = clamp(p, u_eps, 1.0 - u_eps);
    term = -(x * log(q) + (1.0 - x) * log(1.0 - q));`,
    jsTerm: (v, a) => {
      const q = Math.min(Math.max(v.p, f(a.eps)), f(1 - a.eps));
      return -(v.x * Math.log(q) + (1 - v.x) * Math.log(1 - q));
    },
    jsFinish: (s, a) => s * a.scale,
  },
  {
    // scale·Σ (1 + log σ² − μ² − exp(log σ²)), the scale holding KL's −½ and its mean
    name: 'WirelabKlLoss',
    inputs: ['mu', 'lv'],
    attrs: ['scale'],
    term: '1.0 + lv[i] - mu[i] * mu[i] - exp(lv[i])',
    finish: 'sum * u.scale',
    glslTerm: 'term = 1.0 + lv - mu * mu - exp(lv);',
    jsTerm: (v) => 1 + v.lv - v.mu * v.mu - Math.exp(v.lv),
    jsFinish: (s, a) => s * a.scale,
  },
];
const BCE_TERM_WGSL = `
fn bceTerm(x: f32, p: f32) -> f32 {
  let q = clamp(p, u.eps, 1.0 - u.eps);
  return -(x * log(q) + (1.0 - x) * log(1.0 - q));
}`;

export const COLUMN_SUM = 'WirelabColumnSum';

// ---------------------------------------------------------------------------------------------
// cpu kernels

type KernelFunc = tfjs.KernelConfig['kernelFunc'];
interface CpuBackendLike {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tfjs.TensorInfo;
}

function cpuElementwise(k: Elementwise): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as CpuBackendLike;
    const a = attrs as unknown as Record<string, number>;
    const full = inputs[k.inputs.find(([, kind]) => kind === 'full')![0]]!;
    const n = full.shape.reduce((x, y) => x * y, 1);
    const channels = full.shape.at(-1) ?? 1;
    const values = k.inputs.map(([name]) => b.data.get(inputs[name]!.dataId).values);
    const outs = k.outputs.map(() => new Float32Array(n));
    const v: Record<string, number> = {};
    const o: number[] = [];
    for (let i = 0; i < n; i++) {
      k.inputs.forEach(([name, kind], j) => (v[name] = values[j][kind === 'full' ? i : kind === 'channel' ? i % channels : 0]));
      k.js(v, a, o);
      for (let j = 0; j < outs.length; j++) outs[j][i] = o[j];
    }
    return outs.map((x) => b.makeTensorInfo(full.shape, 'float32', x));
  };
}

function cpuReduction(k: Reduction): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as CpuBackendLike;
    const a = attrs as unknown as Record<string, number>;
    const values = k.inputs.map((name) => b.data.get(inputs[name]!.dataId).values);
    const v: Record<string, number> = {};
    let sum = 0;
    for (let i = 0; i < values[0].length; i++) {
      k.inputs.forEach((name, j) => (v[name] = values[j][i]));
      sum += k.jsTerm(v, a);
    }
    return b.makeTensorInfo([], 'float32', Float32Array.of(k.jsFinish(sum, a)));
  };
}

const cpuColumnSum: KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as CpuBackendLike;
  const x = inputs.x!;
  const cols = x.shape.at(-1)!;
  const values = b.data.get(x.dataId).values;
  const out = new Float64Array(cols);
  for (let i = 0; i < values.length; i++) out[i % cols] += values[i];
  return b.makeTensorInfo([cols], 'float32', Float32Array.from(out));
};

// ---------------------------------------------------------------------------------------------
// webgpu kernels

const storage = (outs: string[], ins: string[]) =>
  [...outs.map((o, i) => `@group(0) @binding(${i}) var<storage, read_write> ${o}Out: array<f32>;`), ...ins.map((x, i) => `@group(0) @binding(${outs.length + i}) var<storage, read> ${x}: array<f32>;`)].join('\n');

function elementwiseWgsl(k: Elementwise): string {
  const ins = k.inputs.map(([n]) => `${n}In`);
  const bindings = [
    ...k.outputs.map((o, i) => `@group(0) @binding(${i}) var<storage, read_write> ${o}Out: array<f32>;`),
    ...ins.map((x, i) => `@group(0) @binding(${k.outputs.length + i}) var<storage, read> ${x}: array<f32>;`),
  ].join('\n');
  const reads = k.inputs.map(([n, kind]) => `let ${n} = ${n}In[${kind === 'full' ? 'i' : kind === 'channel' ? 'i % u.channels' : '0u'}];`).join('\n  ');
  return `
struct U { ${[...k.attrs.map((a) => `${a}: f32`), 'size: u32', 'channels: u32'].join(', ')} }
${bindings}
@group(0) @binding(${k.outputs.length + ins.length}) var<uniform> u: U;
${INDEX_WGSL}
${ACT_WGSL}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = flatIndex(id, n);
  if (i >= u.size) { return; }
  ${reads}
  ${k.outputs.map((o) => `var ${o}: f32;`).join(' ')}
  ${k.wgsl}
  ${k.outputs.map((o) => `${o}Out[i] = ${o};`).join('\n  ')}
}`;
}

// One workgroup per output value (a column, or the whole input): each invocation sums a stride,
// then a tree in workgroup memory.
const reduceTail = (assign: string) => `
  partial[l] = sum;
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (l < s) { partial[l] = partial[l] + partial[l + s]; }
    workgroupBarrier();
  }
  if (l == 0u) { let sum = partial[0]; ${assign} }`;

/** A reduction's uniforms, bindings (y, then its inputs) and workgroup memory. */
const reductionHead = (k: Reduction) => `
struct U { ${[...k.attrs.map((a) => `${a}: f32`), 'size: u32'].join(', ')} }
${storage(['y'], k.inputs)}
@group(0) @binding(${1 + k.inputs.length}) var<uniform> u: U;
var<workgroup> partial: array<f32, ${WORKGROUP}>;
${k.name === 'WirelabBceLoss' ? BCE_TERM_WGSL : ''}`;

function reductionWgsl(k: Reduction): string {
  return `${reductionHead(k)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) l: u32) {
  var sum = 0.0;
  for (var i = l; i < u.size; i = i + ${WORKGROUP}u) { sum = sum + ${k.term}; }
  ${reduceTail(`yOut[0] = ${k.finish};`)}
}`;
}

/**
 * Above this many terms a reduction takes two passes: many workgroups each sum a stride of the
 * terms, then one adds their sums (one workgroup alone took 2.5 ms for BCE at batch 1024 on an H100).
 */
const ONE_PASS = 1 << 16;
const PARTS = 512;

/** Pass 1 of a long reduction: workgroup g sums terms g·64 + l, stepping by all invocations. */
function partialReductionWgsl(k: Reduction): string {
  return `${reductionHead(k)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) l: u32, @builtin(workgroup_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  var sum = 0.0;
  for (var i = g.x * ${WORKGROUP}u + l; i < u.size; i = i + n.x * ${WORKGROUP}u) { sum = sum + ${k.term}; }
  ${reduceTail('yOut[g.x] = sum;')}
}`;
}

const COLUMN_SUM_WGSL = `
struct U { rows: u32, cols: u32 }
${storage(['y'], ['x'])}
@group(0) @binding(2) var<uniform> u: U;
var<workgroup> partial: array<f32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) l: u32, @builtin(workgroup_id) g: vec3<u32>) {
  let c = g.x;
  var sum = 0.0;
  for (var r = l; r < u.rows; r = r + ${WORKGROUP}u) { sum = sum + x[r * u.cols + c]; }
  ${reduceTail('yOut[c] = sum;')}
}`;

/**
 * Pass 1 of a tall column sum: invocation (s, c) sums column c over rows s·chunk … (s+1)·chunk;
 * neighbouring invocations read neighbouring columns. (One workgroup per column alone took 5.7 ms
 * for [1024·28·28, 32] on an H100, and a one-column sum ran on one workgroup.)
 */
const COLUMN_PARTS_WGSL = `
struct U { rows: u32, cols: u32, chunk: u32, parts: u32 }
${storage(['y'], ['x'])}
@group(0) @binding(2) var<uniform> u: U;
${INDEX_WGSL}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = flatIndex(id, n);
  if (i >= u.parts * u.cols) { return; }
  let c = i % u.cols;
  let s = i / u.cols;
  let end = min(u.rows, (s + 1u) * u.chunk);
  var sum = 0.0;
  for (var r = s * u.chunk; r < end; r = r + 1u) { sum = sum + x[r * u.cols + c]; }
  yOut[i] = sum;
}`;

function webgpuElementwise(tf: Tf, k: Elementwise): KernelFunc {
  const code = elementwiseWgsl(k);
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as WebGpuBackendLike;
    const a = attrs as unknown as Record<string, number>;
    const ins = k.inputs.map(([n]) => inputs[n]!);
    const full = inputs[k.inputs.find(([, kind]) => kind === 'full')![0]]!;
    const size = full.shape.reduce((x, y) => x * y, 1);
    const uniforms = uniformBlock([...k.attrs.map((n) => ({ f32: a[n] })), { u32: size }, { u32: full.shape.at(-1) ?? 1 }]);
    const outs = dispatchDirect(b, { key: k.name, code, outputs: k.outputs.map(() => full.shape), inputs: ins, uniforms, size });
    maybeSubmit(tf, b);
    return outs;
  };
}

function webgpuReduction(tf: Tf, k: Reduction): KernelFunc {
  const code = reductionWgsl(k);
  const parts = partialReductionWgsl(k);
  const sum = reductionWgsl({ ...k, name: `${k.name}Sum`, inputs: ['part'], term: 'part[i]' });
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as WebGpuBackendLike;
    const a = attrs as unknown as Record<string, number>;
    const ins = k.inputs.map((n) => inputs[n]!);
    const size = ins[0].shape.reduce((x, y) => x * y, 1);
    const uniforms = (n: number) => uniformBlock([...k.attrs.map((name) => ({ f32: a[name] })), { u32: n }]);
    let outs: tfjs.TensorInfo[];
    if (size <= ONE_PASS) {
      outs = dispatchDirect(b, { key: k.name, code, outputs: [[]], inputs: ins, uniforms: uniforms(size), size: WORKGROUP, workgroups: 1 });
    } else {
      const [part] = dispatchDirect(b, { key: `${k.name}Parts`, code: parts, outputs: [[PARTS]], inputs: ins, uniforms: uniforms(size), size: PARTS * WORKGROUP, workgroups: PARTS });
      outs = dispatchDirect(b, { key: `${k.name}Sum`, code: sum, outputs: [[]], inputs: [part], uniforms: uniforms(PARTS), size: WORKGROUP, workgroups: 1 });
      disposeData(backend, part);
    }
    maybeSubmit(tf, b);
    return outs;
  };
}

const disposeData = (backend: object, t: tfjs.TensorInfo) => (backend as { disposeData(id: object): void }).disposeData(t.dataId);

const webgpuColumnSum =
  (tf: Tf): KernelFunc =>
  ({ inputs, backend }) => {
    const b = backend as unknown as WebGpuBackendLike;
    const x = inputs.x!;
    const cols = x.shape.at(-1)!;
    const rows = x.shape.reduce((p, q) => p * q, 1) / cols;
    const sumColumns = (t: tfjs.TensorInfo, r: number) =>
      dispatchDirect(b, { key: COLUMN_SUM, code: COLUMN_SUM_WGSL, outputs: [[cols]], inputs: [t], uniforms: uniformBlock([{ u32: r }, { u32: cols }]), size: cols * WORKGROUP, workgroups: cols });
    let outs: tfjs.TensorInfo[];
    if (rows <= 4096) outs = sumColumns(x, rows);
    else {
      // About 64k invocations in pass 1, each over at least 64 rows.
      const chunk = Math.max(64, Math.ceil((rows * cols) / 65536));
      const parts = Math.ceil(rows / chunk);
      const [part] = dispatchDirect(b, { key: `${COLUMN_SUM}Parts`, code: COLUMN_PARTS_WGSL, outputs: [[parts, cols]], inputs: [x], uniforms: uniformBlock([rows, cols, chunk, parts].map((v) => ({ u32: v }))), size: parts * cols });
      outs = sumColumns(part, parts);
      disposeData(backend, part);
    }
    maybeSubmit(tf, b);
    return outs;
  };

/** Registers every fused kernel for cpu and webgpu, and for webgl the elementwise ones and the reductions' terms (idempotent). */
export function registerFusedKernels(tf: Tf): void {
  const add = (kernelName: string, backendName: string, kernelFunc: KernelFunc) => {
    if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc });
  };
  for (const k of ELEMENTWISE) {
    add(k.name, 'cpu', cpuElementwise(k));
    add(k.name, 'webgpu', webgpuElementwise(tf, k));
    add(k.name, 'webgl', webglKernel(k));
  }
  for (const k of REDUCTIONS) {
    add(k.name, 'cpu', cpuReduction(k));
    add(k.name, 'webgpu', webgpuReduction(tf, k));
    add(`${k.name}Term`, 'webgl', webglKernel({ inputs: k.inputs.map((n) => [n, 'full']), attrs: k.attrs, outputs: ['term'], glsl: k.glslTerm }));
  }
  add(COLUMN_SUM, 'cpu', cpuColumnSum);
  add(COLUMN_SUM, 'webgpu', webgpuColumnSum(tf));
}
