import { defineNode, describeShape, noWeights, type InferResult, noGrads } from './define';

const TORCH_SAMPLING = `class Sampling(nn.Module):
    """z = μ + exp(½·log σ²)·ε, ε ~ N(0, I): the reparameterisation trick. Returns μ when not training."""

    noise = None  # a function (shape, like) -> ε; --eps sets it so a run can be compared with Wirelab's

    def forward(self, mean, log_var):
        if not self.training:
            return mean
        eps = Sampling.noise(mean.shape, mean) if Sampling.noise else torch.randn_like(mean)
        return mean + torch.exp(0.5 * log_var) * eps`;

const KERAS_SAMPLING = `class Sampling(layers.Layer):
    """z = μ + exp(½·log σ²)·ε, ε ~ N(0, I): the reparameterisation trick."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Keras 3 draws inside a compiled train_step only from a seed generator (a new ε every step).
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(shape=ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon`;
import type { Shape } from '../src/graph/document';

/** μ and log σ² must both be vectors of the same length; used by Sampling and KL. */
export function sameLatent(label: string, mean: Shape | undefined, logVar: Shape | undefined): InferResult | null {
  const problems = [];
  if (!mean) problems.push({ port: 'mean', message: `${label} needs μ: wire the encoder's mean (a Dense layer) into "mean".` });
  if (!logVar) problems.push({ port: 'logVar', message: `${label} needs log σ²: wire the encoder's log-variance (a Dense layer) into "logVar".` });
  if (problems.length) return { ok: false, problems };
  if (mean!.length !== 1 || logVar!.length !== 1)
    return { ok: false, problems: [{ port: mean!.length !== 1 ? 'mean' : 'logVar', message: `${label} needs flat vectors; insert Flatten and a Dense layer before it.` }] };
  if (mean![0] !== logVar![0])
    return {
      ok: false,
      problems: [
        {
          port: 'logVar',
          message: `${label}: μ is ${describeShape(mean)} but log σ² is ${describeShape(logVar)}; give both Dense layers the same number of units.`,
          // Applies when a Dense feeds log σ² (the editor checks that the node has the param).
          fix: { label: `Set units to ${mean![0]} to match μ`, set: { port: 'logVar', name: 'units', value: mean![0] } },
        },
      ],
    };
  return null;
}

export const samplingNode = defineNode<Record<string, never>>({
  type: 'sampling',
  label: 'Sampling',
  category: 'latent',
  doc: {
    summary:
      'Draws a latent point z from the normal distribution the encoder predicts, written so gradients flow through μ and σ (the reparameterisation trick). When plotting it returns μ.',
    formula: 'z = \\mu + e^{\\frac{1}{2}\\log\\sigma^2} \\odot \\varepsilon, \\quad \\varepsilon \\sim \\mathcal{N}(0, I)',
    keras: 'class Sampling(Layer):\n    def call(self, inputs):\n        z_mean, z_log_var = inputs\n        eps = tf.random.normal(tf.shape(z_mean))\n        return z_mean + tf.exp(0.5 * z_log_var) * eps',
    shapes: 'Inputs mean, logVar: (batch, d) → output z: (batch, d).',
  },
  inputs: [
    { name: 'mean', label: 'μ', kind: 'tensor' },
    { name: 'logVar', label: 'log σ²', kind: 'tensor' },
  ],
  outputs: [{ name: 'z', label: 'z', kind: 'tensor' }],
  params: {},
  role: { kind: 'latent-sampler', mean: 'mean', logVar: 'logVar', z: 'z' },
  inferShape(inputs) {
    return sameLatent('Sampling', inputs.mean, inputs.logVar) ?? { ok: true, outputs: { z: [...inputs.mean] } };
  },
  paramCount: () => 0,
  build: ({ tf, fast, nextSeed }) => ({
    ...(fast
      ? {
          // ε is drawn as in apply (same generator, same order), then one fused kernel each way.
          step(inp) {
            const [mu] = inp.mean;
            const [logVar] = inp.logVar;
            const eps = fast.ops.uploaded(tf.randomNormal(mu.shape, 0, 1, 'float32', nextSeed()));
            return {
              outputs: { z: fast.ops.sampling(mu, logVar, eps) },
              backward: (grads, wanted) => {
                const dz = grads.z;
                if (!dz) return noGrads();
                return { inputs: { mean: [wanted.has('mean') ? dz : undefined], logVar: [wanted.has('logVar') ? fast.ops.samplingGrad(dz, logVar, eps) : undefined] }, weights: [] };
              },
            };
          },
        }
      : {}),
    apply(inp, ctx) {
      const [mean] = inp.mean;
      if (!ctx.training) return { z: tf.clone(mean) };
      // A seeded draw per step: the same training.seed gives the same ε sequence.
      const eps = tf.randomNormal(mean.shape, 0, 1, 'float32', nextSeed());
      return { z: tf.add(mean, tf.mul(tf.exp(tf.mul(0.5, inp.logVar[0])), eps)) };
    },
    weights: noWeights,
  }),
  toTorch: (node) => ({
    module: 'Sampling()',
    outputs: { z: `self.${node.name}(${node.inputs.mean[0]}, ${node.inputs.logVar[0]})` },
    helpers: { Sampling: TORCH_SAMPLING },
  }),
  // A custom layer: Keras runs it, tfjs-layers has no such class (so no `layer`).
  toKeras: (node) => ({
    module: `Sampling(name="${node.name}")`,
    outputs: { z: `self.${node.name}([${node.inputs.mean[0]}, ${node.inputs.logVar[0]}])` },
    helpers: { Sampling: KERAS_SAMPLING },
  }),
});
