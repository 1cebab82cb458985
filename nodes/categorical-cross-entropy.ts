import { defineNode, describeShape, noGrads, noWeights, type DatasetInfo, type Problem, type StepPart, type Tensor } from './define';
import type { Shape } from '../src/graph/document';

/** Class scores and the Dataset's labels: the scores must be one vector with a value per class. */
export function classScores(label: string, port: string, scores: Shape | undefined, labels: Shape | undefined, dataset: DatasetInfo): Problem[] {
  const problems: Problem[] = [];
  if (!scores) problems.push({ port, message: `${label} needs the class scores: wire the last Dense layer (units = number of classes) into "${port}".` });
  else if (scores.length !== 1) problems.push({ port, message: `${label} needs one score per class, a vector, got ${describeShape(scores)}; insert Flatten and a Dense layer with ${dataset.classNames.length} units.` });
  else if (scores[0] < dataset.classNames.length)
    problems.push({ port, message: `${label}: ${dataset.name} has ${dataset.classNames.length} classes but "${port}" has ${scores[0]} values; give the last Dense layer ${dataset.classNames.length} units.` });
  if (!labels) problems.push({ port: 'labels', message: `${label} needs the true classes: wire the Dataset’s label into "labels".` });
  return problems;
}

export const categoricalCrossEntropyNode = defineNode<Record<string, never>>({
  type: 'categorical-cross-entropy',
  label: 'Softmax cross-entropy',
  category: 'loss',
  doc: {
    summary:
      'Classification loss: turns the scores (logits) into probabilities with softmax and charges −log of the probability given to the true class, averaged over the batch. The Dataset’s integer labels are made one-hot here.',
    formula: '\\mathcal L = -\\operatorname{mean}_b \\sum_k y_{b,k} \\log \\operatorname{softmax}(z_b)_k, \\quad y_b = \\text{one\\_hot}(\\text{label}_b)',
    keras: 'loss = keras.losses.CategoricalCrossentropy(from_logits=True)(keras.ops.one_hot(y, 10), logits)\n# or SparseCategoricalCrossentropy(from_logits=True)(y, logits)',
    shapes: 'Inputs logits: (batch, classes); labels: (batch,) integers → a scalar loss.',
  },
  inputs: [
    { name: 'logits', label: 'logits', kind: 'tensor' },
    { name: 'labels', label: 'labels', kind: 'labels' },
  ],
  outputs: [{ name: 'loss', label: 'loss', kind: 'loss' }],
  role: { kind: 'loss' },
  params: {},
  inferShape(inputs, _p, ctx) {
    const problems = classScores('Softmax cross-entropy', 'logits', inputs.logits, inputs.labels, ctx.dataset);
    return problems.length ? { ok: false, problems } : { ok: true, outputs: { loss: [] } };
  },
  paramCount: () => 0,
  build: ({ tf, inputShapes, fast }) => {
    const classes = inputShapes.logits[0];
    const forward = (inp: Record<string, Tensor[]>) => {
      const oneHot = tf.oneHot(tf.cast(inp.labels[0], 'int32'), classes);
      // −Σ y·log softmax(z), with logSoftmax for stability (as from_logits=True does).
      const logP = tf.logSoftmax(inp.logits[0]);
      return { oneHot, logP, loss: tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logP), -1))) };
    };
    return {
      apply: (inp) => ({ loss: forward(inp).loss }),
      weights: noWeights,
      // ∂/∂z = (softmax(z) − y)·dl / batch.
      ...(fast
        ? {
            step(inp: Record<string, Tensor[]>): StepPart {
              const { oneHot, logP, loss } = forward(inp);
              return {
                outputs: { loss },
                backward: (grads, wanted) =>
                  grads.loss && wanted.has('logits') ? { inputs: { logits: [tf.mul(tf.sub(tf.exp(logP), oneHot), fast.ops.scale(grads.loss, 1 / logP.shape[0]))] }, weights: [] } : noGrads(),
              };
            },
          }
        : {}),
    };
  },
  // The integer labels as they are: PyTorch's cross_entropy and Keras's sparse loss take class indices.
  toTorch: (node) => ({ outputs: { loss: `F.cross_entropy(${node.inputs.logits[0]}, ${node.inputs.labels[0]})` } }),
  toKeras: (node) => ({ outputs: { loss: `ops.mean(keras.losses.sparse_categorical_crossentropy(${node.inputs.labels[0]}, ${node.inputs.logits[0]}, from_logits=True))` } }),
});
