// One fused kernel per variable and step for RMSprop, Adam and SGD (Keras's maths): it reads the
// weight, its gradient and accumulators and writes the new weight and accumulators. Registered as
// tfjs kernels for the cpu, webgpu and webgl backends (on webgl one GLSL program per output), so
// tfjs's profiler counts them like its own; their
// constants (learning rate, ρ, β, ε) are attributes — uniforms on the GPU — never tensors.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../nodes/define';
import { INDEX_WGSL, WORKGROUP, dispatchDirect, maybeSubmit, uniformBlock, type WebGpuBackendLike } from './webgpu-dispatch';
import { webglKernel } from './webgl-kernels';

export const RMSPROP_KERNEL = 'WirelabRMSprop';
export const ADAM_KERNEL = 'WirelabAdam';
export const SGD_KERNEL = 'WirelabSGD';

/** w ← w − lr·g/√(ms + ε), ms ← ρ·ms + (1 − ρ)·g² (Keras and tfjs agree). Inputs w, g, ms. */
export interface RmspropAttrs {
  lr: number;
  rho: number;
  epsilon: number;
}
/**
 * Keras's Adam, w ← w − α·m/(√v + ε) with α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), written in the order tfjs's
 * reference computes it, so that both round alike: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²,
 * w ← w − lr·(m/c₁)/(√(v/c₂) + ε̂), with c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ and ε̂ = ε/√c₂ (Keras's ε moved
 * inside the bias correction). Inputs w, g, m, v.
 */
export interface AdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  oneMinusBeta1: number;
  oneMinusBeta2: number;
  c1: number;
  c2: number;
  epsilonHat: number;
}
export interface SgdAttrs {
  lr: number;
}

type KernelFunc = tfjs.KernelConfig['kernelFunc'];
interface CpuBackendLike {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tfjs.TensorInfo;
}
const cpuValues = (b: CpuBackendLike, t: tfjs.TensorInfo) => b.data.get(t.dataId).values;

const cpuKernels: Record<string, KernelFunc> = {
  [RMSPROP_KERNEL]: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as CpuBackendLike;
    const { lr, rho, epsilon } = attrs as unknown as RmspropAttrs;
    const [w, g, ms] = [inputs.w, inputs.g, inputs.ms].map((t) => cpuValues(b, t!));
    const w2 = new Float32Array(w.length);
    const ms2 = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) {
      const m = Math.fround(rho * ms[i] + (1 - rho) * g[i] * g[i]);
      ms2[i] = m;
      w2[i] = w[i] - (lr * g[i]) / Math.sqrt(m + epsilon);
    }
    return [b.makeTensorInfo(inputs.w!.shape, 'float32', w2), b.makeTensorInfo(inputs.w!.shape, 'float32', ms2)];
  },
  [ADAM_KERNEL]: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as CpuBackendLike;
    const a = attrs as unknown as AdamAttrs;
    const f = Math.fround;
    const [b1, b2, o1, o2, c1, c2, eps, lr] = [a.beta1, a.beta2, a.oneMinusBeta1, a.oneMinusBeta2, a.c1, a.c2, a.epsilonHat, a.lr].map(f);
    const [w, g, m, v] = [inputs.w, inputs.g, inputs.m, inputs.v].map((t) => cpuValues(b, t!));
    const w2 = new Float32Array(w.length);
    const m2 = new Float32Array(w.length);
    const v2 = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) {
      const mi = f(f(m[i] * b1) + f(g[i] * o1));
      const vi = f(f(v[i] * b2) + f(f(g[i] * g[i]) * o2));
      m2[i] = mi;
      v2[i] = vi;
      w2[i] = f(w[i] - f(f(f(mi / c1) / f(f(Math.sqrt(f(vi / c2))) + eps)) * lr));
    }
    const s = inputs.w!.shape;
    return [b.makeTensorInfo(s, 'float32', w2), b.makeTensorInfo(s, 'float32', m2), b.makeTensorInfo(s, 'float32', v2)];
  },
  [SGD_KERNEL]: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as CpuBackendLike;
    const { lr } = attrs as unknown as SgdAttrs;
    const [w, g] = [inputs.w, inputs.g].map((t) => cpuValues(b, t!));
    const w2 = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) w2[i] = w[i] - lr * g[i];
    return [b.makeTensorInfo(inputs.w!.shape, 'float32', w2)];
  },
};

// WGSL: outputs (read_write) first, then inputs, then the uniforms, as dispatchDirect binds them.
const wgsl = (outs: string[], ins: string[], uniforms: string[], body: string) => `
struct U { ${uniforms.map((u) => `${u},`).join(' ')} }
${outs.map((o, i) => `@group(0) @binding(${i}) var<storage, read_write> ${o}: array<f32>;`).join('\n')}
${ins.map((o, i) => `@group(0) @binding(${outs.length + i}) var<storage, read> ${o}: array<f32>;`).join('\n')}
@group(0) @binding(${outs.length + ins.length}) var<uniform> u: U;
${INDEX_WGSL}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = flatIndex(id, n);
  if (i >= u.size) { return; }
  ${body}
}`;

