import { defineNode, describeShape, noWeights, type Problem } from './define';

export const mseNode = defineNode<Record<string, never>>({
  type: 'mse',
  label: 'MSE',
  category: 'loss',
  doc: {
    summary: 'Reconstruction or regression loss: the average squared difference between the target and the prediction.',
    formula: '\\mathrm{MSE}(x, \\hat x) = \\operatorname{mean}_{b,i}\\,(x_{b,i} - \\hat x_{b,i})^2',
    keras: 'loss = keras.losses.MeanSquaredError()(target, prediction)',
    shapes: 'Inputs target, prediction: the same shape → a scalar loss.',
  },
  inputs: [
    { name: 'target', label: 'target', kind: 'tensor' },
    { name: 'prediction', label: 'prediction', kind: 'tensor' },
  ],
  outputs: [{ name: 'loss', label: 'loss', kind: 'loss' }],
  role: { kind: 'loss', prediction: 'prediction' },
  params: {},
  inferShape({ target, prediction }) {
    const problems: Problem[] = [];
    if (!target) problems.push({ port: 'target', message: 'MSE needs a target: wire the Dataset’s image (or the true values) into "target".' });
    if (!prediction) problems.push({ port: 'prediction', message: 'MSE needs a prediction: wire the model’s output into "prediction".' });
    if (problems.length) return { ok: false, problems };
    if (target.join() !== prediction.join())
      return {
        ok: false,
        problems: [{ port: 'prediction', message: `MSE: target is ${describeShape(target)} but prediction is ${describeShape(prediction)}; change the last layer so it outputs ${describeShape(target)}.` }],
      };
    return { ok: true, outputs: { loss: [] } };
  },
  paramCount: () => 0,
  build: ({ tf }) => ({ apply: (inp) => ({ loss: tf.mean(tf.squaredDifference(inp.target[0], inp.prediction[0])) }), weights: noWeights }),
  toTorch: (node) => ({ outputs: { loss: `torch.mean(torch.square(${node.inputs.target[0]} - ${node.inputs.prediction[0]}))` } }),
  toKeras: (node) => ({ outputs: { loss: `ops.mean(ops.square(${node.inputs.target[0]} - ${node.inputs.prediction[0]}))` } }),
});
