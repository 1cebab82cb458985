import { defineNode, noWeights } from './define';

export const objectiveNode = defineNode<Record<string, never>>({
  type: 'objective',
  label: 'Objective',
  category: 'loss',
  doc: {
    summary: 'Adds up every loss wired into it. This total is what training minimises; each wired loss is also charted on its own.',
    formula: '\\mathcal L = \\sum_k \\mathcal L_k',
    keras: 'total_loss = reconstruction_loss + beta * kl_loss  # the sum of every wired loss\ngrads = tape.gradient(total_loss, model.trainable_weights)',
    shapes: 'Any number of scalar losses → the scalar total.',
  },
  inputs: [{ name: 'losses', label: 'losses', kind: 'loss', multiple: true }],
  outputs: [],
  params: {},
  role: { kind: 'objective', losses: 'losses', total: 'total' },
  inferShape(inputs) {
    if (!inputs.losses) return { ok: false, problems: [{ port: 'losses', message: 'Nothing is wired into the Objective, so there is nothing to minimise; wire a loss (BCE, KL, β-scale) into it.' }] };
    return { ok: true, outputs: {} };
  },
  paramCount: () => 0,
  build: ({ tf }) => ({
    apply: (inp) => ({ total: tf.addN(inp.losses) }),
    weights: noWeights,
    // Each loss's gradient is the total's.
    step: (inp) => ({ outputs: { total: tf.addN(inp.losses) }, backward: (grads) => ({ inputs: { losses: inp.losses.map(() => grads.total) }, weights: [] }) }),
  }),
  toTorch: (node) => ({ outputs: { total: node.inputs.losses.join(' + ') } }),
  toKeras: (node) => ({ outputs: { total: node.inputs.losses.join(' + ') } }),
});
