import { defineNode, describeShape, noWeights, product, py, type StepPart, type Tensor, type Tf } from './define';
import type { Shape } from '../src/graph/document';
import { isImage, pyTuple } from '../src/export/contract';
import { layerConfig } from '../src/export/ops';

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

const count = (n: number) => n.toLocaleString('en-US');

/** The target shape with Keras's −1 worked out from the input, or what is wrong with it. */
export function resolveTarget(input: Shape, target: number[]): Shape | string {
  const have = product(input);
  const free = target.indexOf(-1);
  if (free < 0) {
    const want = product(target);
    if (have === want) return [...target];
    return `Reshape to ${describeShape(target)} needs ${count(want)} elements, but its input ${describeShape(input)} has ${count(have)}; make the target's product ${count(have)} (or put −1 in one place to infer it) or change the layer before it.`;
  }
  const known = product(target.filter((_, i) => i !== free));
  if (known < 1 || have % known !== 0)
    return `Reshape to ${describeShape(target)}: the input ${describeShape(input)} has ${count(have)} elements, which ${count(known)} (the product of the other dimensions) does not divide; change a dimension so that it does.`;
  return target.map((v) => (v === -1 ? have / known : v));
}

export const reshapeNode = defineNode<ReshapeParams>({
  type: 'reshape',
  label: 'Reshape',
  category: 'layer',
  doc: {
    summary: 'Arranges the same values in a new shape, such as a vector of 3,136 into a 7×7×64 image. It learns nothing.',
    formula: '(n) \\mapsto (h, w, c), \\quad n = h \\cdot w \\cdot c; \\text{ a } -1 \\text{ is } n / \\text{(the others)}',
    keras: (p) => `layers.Reshape(${py(p.targetShape)})`,
    shapes: 'Input (batch, ...) → output (batch, *target_shape); the element counts must match.',
  },
  inputs: [{ name: 'input', label: 'input', kind: 'tensor' }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: {
    targetShape: {
      kind: 'shape',
      label: 'Target shape',
      default: [7, 7, 64],
      minLength: 1,
      maxLength: 4,
      inferOne: true,
      help: 'The new shape per sample, e.g. 7, 7, 64; one entry may be −1, inferred from the input (7, 7, -1 is 7, 7, 64 for 3,136 values).',
    },
  },
  inferShape(inputs, p) {
    const x = inputs.input;
    if (!x) return { ok: false, problems: [{ port: 'input', message: 'Reshape needs an input: wire a tensor into it.' }] };
    const target = resolveTarget(x, p.targetShape);
    if (typeof target === 'string') return { ok: false, problems: [{ port: 'input', message: target }] };
    return { ok: true, outputs: { output: target } };
  },
  paramCount: () => 0,
  build: ({ tf, inputShapes }, p) => {
    // The −1 is resolved here, once: the batch dimension is tf.reshape's one −1.
    const target = resolveTarget(inputShapes.input, p.targetShape);
    if (typeof target === 'string') throw new Error(target);
    return {
      apply: (inp) => ({ output: tf.reshape(inp.input[0], [-1, ...target]) }),
      weights: noWeights,
      step: (inp) => reshapeStep(tf, inp.input[0], [-1, ...target]),
    };
  },
  // Keras reshapes in channels-last order; PyTorch holds images channels first, so convert on the way in and out.
  toTorch(node) {
    const resolved = resolveTarget(node.inputShapes.input, (node.params as ReshapeParams).targetShape);
    const target = typeof resolved === 'string' ? (node.params as ReshapeParams).targetShape : resolved;
    const x = node.inputs.input[0];
    const input = isImage(node.inputShapes.input) ? `${x}.permute(0, 2, 3, 1)` : x;
    const out = `${input}.reshape(-1, ${target.join(', ')})`;
    return isImage(target)
      ? { outputs: { output: `${out}.permute(0, 3, 1, 2)` }, comment: `Keras's ${pyTuple(target)}, then channels first` }
      : { outputs: { output: out } };
  },
  toKeras(node) {
    const target = (node.params as ReshapeParams).targetShape;
    return {
      outputs: { output: `layers.Reshape(${pyTuple(target)}, name="${node.name}")(${node.inputs.input[0]})` },
      layer: layerConfig('Reshape', node.name, { target_shape: target }),
    };
  },
});
