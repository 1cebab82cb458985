import { defineNode, describeShape, noWeights, product, type StepPart, type Tensor, noGrads } from './define';
import type { ExportNode } from '../src/export/contract';

export interface BceParams {
  [k: string]: string;
  reduction: 'mean-x-pixels' | 'sum' | 'mean';
}

// Keras clips predictions to [ε, 1 − ε] before the logs.
const EPSILON = 1e-7;

const TORCH_BCE = `def binary_crossentropy(target, prediction):
    """Keras's binary cross-entropy of probabilities, per element: the prediction clipped to [ε, 1 − ε] first."""
    p = prediction.clamp(${EPSILON}, 1 - ${EPSILON})
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p))`;

/** The factor after the mean, as Python: mean × pixels is the tutorial's 28 * 28 (h·w); sum is h·w·c. */
function bceFactor(node: ExportNode): string {
  const shape = node.inputShapes.target;
  const reduction = (node.params as BceParams).reduction;
  const dims = reduction === 'mean' ? [] : reduction === 'sum' ? shape : shape.slice(0, -1);
  return product(dims) === 1 ? '' : ` * ${dims.length > 1 ? `(${dims.join(' * ')})` : dims[0]}`;
}

export const bceNode = defineNode<BceParams>({
  type: 'bce',
  label: 'BCE',
  category: 'loss',
  doc: {
    summary:
      'Reconstruction loss: how surprised the model is by each true pixel, treating the predicted pixel as the probability that it is bright.',
    formula: (p, inputs) => {
      const each = '\\mathrm{BCE}(x, \\hat x) = -\\big[x \\log \\hat x + (1 - x)\\log(1 - \\hat x)\\big]';
      const n = inputs.target ? product(inputs.target) : null;
      const pixels = inputs.target ? product(inputs.target.slice(0, -1)) : null;
      const loss =
        p.reduction === 'mean-x-pixels'
          ? `\\mathcal L = ${pixels ?? 'h w'} \\cdot \\operatorname{mean}_{b,i}\\,\\mathrm{BCE}(x_{bi}, \\hat x_{bi})`
          : p.reduction === 'sum'
            ? `\\mathcal L = \\frac1B \\sum_{b} \\sum_{i=1}^{${n ?? 'n'}} \\mathrm{BCE}(x_{bi}, \\hat x_{bi})`
            : '\\mathcal L = \\operatorname{mean}_{b,i}\\,\\mathrm{BCE}(x_{bi}, \\hat x_{bi})';
      return `\\begin{aligned} ${each.replace(' = ', ' &= ')} \\\\ ${loss.replace(' = ', ' &= ')} \\end{aligned}`;
    },
    keras: (p, inputs) => {
      const hw = inputs.target?.length === 3 ? `${inputs.target[0]} * ${inputs.target[1]}` : 'h * w';
      if (p.reduction === 'mean-x-pixels')
        return `reconstruction_loss = tf.reduce_mean(keras.losses.binary_crossentropy(data, reconstruction))\nreconstruction_loss *= ${hw}`;
      if (p.reduction === 'sum')
        return 'reconstruction_loss = tf.reduce_mean(tf.reduce_sum(keras.backend.binary_crossentropy(data, reconstruction), axis=(1, 2, 3)))';
      return 'reconstruction_loss = tf.reduce_mean(keras.backend.binary_crossentropy(data, reconstruction))';
    },
    shapes: 'Inputs target, prediction: the same shape, values in [0, 1] → a scalar loss.',
  },
  inputs: [
    { name: 'target', label: 'target', kind: 'tensor' },
    { name: 'prediction', label: 'prediction', kind: 'tensor' },
  ],
  outputs: [{ name: 'loss', label: 'loss', kind: 'loss' }],
  role: { kind: 'loss', prediction: 'prediction' },
  params: {
    reduction: {
      kind: 'select',
      label: 'Reduction',
      default: 'mean-x-pixels',
      help: 'mean × pixels: the tutorial’s mean(bce)·28·28; sum: summed over each image, averaged over the batch; mean: the plain average.',
      options: [
        { value: 'mean-x-pixels', label: 'mean × pixels' },
        { value: 'sum', label: 'sum per image' },
        { value: 'mean', label: 'mean' },
      ],
    },
  },
  inferShape(inputs) {
    const { target, prediction } = inputs;
    const problems = [];
    if (!target) problems.push({ port: 'target', message: 'BCE needs a target: wire the Dataset’s image into "target".' });
    if (!prediction) problems.push({ port: 'prediction', message: 'BCE needs a prediction: wire the decoder’s output (sigmoid) into "prediction".' });
    if (problems.length) return { ok: false, problems };
    if (target.join() !== prediction.join())
      return {
        ok: false,
        problems: [
          {
            port: 'prediction',
            message: `BCE: target is ${describeShape(target)} but prediction is ${describeShape(prediction)}; change the decoder so its last layer outputs ${describeShape(target)}.`,
          },
        ],
      };
    return { ok: true, outputs: { loss: [] } };
  },
  paramCount: () => 0,
  build: ({ tf, inputShapes, fast }, p) => {
    // Per sample, Keras averages over the last axis (channels); the pixel factor is h·w.
    const shape = inputShapes.target;
    const pixels = product(shape.slice(0, -1));
    const elements = product(shape);
    const factor = p.reduction === 'mean' ? 1 : p.reduction === 'sum' ? elements : pixels;
    return {
      // One reduction kernel forward and one elementwise kernel back: scale·Σ BCE with scale = factor / (batch·elements).
      ...(fast
        ? {
            step(inp: Record<string, Tensor[]>): StepPart {
              const x = inp.target[0];
              const y = inp.prediction[0];
              const scale = factor / (x.shape[0] * elements);
              return {
                outputs: { loss: fast.ops.bceLoss(x, y, scale, EPSILON) },
                backward: (grads, wanted) => {
                  const dl = grads.loss;
                  if (!dl) return noGrads();
                  const q = () => tf.clipByValue(y, EPSILON, 1 - EPSILON);
                  return {
                    inputs: {
                      prediction: [wanted.has('prediction') ? fast.ops.bceGrad(x, y, dl, scale, EPSILON) : undefined],
                      // Rare (a target computed by the model): tfjs ops.
                      target: [wanted.has('target') ? tf.mul(tf.mul(dl, -scale), tf.sub(tf.log(q()), tf.log(tf.sub(1, q())))) : undefined],
                    },
                    weights: [],
                  };
                },
              };
            },
          }
        : {}),
      apply(inp) {
        const x = inp.target[0];
        const y = tf.clipByValue(inp.prediction[0], EPSILON, 1 - EPSILON);
        const bce = tf.neg(tf.add(tf.mul(x, tf.log(y)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, y)))));
        // Per image first, then over the batch: one float32 sum over the whole batch drifts by ~1e-4.
        const mean = tf.mean(tf.mean(tf.reshape(bce, [bce.shape[0], -1]), 1));
        const loss = p.reduction === 'mean' ? mean : tf.mul(mean, p.reduction === 'sum' ? elements : pixels);
        return { loss };
      },
      weights: noWeights,
    };
  },
  toTorch: (node) => ({
    outputs: { loss: `torch.mean(binary_crossentropy(${node.inputs.target[0]}, ${node.inputs.prediction[0]}))${bceFactor(node)}` },
    helpers: { binary_crossentropy: TORCH_BCE },
  }),
  // keras.losses.binary_crossentropy averages over the last axis (channels); the mean of that is the mean over all.
  toKeras: (node) => ({
    outputs: { loss: `ops.mean(keras.losses.binary_crossentropy(${node.inputs.target[0]}, ${node.inputs.prediction[0]}))${bceFactor(node)}` },
  }),
});
