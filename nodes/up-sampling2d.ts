import { defineNode, noWeights } from './define';
import { imageInput } from './conv2d';
import { layerConfig } from '../src/export/ops';

export interface UpSamplingParams {
  [k: string]: number;
  size: number;
}

export const upSampling2dNode = defineNode<UpSamplingParams>({
  type: 'up-sampling2d',
  label: 'UpSampling2D',
  category: 'layer',
  doc: {
    summary: 'Makes the image larger by repeating each pixel size×size times (nearest neighbour). It learns nothing; a Conv2D after it can smooth the blocks.',
    formula: 'y_{i,j,c} = x_{\\lfloor i/s \\rfloor,\\, \\lfloor j/s \\rfloor,\\, c}',
    keras: 'layers.UpSampling2D(size=2, interpolation="nearest")',
    shapes: 'Input (batch, h, w, c) → output (batch, s·h, s·w, c).',
  },
  inputs: [{ name: 'input', label: 'input', kind: 'tensor' }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: {
    size: { kind: 'int', label: 'Size', default: 2, min: 1, max: 8, help: 'How many times larger each side gets.', brief: (v) => `×${v}` },
  },
  inferShape(inputs, p) {
    const bad = imageInput('UpSampling2D', inputs.input);
    if (bad) return bad;
    const [h, w, c] = inputs.input;
    return { ok: true, outputs: { output: [h * p.size, w * p.size, c] } };
  },
  paramCount: () => 0,
  build: ({ tf, inputShapes }, p) => {
    const [h, w, c] = inputShapes.input;
    const s = p.size;
    // Repeat rows, then columns, by broadcasting against ones: plain ops with plain gradients on every backend.
    const rows = tf.ones([1, 1, s, 1, 1]);
    const cols = tf.ones([1, 1, 1, s, 1]);
    return {
      apply(inp) {
        const x = inp.input[0];
        const tall = tf.reshape(tf.mul(tf.reshape(x, [-1, h, 1, w, c]), rows), [-1, h * s, w, c]);
        return { output: tf.reshape(tf.mul(tf.reshape(tall, [-1, h * s, w, 1, c]), cols), [-1, h * s, w * s, c]) };
      },
      weights: noWeights,
      dispose: () => {
        rows.dispose();
        cols.dispose();
      },
    };
  },
  // Nearest neighbour: each pixel repeated along height (dim 2) and width (dim 3) of PyTorch's (N, C, H, W).
  toTorch: (node) => {
    const s = (node.params as UpSamplingParams).size;
    return { outputs: { output: `${node.inputs.input[0]}.repeat_interleave(${s}, dim=2).repeat_interleave(${s}, dim=3)` } };
  },
  toKeras: (node) => {
    const s = (node.params as UpSamplingParams).size;
    return {
      outputs: { output: `layers.UpSampling2D(size=${s}, name="${node.name}")(${node.inputs.input[0]})` },
      layer: layerConfig('UpSampling2D', node.name, { size: [s, s], data_format: 'channels_last', interpolation: 'nearest' }),
    };
  },
});
