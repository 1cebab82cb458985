import { defineNode, noWeights } from './define';
import { classScores } from './categorical-cross-entropy';

export const accuracyNode = defineNode<Record<string, never>>({
  type: 'accuracy',
  label: 'Accuracy',
  category: 'loss',
  doc: {
    summary:
      'The fraction of images whose highest score is their true class. It is charted beside the losses and shown on the node, but never minimised: training cannot follow its gradient (it has none).',
    formula: '\\text{acc} = \\operatorname{mean}_b \\big[\\arg\\max_k z_{b,k} = \\text{label}_b\\big]',
    keras: 'model.compile(..., metrics=["accuracy"])  # keras.metrics.SparseCategoricalAccuracy()',
    shapes: 'Inputs scores: (batch, classes), logits or probabilities; labels: (batch,) → a number in [0, 1].',
  },
  inputs: [
    { name: 'scores', label: 'scores', kind: 'tensor' },
    { name: 'labels', label: 'labels', kind: 'labels' },
  ],
  outputs: [],
  role: { kind: 'metric', output: 'accuracy', format: 'percent' },
  params: {},
  inferShape(inputs, _p, ctx) {
    const problems = classScores('Accuracy', 'scores', inputs.scores, inputs.labels, ctx.dataset);
    return problems.length ? { ok: false, problems } : { ok: true, outputs: {} };
  },
  paramCount: () => 0,
  build: ({ tf }) => ({
    apply: (inp) => ({ accuracy: tf.mean(tf.cast(tf.equal(tf.argMax(inp.scores[0], -1), tf.cast(inp.labels[0], 'int32')), 'float32')) }),
    weights: noWeights,
  }),
  // A number to print, not to minimise: it has no gradient on either side.
  toTorch: (node) => ({ outputs: { accuracy: `(${node.inputs.scores[0]}.argmax(dim=-1) == ${node.inputs.labels[0]}).float().mean()` } }),
  toKeras: (node) => ({
    outputs: { accuracy: `ops.mean(ops.cast(ops.equal(ops.cast(ops.argmax(${node.inputs.scores[0]}, axis=-1), "int32"), ops.cast(${node.inputs.labels[0]}, "int32")), "float32"))` },
  }),
});
