import type * as tfjs from '@tensorflow/tfjs';
import { defineNode, noWeights, type Tf } from './define';
import { isImage, pyFloat, type KerasExport } from '../src/export/contract';
import { layerConfig, torchActivation } from '../src/export/ops';

export interface ActivationParams {
  [k: string]: number | string;
  activation: string;
  alpha: number;
}

const FORMULAS: Record<string, string> = {
  relu: '\\max(0, x)',
  sigmoid: '1 / (1 + e^{-x})',
  tanh: '\\tanh x',
  softmax: 'e^{x_i} / \\textstyle\\sum_j e^{x_j} \\text{ over the last axis}',
  'leaky-relu': 'x \\text{ if } x > 0 \\text{ else } \\alpha x',
  elu: 'x \\text{ if } x > 0 \\text{ else } \\alpha (e^x - 1)',
  gelu: 'x \\cdot \\Phi(x) = \\tfrac{x}{2}\\big(1 + \\operatorname{erf}(x/\\sqrt2)\\big)',
};

/** The activation as ops with gradients on every backend. */
export function activate(tf: Tf, name: string, x: tfjs.Tensor, alpha: number): tfjs.Tensor {
  switch (name) {
    case 'relu':
      return tf.relu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'softmax':
      return tf.softmax(x);
    case 'leaky-relu':
      return tf.leakyRelu(x, alpha);
    case 'elu':
      // Keras's ELU with α: x if x > 0 else α(eˣ − 1); tf.elu is the α = 1 case.
      return alpha === 1 ? tf.elu(x) : tf.where(tf.greater(x, 0), x, tf.mul(alpha, tf.sub(tf.exp(x), 1)));
    case 'gelu':
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
    default:
      throw new Error(`Unknown activation "${name}".`);
  }
}

export const activationNode = defineNode<ActivationParams>({
  type: 'activation',
  label: 'Activation',
  category: 'layer',
  doc: {
    summary: 'Applies a fixed function to every value: the non-linearity between layers (relu, sigmoid, tanh, softmax, leaky relu, elu, gelu). It learns nothing.',
    formula: Object.entries(FORMULAS)
      .map(([k, f]) => `\\text{${k}}: ${f}`)
      .join(' \\\\ '),
    keras: 'layers.Activation("relu")  # or layers.LeakyReLU(negative_slope=0.3), layers.ELU(alpha=1.0)',
    shapes: 'Input (batch, ...) → output of the same shape.',
  },
  inputs: [{ name: 'input', label: 'input', kind: 'tensor' }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: {
    activation: {
      kind: 'select',
      label: 'Function',
      default: 'relu',
      help: 'The function applied to each value; softmax works over the last axis.',
      options: Object.keys(FORMULAS).map((v) => ({ value: v, label: v.replace('-', ' ') })),
    },
    alpha: { kind: 'float', label: 'α', default: 0.3, min: 0, max: 10, step: 0.05, help: 'Slope for negative inputs (leaky relu, Keras 0.3) or the scale of elu’s negative side (Keras 1.0); other functions ignore it.', brief: (v, p) => (p.activation === 'leaky-relu' || p.activation === 'elu' ? `α ${v}` : null) },
  },
  inferShape(inputs) {
    if (!inputs.input) return { ok: false, problems: [{ port: 'input', message: 'Activation needs an input: wire a tensor into it.' }] };
    return { ok: true, outputs: { output: [...inputs.input] } };
  },
  paramCount: () => 0,
  build: ({ tf }, p) => ({ apply: (inp) => ({ output: activate(tf, p.activation, inp.input[0], p.alpha) }), weights: noWeights }),
  // gelu is the exact (erf) form on every side: ours, tfjs's, F.gelu's and Keras 3's default.
  toTorch(node) {
    const p = node.params as ActivationParams;
    const x = node.inputs.input[0];
    if (p.activation === 'leaky-relu') return { outputs: { output: `F.leaky_relu(${x}, negative_slope=${pyFloat(p.alpha)})` } };
    if (p.activation === 'elu') return { outputs: { output: `F.elu(${x}, alpha=${pyFloat(p.alpha)})` } };
    return { outputs: { output: torchActivation(p.activation, x, isImage(node.inputShapes.input)) } };
  },
  toKeras(node): KerasExport {
    const p = node.params as ActivationParams;
    const x = node.inputs.input[0];
    if (p.activation === 'leaky-relu')
      return { outputs: { output: `layers.LeakyReLU(negative_slope=${pyFloat(p.alpha)}, name="${node.name}")(${x})` }, layer: layerConfig('LeakyReLU', node.name, { alpha: p.alpha }) };
    if (p.activation === 'elu') return { outputs: { output: `layers.ELU(alpha=${pyFloat(p.alpha)}, name="${node.name}")(${x})` }, layer: layerConfig('ELU', node.name, { alpha: p.alpha }) };
    return { outputs: { output: `layers.Activation("${p.activation}", name="${node.name}")(${x})` }, layer: layerConfig('Activation', node.name, { activation: p.activation }) };
  },
});
