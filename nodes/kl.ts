import { defineNode, noWeights, type StepPart, type Tensor, noGrads } from './define';
import { sameLatent } from './sampling';

export interface KlParams {
  [k: string]: string;
  reduction: 'mean' | 'sum-latent';
}

export const klNode = defineNode<KlParams>({
  type: 'kl',
  label: 'KL divergence',
  category: 'loss',
  doc: {
    summary:
      'How far the encoder’s distribution N(μ, σ²) is from the standard normal N(0, I). It pulls the latent points towards the origin and keeps the latent space smooth.',
    formula:
      '\\mathrm{KL}\\big(\\mathcal N(\\mu, \\sigma^2)\\,\\|\\,\\mathcal N(0, I)\\big) = -\\tfrac12 \\sum_j \\big(1 + \\log\\sigma_j^2 - \\mu_j^2 - \\sigma_j^2\\big)',
    keras: 'kl = 1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var)\nkl_loss = -0.5 * tf.reduce_mean(kl)',
    shapes: 'Inputs mean, logVar: (batch, d) → a scalar loss.',
  },
  inputs: [
    { name: 'mean', label: 'μ', kind: 'tensor' },
    { name: 'logVar', label: 'log σ²', kind: 'tensor' },
  ],
  outputs: [{ name: 'loss', label: 'loss', kind: 'loss' }],
  params: {
    reduction: {
      kind: 'select',
      label: 'Reduction',
      default: 'mean',
      help: 'mean: over batch and latent dimensions (the tutorial’s code); sum over latent dims, batch mean: the paper’s.',
      options: [
        { value: 'mean', label: 'mean' },
        { value: 'sum-latent', label: 'sum over latent dims, batch mean' },
      ],
    },
  },
  inferShape(inputs) {
    return sameLatent('KL divergence', inputs.mean, inputs.logVar) ?? { ok: true, outputs: { loss: [] } };
  },
  paramCount: () => 0,
  build: ({ tf, fast }, p) => ({
    ...(fast
      ? {
          // −½·mean(...) as scale·Σ(...): one reduction kernel forward, one kernel (both gradients) back.
          step(inp: Record<string, Tensor[]>): StepPart {
            const mu = inp.mean[0];
            const logVar = inp.logVar[0];
            const n = p.reduction === 'mean' ? mu.size : mu.shape[0];
            const scale = -0.5 / n;
            return {
              outputs: { loss: fast.ops.klLoss(mu, logVar, scale) },
              backward: (grads) => {
                if (!grads.loss) return noGrads();
                const [dMu, dLogVar] = fast.ops.klGrad(mu, logVar, grads.loss, -2 * scale);
                return { inputs: { mean: [dMu], logVar: [dLogVar] }, weights: [] };
              },
            };
          },
        }
      : {}),
    apply(inp) {
      const mu = inp.mean[0];
      const logVar = inp.logVar[0];
      const terms = tf.sub(tf.sub(tf.add(1, logVar), tf.square(mu)), tf.exp(logVar));
      const reduced = p.reduction === 'mean' ? tf.mean(terms) : tf.mean(tf.sum(terms, -1));
      return { loss: tf.mul(-0.5, reduced) };
    },
    weights: noWeights,
  }),
});

/** The KL term of each latent dimension, averaged over the batch (for the latent metrics). */
export function klPerDimension(mean: ArrayLike<number>, logVar: ArrayLike<number>, dims: number): number[] {
  const out = new Array<number>(dims).fill(0);
  const n = mean.length / dims;
  for (let i = 0; i < mean.length; i++) out[i % dims] += -0.5 * (1 + logVar[i] - mean[i] ** 2 - Math.exp(logVar[i]));
  return out.map((v) => v / n);
}
