import { defineNode, noWeights, product } from './define';
import { isImage } from '../src/export/contract';
import { layerConfig } from '../src/export/ops';
import { reshapeStep } from './reshape';

export const flattenNode = defineNode<Record<string, never>>({
  type: 'flatten',
  label: 'Flatten',
  category: 'layer',
  doc: {
    summary: 'Lays every value of each sample out in one long vector, so a Dense layer can read it. It learns nothing.',
    formula: '(h, w, c) \\mapsto (h \\cdot w \\cdot c)',
    keras: 'layers.Flatten()',
    shapes: 'Input (batch, ...) → output (batch, product of the rest).',
  },
  inputs: [{ name: 'input', label: 'input', kind: 'tensor' }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: {},
  inferShape(inputs) {
    if (!inputs.input) return { ok: false, problems: [{ port: 'input', message: 'Flatten needs an input: wire a tensor into it.' }] };
    return { ok: true, outputs: { output: [product(inputs.input)] } };
  },
  paramCount: () => 0,
  build: ({ tf, inputShapes }) => {
    const n = product(inputShapes.input);
    return { apply: (inp) => ({ output: tf.reshape(inp.input[0], [-1, n]) }), weights: noWeights, step: (inp) => reshapeStep(tf, inp.input[0], [-1, n]) };
  },
  // Keras flattens (h, w, c) with channels last; PyTorch holds images channels first, so move them back first.
  toTorch: (node) =>
    isImage(node.inputShapes.input)
      ? { outputs: { output: `${node.inputs.input[0]}.permute(0, 2, 3, 1).flatten(1)` }, comment: 'channels last first, so the order is Keras\'s' }
      : { outputs: { output: `${node.inputs.input[0]}.flatten(1)` } },
  toKeras: (node) => ({ outputs: { output: `layers.Flatten(name="${node.name}")(${node.inputs.input[0]})` }, layer: layerConfig('Flatten', node.name, {}) }),
});
