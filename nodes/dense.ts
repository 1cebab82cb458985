import type * as tfjs from '@tensorflow/tfjs';
import { activationParam, defineNode, describeShape, layerNode, py, useBiasParam, type BuiltNode, type StepPart, type Tensor, noGrads } from './define';
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
    units: { kind: 'int', label: 'Units', default: 32, min: 1, max: 65536, help: 'How many numbers it outputs.', brief: (v) => `${v.toLocaleString('en-US')} ${v === 1 ? 'unit' : 'units'}` },
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
  build({ tf, inputShapes, kernelInitializer, fast }, p) {
    const layer = tf.layers.dense({ units: p.units, activation: p.activation as 'relu', useBias: p.useBias, kernelInitializer: kernelInitializer() });
    const node: BuiltNode = layerNode(layer, inputShapes.input);
    if (!fast || !fast.ops.supports(p.activation)) return node;
    const act = p.activation;
    const [kernel, bias] = node.weights().map((w) => w.variable as tfjs.Tensor);
    // tfjs's fused matMul has no tanh: then a matMul and the fused bias + activation.
    const forward = (x: tfjs.Tensor2D) =>
      act === 'tanh' ? (fast.ops.biasActivation(tf.matMul(x, kernel as tfjs.Tensor2D), bias ?? null, act) as tfjs.Tensor2D) : fast.ops.dense(x, kernel as tfjs.Tensor2D, bias ?? null, act);
    return {
      ...node,
      step: (inputs: Record<string, Tensor[]>): StepPart => {
        const x = inputs.input[0] as tfjs.Tensor2D;
        const y = forward(x);
        return {
          outputs: { output: y },
          backward: (grads, wanted) => {
            if (!grads.output) return noGrads();
            const d = fast.ops.activationGrad(grads.output, y, act) as tfjs.Tensor2D;
            const dKernel = tf.matMul(x, d, true, false);
            const dx = wanted.has('input') ? tf.matMul(d, kernel as tfjs.Tensor2D, false, true) : undefined;
            return { inputs: { input: [dx] }, weights: bias ? [dKernel, fast.ops.columnSum(d)] : [dKernel] };
          },
        };
      },
    };
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
