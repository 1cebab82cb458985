import { activationParam, defineNode, describeShape, layerNode, py, useBiasParam } from './define';
import { kerasActivation, layerConfig, torchActivation } from '../src/export/ops';

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
    keras: (p) => `layers.Dense(${[String(p.units), ...(p.activation !== 'linear' ? [`activation=${py(p.activation)}`] : []), ...(p.useBias ? [] : ['use_bias=False'])].join(', ')})`,
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
  build({ tf, inputShapes, kernelInitializer }, p) {
    const layer = tf.layers.dense({ units: p.units, activation: p.activation as 'relu', useBias: p.useBias, kernelInitializer: kernelInitializer() });
    return layerNode(layer, inputShapes.input);
  },
  toTorch(node) {
    const p = node.params as DenseParams;
    return {
      module: `nn.Linear(${node.inputShapes.input[0]}, ${p.units}${p.useBias ? '' : ', bias=False'})`,
      outputs: { output: torchActivation(p.activation, `self.${node.name}(${node.inputs.input[0]})`, false) },
      // Keras's kernel is (in, units); PyTorch's weight is (units, in).
      weights: [{ name: 'kernel', torch: 'weight', permute: [1, 0] }, ...(p.useBias ? [{ name: 'bias', torch: 'bias' }] : [])],
    };
  },
  toKeras(node) {
    const p = node.params as DenseParams;
    return {
      outputs: { output: `layers.Dense(${p.units}${kerasActivation(p.activation)}${p.useBias ? '' : ', use_bias=False'}, name="${node.name}")(${node.inputs.input[0]})` },
      layer: layerConfig('Dense', node.name, { units: p.units, activation: p.activation, use_bias: p.useBias }),
      weights: p.useBias ? ['kernel', 'bias'] : ['kernel'],
    };
  },
});
