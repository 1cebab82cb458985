import type * as tfjs from '@tensorflow/tfjs';
import { defineNode, noWeights, paddingParam, type InferResult, type IntParam } from './define';
import { convLength, imageInput } from './conv2d';
import type { Shape } from '../src/graph/document';

export interface PoolParams {
  [k: string]: number | string;
  poolSize: number;
  strides: number;
  padding: string;
}

export const poolParams = {
  poolSize: { kind: 'int', label: 'Pool size', default: 2, min: 1, max: 8, help: 'Width and height of each window; 2 halves the image.' } as IntParam,
  strides: { kind: 'int', label: 'Strides', default: 0, min: 0, max: 8, help: 'Step between windows; 0 means the pool size (Keras’s strides=None).' } as IntParam,
  padding: paddingParam,
};

export const poolStride = (p: PoolParams): number => p.strides || p.poolSize;

/** Keras's pooling shape rule: the conv rule per side, channels unchanged. */
export function poolShape(label: string, input: Shape | undefined, p: PoolParams): InferResult {
  const bad = imageInput(label, input);
  if (bad) return bad;
  const [h, w, c] = input!;
  const oh = convLength(h, p.poolSize, poolStride(p), p.padding);
  const ow = convLength(w, p.poolSize, poolStride(p), p.padding);
  if (oh < 1 || ow < 1)
    return { ok: false, problems: [{ port: 'input', message: `${label}: a ${p.poolSize}×${p.poolSize} window does not fit the ${h}×${w} input; use padding "same" or a smaller pool size.` }] };
  return { ok: true, outputs: { output: [oh, ow, c] } };
}

export const poolKeras = (name: string) => `layers.${name}(pool_size=2, strides=None, padding="valid")`;

export const maxPooling2dNode = defineNode<PoolParams>({
  type: 'max-pooling2d',
  label: 'MaxPooling2D',
  category: 'layer',
  doc: {
    summary: 'Keeps the largest value of each small window, per channel: the image gets smaller and a feature found anywhere in the window survives. It learns nothing.',
    formula: 'y_{i,j,c} = \\max_{0 \\le u, v < k} x_{s i+u,\\, s j+v,\\, c}',
    keras: poolKeras('MaxPooling2D'),
    shapes: 'Input (batch, h, w, c) → output (batch, h′, w′, c); valid: h′ = ⌊(h−k)/s⌋+1, same: h′ = ⌈h/s⌉.',
  },
  inputs: [{ name: 'input', label: 'input', kind: 'tensor' }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: poolParams,
  inferShape: (inputs, p) => poolShape('MaxPooling2D', inputs.input, p),
  paramCount: () => 0,
  build: ({ tf }, p) => ({
    apply: (inp) => ({ output: tf.maxPool(inp.input[0] as tfjs.Tensor4D, p.poolSize, poolStride(p), p.padding as 'same') }),
    weights: noWeights,
  }),
});
