import { activationParam, defineNode, describeShape, layerNode, useBiasParam } from './define';

export interface DenseParams {
  [k: string]: number | string | boolean;
  units: number;
  activation: string;
  useBias: boolean;
}

export const denseNode = defineNode<DenseParams>({
  type: 'dense',
  label: 'Dense',
  category: 'layer',
  doc: {
    summary: 'Every output is a weighted sum of every input plus a bias, passed through the activation: a fully connected layer.',
    formula: 'y = \\sigma(x W + b), \\quad W \\in \\mathbb{R}^{n \\times \\text{units}}',
    keras: 'layers.Dense(units, activation=None, use_bias=True)',
    shapes: 'Input (batch, n) → output (batch, units).',
  },
  inputs: [{ name: 'input', label: 'input', kind: 'tensor' }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: {
    units: { kind: 'int', label: 'Units', default: 32, min: 1, max: 65536, help: 'How many numbers it outputs.' },
    activation: activationParam('linear'),
    useBias: useBiasParam,
  },
  inferShape(inputs, p) {
    const x = inputs.input;
    if (!x) return { ok: false, problems: [{ port: 'input', message: 'Dense needs an input: wire a vector into it.' }] };
    if (x.length !== 1)
      return {
        ok: false,
        problems: [{ port: 'input', message: `Dense needs a flat vector, got ${describeShape(x)}; insert Flatten before it.`, fix: { label: 'Insert Flatten', insert: 'flatten' } }],
      };
    return { ok: true, outputs: { output: [p.units] } };
  },
  paramCount: (inputs, p) => (inputs.input?.[0] ?? 0) * p.units + (p.useBias ? p.units : 0),
  build({ tf, inputShapes }, p) {
    const layer = tf.layers.dense({ units: p.units, activation: p.activation as 'relu', useBias: p.useBias });
    return layerNode(layer, inputShapes.input);
  },
});
