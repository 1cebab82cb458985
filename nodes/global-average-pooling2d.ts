import { defineNode, noWeights } from './define';
import { imageInput } from './conv2d';
import { layerConfig } from '../src/export/ops';

export const globalAveragePooling2dNode = defineNode<Record<string, never>>({
  type: 'global-average-pooling2d',
  label: 'GlobalAveragePooling2D',
  category: 'layer',
  doc: {
    summary: 'Averages each channel over the whole image: one number per feature map, whatever the image size. It learns nothing.',
    formula: 'y_c = \\frac{1}{h w} \\sum_{i,j} x_{i,j,c}',
    keras: 'layers.GlobalAveragePooling2D()',
    shapes: 'Input (batch, h, w, c) → output (batch, c).',
  },
  inputs: [{ name: 'input', label: 'input', kind: 'tensor' }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: {},
  inferShape: (inputs) => imageInput('GlobalAveragePooling2D', inputs.input) ?? { ok: true, outputs: { output: [inputs.input[2]] } },
  paramCount: () => 0,
  build: ({ tf }) => ({ apply: (inp) => ({ output: tf.mean(inp.input[0], [1, 2]) }), weights: noWeights }),
  // PyTorch holds images (N, C, H, W): the mean over height and width is over dims 2 and 3.
  toTorch: (node) => ({ outputs: { output: `${node.inputs.input[0]}.mean(dim=(2, 3))` } }),
  toKeras: (node) => ({
    outputs: { output: `layers.GlobalAveragePooling2D(name="${node.name}")(${node.inputs.input[0]})` },
    layer: layerConfig('GlobalAveragePooling2D', node.name, { data_format: 'channels_last' }),
  }),
});
