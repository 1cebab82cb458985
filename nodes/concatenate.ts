import { defineNode, describeShape, noWeights } from './define';
import { twoOrMore, wireName } from './add';
import { isImage } from '../src/export/contract';
import { layerConfig } from '../src/export/ops';

export const concatenateNode = defineNode<Record<string, never>>({
  type: 'concatenate',
  label: 'Concatenate',
  category: 'layer',
  doc: {
    summary:
      'Stacks its inputs along the last axis (the channels), in the order of the wires: a U-Net’s skip connection joins the encoder’s feature maps to the decoder’s this way. It learns nothing.',
    formula: 'y = [\\,x^{(1)} \\,\\|\\, x^{(2)} \\,\\|\\, \\dots\\,] \\text{ along the last axis}',
    keras: 'layers.Concatenate(axis=-1)([x1, x2])',
    shapes: 'Inputs (batch, ..., cₖ) equal but for the last axis → output (batch, ..., Σ cₖ).',
  },
  inputs: [{ name: 'inputs', label: 'inputs', kind: 'tensor', multiple: true }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: {},
  inferShape(_inputs, _p, ctx) {
    const wires = ctx.wires.inputs;
    const few = twoOrMore('Concatenate', 'inputs', wires);
    if (few) return { ok: false, problems: [few] };
    const first = wires[0];
    if (first.length === 0) return { ok: false, problems: [{ port: 'inputs', message: 'Concatenate cannot join scalars; wire tensors with at least one axis.' }] };
    const k = wires.findIndex((s) => s.length !== first.length || s.slice(0, -1).join() !== first.slice(0, -1).join());
    if (k >= 0)
      return {
        ok: false,
        problems: [
          {
            port: 'inputs',
            message: `Concatenate: ${wireName(ctx, 'inputs', 0)} is ${describeShape(first)} but ${wireName(ctx, 'inputs', k)} is ${describeShape(wires[k])}; all but the last axis must match. Resize one branch (pooling, UpSampling2D or strides) so that both are ${describeShape(first.slice(0, -1))} before the channels.`,
          },
        ],
      };
    return { ok: true, outputs: { output: [...first.slice(0, -1), wires.reduce((sum, s) => sum + s[s.length - 1], 0)] } };
  },
  paramCount: () => 0,
  build: ({ tf }) => ({ apply: (inp) => ({ output: tf.concat(inp.inputs, -1) }), weights: noWeights }),
  // Keras's last axis of an image is its channels: dim 1 of PyTorch's (N, C, H, W).
  toTorch: (node) => ({ outputs: { output: `torch.cat([${node.inputs.inputs.join(', ')}], dim=${isImage(node.outputShapes.output) ? 1 : -1})` } }),
  toKeras: (node) => ({
    outputs: { output: `layers.Concatenate(axis=-1, name="${node.name}")([${node.inputs.inputs.join(', ')}])` },
    layer: layerConfig('Concatenate', node.name, { axis: -1 }),
  }),
});
