import type * as tfjs from '@tensorflow/tfjs';
import { defineNode, noGrads, type NamedVariable, type StepPart, type Tensor } from './define';
import { isImage, pyFloat } from '../src/export/contract';
import { layerConfig } from '../src/export/ops';

// nn.BatchNorm2d(c, eps=ε, momentum=1 − m) computes the same output, but updates its running
// variance with the unbiased batch variance (× n/(n−1)); Keras (and Wirelab) keep the biased one.
const TORCH_BATCH_NORM = `class KerasBatchNorm(nn.Module):
    \"\"\"Keras's BatchNormalization: y = γ·(x − μ)/√(σ² + ε) + β per channel, with the batch's μ, σ² while
    training (and moving ← m·moving + (1 − m)·batch), the moving ones in eval mode. Like
    nn.BatchNorm2d(c, eps=ε, momentum=1 − m), except that the moving variance follows the biased
    batch variance, as Keras's does. γ, β are trained; moving_mean, moving_variance are buffers.\"\"\"

    def __init__(self, channels, axis, momentum, epsilon):
        super().__init__()
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))
        self.register_buffer("moving_mean", torch.zeros(channels))
        self.register_buffer("moving_variance", torch.ones(channels))

    def forward(self, x):
        axis = self.axis % x.dim()
        dims = [d for d in range(x.dim()) if d != axis]
        shape = [-1 if d == axis else 1 for d in range(x.dim())]
        if self.training:
            mean = x.mean(dim=dims)
            variance = (x - mean.reshape(shape)).square().mean(dim=dims)
            with torch.no_grad():
                self.moving_mean.mul_(self.momentum).add_(mean, alpha=1 - self.momentum)
                self.moving_variance.mul_(self.momentum).add_(variance, alpha=1 - self.momentum)
        else:
            mean, variance = self.moving_mean, self.moving_variance
        return (x - mean.reshape(shape)) / torch.sqrt(variance.reshape(shape) + self.epsilon) * self.gamma.reshape(shape) + self.beta.reshape(shape)`;


export interface BatchNormParams {
  [k: string]: number | boolean;
  momentum: number;
  epsilon: number;
}

const channels = (shape: number[] | undefined) => shape?.[shape.length - 1] ?? 0;