const RMSPROP_WGSL = wgsl(['wOut', 'msOut'], ['w', 'g', 'ms'], ['lr: f32', 'rho: f32', 'epsilon: f32', 'size: u32'], `
  let gi = g[i];
  let m = u.rho * ms[i] + (1.0 - u.rho) * gi * gi;
  msOut[i] = m;
  wOut[i] = w[i] - u.lr * gi / sqrt(m + u.epsilon);`);
const ADAM_FIELDS = ['lr', 'beta1', 'beta2', 'oneMinusBeta1', 'oneMinusBeta2', 'c1', 'c2', 'epsilonHat'] as const;
const ADAM_WGSL = wgsl(['wOut', 'mOut', 'vOut'], ['w', 'g', 'm', 'v'], [...ADAM_FIELDS.map((f) => `${f}: f32`), 'size: u32'], `
  let gi = g[i];
  let mi = m[i] * u.beta1 + gi * u.oneMinusBeta1;
  let vi = v[i] * u.beta2 + (gi * gi) * u.oneMinusBeta2;
  mOut[i] = mi;
  vOut[i] = vi;
  wOut[i] = w[i] - ((mi / u.c1) / (sqrt(vi / u.c2) + u.epsilonHat)) * u.lr;`);
const SGD_WGSL = wgsl(['wOut'], ['w', 'g'], ['lr: f32', 'size: u32'], `
  wOut[i] = w[i] - u.lr * g[i];`);

const webgpuKernel =
  (tf: Tf, key: string, code: string, inputNames: string[], outputCount: number, uniforms: (attrs: Record<string, number>, size: number) => ArrayBuffer): KernelFunc =>
  ({ inputs, backend, attrs }) => {
    const b = backend as unknown as WebGpuBackendLike;
    const ins = inputNames.map((n) => inputs[n]!);
    const shape = ins[0].shape;
    const size = shape.reduce((a, c) => a * c, 1);
    const outs = dispatchDirect(b, { key, code, outputs: Array.from({ length: outputCount }, () => shape), inputs: ins, uniforms: uniforms(attrs as unknown as Record<string, number>, size), size });
    maybeSubmit(tf, b);
    return outs;
  };

// GLSL on vec4s (webgl-kernels.ts): the same maths in the same order.
const webgl: Record<string, KernelFunc> = {
  [RMSPROP_KERNEL]: webglKernel({
    inputs: [['w', 'full'], ['g', 'full'], ['ms', 'full']],
    attrs: ['lr', 'rho', 'epsilon'],
    outputs: ['wOut', 'msOut'],
    glsl: `msOut = u_rho * ms + (1.0 - u_rho) * g * g;
    wOut = w - u_lr * g / sqrt(msOut + u_epsilon);`,
  }),
  [ADAM_KERNEL]: webglKernel({
    inputs: [['w', 'full'], ['g', 'full'], ['m', 'full'], ['v', 'full']],
    attrs: [...ADAM_FIELDS],
    outputs: ['wOut', 'mOut', 'vOut'],
    glsl: `mOut = m * u_beta1 + g * u_oneMinusBeta1;
    vOut = v * u_beta2 + (g * g) * u_oneMinusBeta2;
    wOut = w - ((mOut / u_c1) / (sqrt(vOut / u_c2) + u_epsilonHat)) * u_lr;`,
  }),
  [SGD_KERNEL]: webglKernel({ inputs: [['w', 'full'], ['g', 'full']], attrs: ['lr'], outputs: ['wOut'], glsl: 'wOut = w - u_lr * g;' }),
};

/** Registers the fused optimizer kernels for cpu, webgpu and webgl (idempotent). */
export function registerOptimizerKernels(tf: Tf): void {
  const webgpu: Record<string, KernelFunc> = {
    [RMSPROP_KERNEL]: webgpuKernel(tf, RMSPROP_KERNEL, RMSPROP_WGSL, ['w', 'g', 'ms'], 2, (a, size) =>
      uniformBlock([{ f32: a.lr }, { f32: a.rho }, { f32: a.epsilon }, { u32: size }]),
    ),
    [ADAM_KERNEL]: webgpuKernel(tf, ADAM_KERNEL, ADAM_WGSL, ['w', 'g', 'm', 'v'], 3, (a, size) =>
      uniformBlock([...ADAM_FIELDS.map((f) => ({ f32: a[f] })), { u32: size }]),
    ),
    [SGD_KERNEL]: webgpuKernel(tf, SGD_KERNEL, SGD_WGSL, ['w', 'g'], 1, (a, size) => uniformBlock([{ f32: a.lr }, { u32: size }])),
  };
  for (const [backendName, kernels] of [['cpu', cpuKernels], ['webgpu', webgpu], ['webgl', webgl]] as const) {
    for (const [kernelName, kernelFunc] of Object.entries(kernels)) {
      if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc });
    }
  }
}

/** Whether the active backend runs the fused optimizer kernels. */
export const hasOptimizerKernels = (tf: Tf): boolean => !!tf.getKernel(RMSPROP_KERNEL, tf.getBackend());
