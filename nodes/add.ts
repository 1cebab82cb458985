import { defineNode, describeShape, noWeights, type InferContext, type Problem } from './define';
import type { Shape } from '../src/graph/document';
import { layerConfig } from '../src/export/ops';

/** Wire k's name for messages: "wire 2 (from conv3)". */
export const wireName = (ctx: InferContext, port: string, k: number): string => {
  const from = ctx.from?.[port]?.[k];
  return from ? `wire ${k + 1} (from ${from})` : `wire ${k + 1}`;
};

/** At least two wires into `port`, or the problem. */
export function twoOrMore(label: string, port: string, wires: Shape[] | undefined): Problem | null {
  if (!wires || wires.length < 2)
    return { port, message: `${label} needs at least two wires into "${port}", got ${wires?.length ?? 0}; wire the branches to combine into it (their order is the order you wire them).` };
  return null;
}

export const addNode = defineNode<Record<string, never>>({
  type: 'add',
  label: 'Add',
  category: 'layer',
  doc: {
    summary: 'Adds its inputs element by element: the join of a residual (skip) connection, y = x + f(x). Every input must have the same shape. It learns nothing.',
    formula: 'y = x^{(1)} + x^{(2)} + \\dots + x^{(n)}',
    keras: 'layers.Add()([x, f_x])',
    shapes: 'Inputs: two or more tensors of one shape (batch, ...) → output of that shape.',
  },
  inputs: [{ name: 'inputs', label: 'inputs', kind: 'tensor', multiple: true }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: {},
  inferShape(_inputs, _p, ctx) {
    const wires = ctx.wires.inputs;
    const few = twoOrMore('Add', 'inputs', wires);
    if (few) return { ok: false, problems: [few] };
    const first = wires[0];
    const k = wires.findIndex((s) => s.join() !== first.join());
    if (k >= 0)
      return {
        ok: false,
        problems: [
          {
            port: 'inputs',
            message: `Add: ${wireName(ctx, 'inputs', 0)} is ${describeShape(first)} but ${wireName(ctx, 'inputs', k)} is ${describeShape(wires[k])}; Add needs equal shapes. Change the layer before one of them (e.g. give a Conv2D ${first[first.length - 1]} filters, or a 1×1 Conv2D on the skip), or use Concatenate to stack channels instead.`,
          },
        ],
      };
    return { ok: true, outputs: { output: [...first] } };
  },
  paramCount: () => 0,
  build: ({ tf }) => ({ apply: (inp) => ({ output: tf.addN(inp.inputs) }), weights: noWeights }),
  toTorch: (node) => ({ outputs: { output: node.inputs.inputs.join(' + ') } }),
  toKeras: (node) => ({ outputs: { output: `layers.Add(name="${node.name}")([${node.inputs.inputs.join(', ')}])` }, layer: layerConfig('Add', node.name, {}) }),
});
