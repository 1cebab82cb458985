import type * as tfjs from '@tensorflow/tfjs';
import { defineNode, noWeights } from './define';
import { kerasPool, poolKeras, poolParams, poolShape, poolStride, torchPool, type PoolParams } from './max-pooling2d';

export const averagePooling2dNode = defineNode<PoolParams>({
  type: 'average-pooling2d',
  label: 'AveragePooling2D',
  category: 'layer',
  doc: {
    summary: 'Replaces each small window by its average, per channel: a smaller, smoother image. It learns nothing.',
    formula: 'y_{i,j,c} = \\frac{1}{k^2} \\sum_{0 \\le u, v < k} x_{s i+u,\\, s j+v,\\, c}',
    keras: poolKeras('AveragePooling2D'),
    shapes: 'Input (batch, h, w, c) → output (batch, h′, w′, c); valid: h′ = ⌊(h−k)/s⌋+1, same: h′ = ⌈h/s⌉.',
  },
  inputs: [{ name: 'input', label: 'input', kind: 'tensor' }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: poolParams,
  inferShape: (inputs, p) => poolShape('AveragePooling2D', inputs.input, p),
  paramCount: () => 0,
  build: ({ tf }, p) => ({
    apply: (inp) => ({ output: tf.avgPool(inp.input[0] as tfjs.Tensor4D, p.poolSize, poolStride(p), p.padding as 'same') }),
    weights: noWeights,
  }),
  toTorch: (node) => torchPool('avg', node),
  toKeras: (node) => kerasPool('AveragePooling2D', node),
});
