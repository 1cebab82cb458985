import { defineNode, noGrads, noWeights, type StepPart, type Tensor } from './define';
import { pyFloat } from '../src/export/contract';
import { layerConfig } from '../src/export/ops';

export interface DropoutParams {
  [k: string]: number;
  rate: number;
}

export const dropoutNode = defineNode<DropoutParams>({
  type: 'dropout',
  label: 'Dropout',
  category: 'layer',
  doc: {
    summary:
      'While training, sets each value to 0 with probability rate and scales the rest by 1/(1−rate), so no unit can rely on another; when evaluating or plotting it passes everything through unchanged.',
    formula: 'y = \\frac{m \\odot x}{1 - r}, \\; m_i \\sim \\text{Bernoulli}(1 - r) \\text{ (training)}; \\quad y = x \\text{ (inference)}',
    keras: 'layers.Dropout(rate=0.5)',
    shapes: 'Input (batch, ...) → output of the same shape.',
  },
  inputs: [{ name: 'input', label: 'input', kind: 'tensor' }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: {
    rate: { kind: 'float', label: 'Rate', default: 0.5, min: 0, max: 0.95, step: 0.05, help: 'The fraction of values dropped at each training step.' },
  },
  inferShape(inputs) {
    if (!inputs.input) return { ok: false, problems: [{ port: 'input', message: 'Dropout needs an input: wire a tensor into it.' }] };
    return { ok: true, outputs: { output: [...inputs.input] } };
  },
  paramCount: () => 0,
  build: ({ tf, fast }, p) => ({
    apply: (inp, ctx) => ({ output: ctx.training && p.rate > 0 ? tf.dropout(inp.input[0], p.rate) : tf.clone(inp.input[0]) }),
    weights: noWeights,
    // The mask drawn as tf.dropout draws it (the same random stream, the same values dropped), kept
    // for the backward; its constants are kept scalars.
    ...(fast
      ? {
          step: (inp: Record<string, Tensor[]>): StepPart => {
            const x = inp.input[0];
            if (p.rate <= 0) return { outputs: { output: x }, backward: (grads, wanted) => ({ inputs: { input: [wanted.has('input') ? grads.output : undefined] }, weights: [] }) };
            const keep = fast.ops.constant(1 - p.rate);
            const mask = tf.div(tf.floor(tf.add(tf.randomUniform(x.shape, 0, 1, 'float32'), keep)), keep);
            return {
              outputs: { output: tf.mul(x, mask) },
              backward: (grads, wanted) => (grads.output && wanted.has('input') ? { inputs: { input: [tf.mul(grads.output, mask)] }, weights: [] } : noGrads()),
            };
          },
        }
      : {}),
  }),
  // Both scale the kept values by 1/(1 − rate) while training and pass everything in eval mode.
  toTorch: (node) => ({ outputs: { output: `F.dropout(${node.inputs.input[0]}, p=${pyFloat((node.params as DropoutParams).rate)}, training=self.training)` } }),
  toKeras: (node) => {
    const rate = (node.params as DropoutParams).rate;
    return {
      outputs: { output: `layers.Dropout(${pyFloat(rate)}, name="${node.name}")(${node.inputs.input[0]})` },
      layer: layerConfig('Dropout', node.name, { rate }),
    };
  },
});
