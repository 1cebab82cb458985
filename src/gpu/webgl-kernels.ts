// The fused kernels on tfjs's webgl backend: GLSL programs through its GPGPUProgram API, packed
// (each texel holds 2×2 values, as tfjs's own elementwise programs keep them, so no pack or unpack
// runs between them and tfjs's kernels). A program writes one output, so a kernel with several
// (an optimizer's weight and accumulators) runs one program per output, each recomputing the
// little it shares. Constants are uniforms, never tensors; the programs are compiled once per
// shape (tfjs caches them by their code and shapes).
import type * as tfjs from '@tensorflow/tfjs';

/** How an input lines up with the output: element by element, one value per last-axis channel, or one value. */
export type Kind = 'full' | 'channel' | 'scalar';

export interface GlslKernel {
  inputs: [string, Kind][];
  /** f32 attributes, read in the GLSL as `u_<name>`. */
  attrs: string[];
  outputs: string[];
  /**
   * GLSL statements on vec4s: reads each input by its name, assigns each output (declared before
   * as vec4). Functions from GLSL_HELPERS may be called.
   */
  glsl: string;
}

/** vec4 activations by number (0 linear, 1 relu, 2 sigmoid, 3 tanh), as ACTIVATIONS numbers them. */
const GLSL_HELPERS = `
vec4 wlTanh(vec4 x) {
  vec4 e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}
vec4 activate(vec4 x, float act) {
  if (act == 1.0) { return max(x, vec4(0.0)); }
  if (act == 2.0) { return 1.0 / (1.0 + exp(-x)); }
  if (act == 3.0) { return wlTanh(x); }
  return x;
}
vec4 activationGrad(vec4 dy, vec4 y, float act) {
  if (act == 1.0) { return dy * vec4(greaterThan(y, vec4(0.0))); }
  if (act == 2.0) { return dy * (y * (1.0 - y)); }
  if (act == 3.0) { return dy * (1.0 - y * y); }
  return dy;
}`;

interface WebGlBackendLike {
  runWebGLProgram(
    program: {
      variableNames: string[];
      outputShape: number[];
      userCode: string;
      packedInputs?: boolean;
      packedOutput?: boolean;
      customUniforms?: { name: string; type: 'float' }[];
    },
    inputs: tfjs.TensorInfo[],
    outputDtype: 'float32',
    customUniformValues?: number[][],
  ): tfjs.TensorInfo;
}

// Samplers get a prefix: tfjs declares a uniform per input name, which the body's locals would hide.
const sampler = (name: string) => `wl${name}`;
const getter = (name: string) => `get${sampler(name).charAt(0).toUpperCase()}${sampler(name).slice(1)}AtOutCoords`;

function programs(k: GlslKernel): string[] {
  return k.outputs.map(
    (out) => `
${GLSL_HELPERS}
void main() {
  ${k.inputs.map(([n]) => `vec4 ${n} = ${getter(n)}();`).join('\n  ')}
  ${k.outputs.map((o) => `vec4 ${o};`).join(' ')}
  ${k.glsl}
  setOutput(${out});
}`,
  );
}

/** A tfjs kernel function for the webgl backend running `k`, one program per output. */
export function webglKernel(k: GlslKernel): tfjs.KernelConfig['kernelFunc'] {
  const codes = programs(k);
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as WebGlBackendLike;
    const a = attrs as unknown as Record<string, number>;
    const ins = k.inputs.map(([n]) => inputs[n]!);
    const full = inputs[k.inputs.find(([, kind]) => kind === 'full')![0]]!;
    const uniforms = k.attrs.map((n) => [a[n]]);
    return codes.map((userCode) =>
      b.runWebGLProgram(
        {
          variableNames: k.inputs.map(([n]) => sampler(n)),
          outputShape: full.shape,
          userCode,
          packedInputs: true,
          packedOutput: true,
          customUniforms: k.attrs.map((n) => ({ name: `u_${n}`, type: 'float' as const })),
        },
        ins,
        'float32',
        uniforms,
      ),
    );
  };
}
