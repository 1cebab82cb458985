import { defineNode, noWeights, type StepPart, type Tensor, noGrads } from './define';
import { sameLatent } from './sampling';
import type { Shape } from '../src/graph/document';

/** The latent size d, from μ's shape when it is wired. */
const latentDims = (inputs: Record<string, Shape>): number | null => (inputs.mean?.length === 1 ? inputs.mean[0] : null);

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
    // The whole KL of one image, then the loss as the chosen reduction makes it.
    formula: (p, inputs) => {
      // One step a line, so that it fits the side panel whole.
      const d = latentDims(inputs) ?? 'd';
      const whole = [
        `\\mathrm{KL}_b &= \\mathrm{KL}\\big(\\mathcal N(\\mu_b, \\sigma_b^2)\\,\\|\\,\\mathcal N(0, I)\\big)`,
        `&= -\\tfrac12 \\sum_{j=1}^{${d}} \\big(1 + \\log\\sigma_{bj}^2 - \\mu_{bj}^2 - \\sigma_{bj}^2\\big)`,
      ];
      const loss =
        p.reduction === 'mean'
          ? [`\\mathcal L_\\text{KL} &= \\frac{1}{B \\cdot ${d}} \\sum_{b=1}^{B} \\sum_{j=1}^{${d}} (\\dots)`, `&= \\frac{1}{${d}} \\cdot \\frac1B \\sum_{b=1}^{B} \\mathrm{KL}_b`]
          : [`\\mathcal L_\\text{KL} &= \\frac1B \\sum_{b=1}^{B} \\mathrm{KL}_b`];
      return `\\begin{aligned} ${[...whole, ...loss].join(' \\\\ ')} \\end{aligned}`;
    },
    keras: (p) =>
      p.reduction === 'mean'
        ? 'kl_loss = 1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var)\nkl_loss = tf.reduce_mean(kl_loss)  # over the batch and the latent dims\nkl_loss *= -0.5'
        : 'kl_loss = 1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var)\nkl_loss = tf.reduce_mean(tf.reduce_sum(kl_loss, axis=1))  # sum over latent dims, mean over the batch\nkl_loss *= -0.5',
    remark: (p, inputs) => {
      const d = latentDims(inputs);
      if (p.reduction !== 'mean')
        return `Summed over the${d ? ` ${d}` : ''} latent dimensions, as the paper writes it: the loss is the whole KL of each image, whatever the latent size.`;
      const here = d ? `here d = ${d}, so the loss is the KL ÷ ${d}` : 'the loss is the KL ÷ d';
      return `The mean runs over the latent dimensions too (the tutorial's code): ${here}. Going from 2 to 8 latent dimensions quarters the KL's weight against the reconstruction; β would have to grow 4× to keep the balance.`;
    },
    shapes: 'Inputs mean, logVar: (batch, d) → a scalar loss.',
  },
  inputs: [
    { name: 'mean', label: 'μ', kind: 'tensor' },
    { name: 'logVar', label: 'log σ²', kind: 'tensor' },
  ],
  outputs: [{ name: 'loss', label: 'loss', kind: 'loss' }],
  role: { kind: 'loss', mean: 'mean', logVar: 'logVar' },
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
  toTorch(node) {
    const [mu, logVar] = [node.inputs.mean[0], node.inputs.logVar[0]];
    const terms = `1 + ${logVar} - ${mu}.square() - torch.exp(${logVar})`;
    return { outputs: { loss: (node.params as KlParams).reduction === 'mean' ? `-0.5 * torch.mean(${terms})` : `-0.5 * torch.mean(torch.sum(${terms}, dim=-1))` } };
  },
  toKeras(node) {
    const [mu, logVar] = [node.inputs.mean[0], node.inputs.logVar[0]];
    const terms = `1 + ${logVar} - ops.square(${mu}) - ops.exp(${logVar})`;
    return { outputs: { loss: (node.params as KlParams).reduction === 'mean' ? `-0.5 * ops.mean(${terms})` : `-0.5 * ops.mean(ops.sum(${terms}, axis=-1))` } };
  },
});

/** The KL term of each latent dimension, averaged over the batch (for the latent metrics). */
export function klPerDimension(mean: ArrayLike<number>, logVar: ArrayLike<number>, dims: number): number[] {
  const out = new Array<number>(dims).fill(0);
  const n = mean.length / dims;
  for (let i = 0; i < mean.length; i++) out[i % dims] += -0.5 * (1 + logVar[i] - mean[i] ** 2 - Math.exp(logVar[i]));
  return out.map((v) => v / n);
}
