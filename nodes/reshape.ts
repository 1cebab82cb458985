import { defineNode, describeShape, noWeights, product, type StepPart, type Tensor, type Tf } from './define';

/** Reshape's part in the fast step: the gradient is reshaped back. */
export function reshapeStep(tf: Tf, x: Tensor, shape: number[]): StepPart {
  return {
    outputs: { output: tf.reshape(x, shape) },
    backward: (grads, wanted) => ({ inputs: { input: [grads.output && wanted.has('input') ? tf.reshape(grads.output, x.shape) : undefined] }, weights: [] }),
  };
}

export interface ReshapeParams {
  [k: string]: number[];
  targetShape: number[];
}

export const reshapeNode = defineNode<ReshapeParams>({
  type: 'reshape',
  label: 'Reshape',
  category: 'layer',
  doc: {
    summary: 'Arranges the same values in a new shape, such as a vector of 3,136 into a 7×7×64 image. It learns nothing.',
    formula: '(n) \\mapsto (h, w, c), \\quad n = h \\cdot w \\cdot c',
    keras: 'layers.Reshape(target_shape)',
    shapes: 'Input (batch, ...) → output (batch, *target_shape); the element counts must match.',
  },
  inputs: [{ name: 'input', label: 'input', kind: 'tensor' }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: {
    targetShape: { kind: 'shape', label: 'Target shape', default: [7, 7, 64], minLength: 1, maxLength: 4, help: 'The new shape per sample, e.g. 7, 7, 64.' },
  },
  inferShape(inputs, p) {
    const x = inputs.input;
    if (!x) return { ok: false, problems: [{ port: 'input', message: 'Reshape needs an input: wire a tensor into it.' }] };
    const have = product(x);
    const want = product(p.targetShape);
    if (have !== want)
      return {
        ok: false,
        problems: [
          {
            port: 'input',
            message: `Reshape to ${describeShape(p.targetShape)} needs ${want.toLocaleString('en-US')} elements, but its input ${describeShape(x)} has ${have.toLocaleString('en-US')}; make the target's product ${have.toLocaleString('en-US')} or change the layer before it.`,
          },
        ],
      };
    return { ok: true, outputs: { output: [...p.targetShape] } };
  },
  paramCount: () => 0,
  build: ({ tf }, p) => ({
    apply: (inp) => ({ output: tf.reshape(inp.input[0], [-1, ...p.targetShape]) }),
    weights: noWeights,
    step: (inp) => reshapeStep(tf, inp.input[0], [-1, ...p.targetShape]),
  }),
});
