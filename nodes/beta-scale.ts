import { defineNode, noWeights, type StepPart, type Tensor } from './define';
import { pyFloat } from '../src/export/contract';

export interface BetaParams {
  [k: string]: number;
  beta: number;
}

export const betaScaleNode = defineNode<BetaParams>({
  type: 'beta-scale',
  label: 'β-scale',
  category: 'loss',
  doc: {
    summary:
      'Multiplies a loss by β. In a β-VAE, β weighs the KL term against reconstruction: β = 0 ignores the prior, a large β gives a smoother but blurrier latent space.',
    formula: '\\mathcal L_\\text{out} = \\beta \\cdot \\mathcal L_\\text{in}',
    keras: (p) => `beta = ${p.beta}\ntotal_loss = reconstruction_loss + beta * kl_loss`,
    shapes: 'A scalar loss → a scalar loss.',
  },
  inputs: [{ name: 'loss', label: 'loss', kind: 'loss' }],
  outputs: [{ name: 'loss', label: 'loss', kind: 'loss' }],
  role: { kind: 'loss' },
  params: {
    beta: { kind: 'float', label: 'β', default: 1, min: 0, max: 100, step: 0.5, slider: true, live: true, help: 'The loss’s weight; can change while training runs.' },
  },
  inferShape(inputs) {
    if (!inputs.loss) return { ok: false, problems: [{ port: 'loss', message: 'β-scale needs a loss: wire a loss node (such as KL divergence) into it.' }] };
    return { ok: true, outputs: { loss: [] } };
  },
  paramCount: () => 0,
  // Reads β at every step, so a live edit takes effect at the next one.
  build: ({ tf, fast }, p) => ({
    apply: (inp) => ({ loss: tf.mul(inp.loss[0], p.beta) }),
    weights: noWeights,
    // β is a kernel attribute, read at each step: a live change uploads nothing.
    ...(fast
      ? {
          step: (inp: Record<string, Tensor[]>): StepPart => {
            const beta = p.beta;
            return {
              outputs: { loss: fast.ops.scale(inp.loss[0], beta) },
              backward: (grads) => ({ inputs: { loss: [grads.loss ? fast.ops.scale(grads.loss, beta) : undefined] }, weights: [] }),
            };
          },
        }
      : {}),
  }),
  toTorch: (node) => ({ outputs: { loss: `${node.inputs.loss[0]} * ${pyFloat((node.params as BetaParams).beta)}` } }),
  toKeras: (node) => ({ outputs: { loss: `${node.inputs.loss[0]} * ${pyFloat((node.params as BetaParams).beta)}` } }),
});