export const batchNormalizationNode = defineNode<BatchNormParams>({
  type: 'batch-normalization',
  label: 'BatchNormalization',
  category: 'layer',
  doc: {
    summary:
      'Normalises each channel to mean 0 and variance 1 — with the batch’s statistics while training, with moving averages of them when evaluating — then scales by a learned γ and shifts by a learned β. The moving mean and variance are kept with the weights but not trained.',
    formula:
      'y = \\gamma \\frac{x - \\mu_B}{\\sqrt{\\sigma_B^2 + \\epsilon}} + \\beta; \\quad \\bar\\mu \\leftarrow m \\bar\\mu + (1 - m)\\mu_B,\\; \\bar\\sigma^2 \\leftarrow m \\bar\\sigma^2 + (1 - m)\\sigma_B^2',
    keras: 'layers.BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001)',
    shapes: 'Input (batch, ..., c) → output of the same shape; 4·c parameters, 2·c of them (the moving mean and variance) non-trainable.',
  },
  inputs: [{ name: 'input', label: 'input', kind: 'tensor' }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: {
    momentum: { kind: 'float', label: 'Momentum', default: 0.99, min: 0, max: 0.9999, step: 0.01, help: 'How slowly the moving mean and variance follow the batches.' },
    epsilon: { kind: 'float', label: 'Epsilon', default: 0.001, min: 0, max: 1, step: 0.001, help: 'Added to the variance so that it never divides by zero.' },
  },
  inferShape(inputs) {
    if (!inputs.input) return { ok: false, problems: [{ port: 'input', message: 'BatchNormalization needs an input: wire a tensor into it.' }] };
    if (inputs.input.length === 0) return { ok: false, problems: [{ port: 'input', message: 'BatchNormalization needs a tensor with a channel axis, got a scalar.' }] };
    return { ok: true, outputs: { output: [...inputs.input] } };
  },
  // γ and β are trained; the moving mean and variance are not (Keras counts them as non-trainable).
  paramCount: (inputs) => 2 * channels(inputs.input),
  stateCount: (inputs) => 2 * channels(inputs.input),
  build({ tf, inputShapes, fast }, p) {
    const c = channels(inputShapes.input);
    const axes = Array.from({ length: inputShapes.input.length }, (_, i) => i); // batch and every axis but the channels
    // Inside tidy so the initial values are freed; variables themselves outlive it.
    const [gamma, beta, movingMean, movingVariance] = tf.tidy(() => [
      tf.variable(tf.ones([c]), true),
      tf.variable(tf.zeros([c]), true),
      tf.variable(tf.zeros([c]), false),
      tf.variable(tf.ones([c]), false),
    ]);
    const normalise = (x: tfjs.Tensor, mean: tfjs.Tensor, variance: tfjs.Tensor) =>
      tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, p.epsilon))), gamma), beta);
    return {
      apply(inp, ctx) {
        const x = inp.input[0];
        if (!ctx.training) return { output: normalise(x, movingMean, movingVariance) };
        const { mean, variance } = tf.moments(x, axes);
        // The moving statistics follow the batch's (Keras's assign_moving_average); no gradient flows through an assign.
        const m = p.momentum;
        movingMean.assign(tf.add(tf.mul(movingMean, m), tf.mul(mean, 1 - m)));
        movingVariance.assign(tf.add(tf.mul(movingVariance, m), tf.mul(variance, 1 - m)));
        return { output: normalise(x, mean, variance) };
      },
      // The fast step: the same forward and moving-average update as apply in training mode (its
      // constants kept scalars), and the batch-statistics backward in closed form:
      // ∂x = γ/σ·(dy − (Σdy + x̂·Σ(dy·x̂))/N), ∂γ = Σ(dy·x̂), ∂β = Σdy, sums over all but the channels.
      ...(fast
        ? {
            step(inp: Record<string, Tensor[]>): StepPart {
              const k = fast.ops.constant;
              const x = inp.input[0];
              const { mean, variance } = tf.moments(x, axes);
              const m = p.momentum;
              movingMean.assign(tf.add(tf.mul(movingMean, k(m)), tf.mul(mean, k(1 - m))));
              movingVariance.assign(tf.add(tf.mul(movingVariance, k(m)), tf.mul(variance, k(1 - m))));
              const std = tf.sqrt(tf.add(variance, k(p.epsilon)));
              const xHat = tf.div(tf.sub(x, mean), std);
              return {
                outputs: { output: tf.add(tf.mul(xHat, gamma), beta) },
                backward: (grads, wanted) => {
                  const dy = grads.output;
                  if (!dy) return noGrads();
                  const dBeta = fast.ops.columnSum(dy);
                  const dGamma = fast.ops.columnSum(tf.mul(dy, xHat));
                  const n = x.size / c;
                  const dx = wanted.has('input') ? tf.mul(tf.sub(dy, fast.ops.scale(tf.add(tf.mul(xHat, dGamma), dBeta), 1 / n)), tf.div(gamma, std)) : undefined;
                  return { inputs: { input: [dx] }, weights: [dGamma, dBeta] };
                },
              };
            },
          }
        : {}),
      weights: (): NamedVariable[] => [
        { name: 'gamma', variable: gamma },
        { name: 'beta', variable: beta },
      ],
      state: (): NamedVariable[] => [
        { name: 'moving_mean', variable: movingMean },
        { name: 'moving_variance', variable: movingVariance },
      ],
      dispose: () => [gamma, beta, movingMean, movingVariance].forEach((v) => v.dispose()),
    };
  },
  // Images are channels first in PyTorch: the channel axis is 1 there, the last axis otherwise.
  toTorch(node) {
    const p = node.params as BatchNormParams;
    const shape = node.inputShapes.input;
    return {
      module: `KerasBatchNorm(${channels(shape)}, axis=${isImage(shape) ? 1 : -1}, momentum=${pyFloat(p.momentum)}, epsilon=${pyFloat(p.epsilon)})`,
      outputs: { output: `self.${node.name}(${node.inputs.input[0]})` },
      weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((name) => ({ name, torch: name })),
      helpers: { KerasBatchNorm: TORCH_BATCH_NORM },
    };
  },
  toKeras(node) {
    const p = node.params as BatchNormParams;
    return {
      outputs: { output: `layers.BatchNormalization(momentum=${pyFloat(p.momentum)}, epsilon=${pyFloat(p.epsilon)}, name="${node.name}")(${node.inputs.input[0]})` },
      layer: layerConfig('BatchNormalization', node.name, { axis: -1, momentum: p.momentum, epsilon: p.epsilon, center: true, scale: true }),
      // Keras's order: the two trained, then the two moving statistics.
      weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'],
    };
  },
});
