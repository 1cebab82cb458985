import type * as tfjs from '@tensorflow/tfjs';
import { activationParam, defineNode, describeShape, layerNode, paddingParam, py, useBiasParam, type BuildContext, type BuiltNode, type InferResult, type StepPart, type Tensor, type Tf, noGrads } from './define';
import type { Shape } from '../src/graph/document';
import type { ExportNode, KerasExport } from '../src/export/contract';
import { kerasActivation, layerConfig, torchActivation } from '../src/export/ops';

export interface ConvParams {
  [k: string]: number | string | boolean;
  filters: number;
  kernelSize: number;
  strides: number;
  padding: string;
  activation: string;
  useBias: boolean;
}

export const convParams = {
  filters: { kind: 'int', label: 'Filters', default: 32, min: 1, max: 1024, help: 'How many feature maps it outputs (the channels).' },
  kernelSize: { kind: 'int', label: 'Kernel size', default: 3, min: 1, max: 11, help: 'Width and height of each filter window.' },
  strides: { kind: 'int', label: 'Strides', default: 1, min: 1, max: 4, help: 'Step between windows; 2 halves the size.' },
  padding: paddingParam,
  activation: activationParam('linear'),
  useBias: useBiasParam,
} as const;

/** A conv layer's Keras arguments, Keras's defaults left out, as the tutorial writes them: the teaching text's and the export's. */
function kerasConvArgs(p: ConvParams): string[] {
  const args = [String(p.filters), String(p.kernelSize)];
  if (p.strides !== 1) args.push(`strides=${p.strides}`);
  if (p.padding !== 'valid') args.push(`padding=${py(p.padding)}`);
  if (p.activation !== 'linear') args.push(`activation=${py(p.activation)}`);
  if (!p.useBias) args.push('use_bias=False');
  return args;
}

/** The Keras line of a conv layer with these params (the teaching text). */
export const kerasConvLine = (layer: string, p: ConvParams): string => `layers.${layer}(${kerasConvArgs(p).join(', ')})`;

/** Checks that a convolution's input is an image and returns its [height, width, channels]. */
export function imageInput(label: string, input: Shape | undefined): InferResult | null {
  if (!input) return { ok: false, problems: [{ port: 'input', message: `${label} needs an input: wire an image-shaped tensor into it.` }] };
  if (input.length !== 3)
    return {
      ok: false,
      problems: [
        {
          port: 'input',
          message: `${label} needs an image [height, width, channels], got ${describeShape(input)}; insert a Reshape (e.g. to 7, 7, 64) before it.`,
        },
      ],
    };
  return null;
}

export const convParamCount = (inputs: Record<string, Shape>, p: ConvParams): number =>
  p.kernelSize * p.kernelSize * (inputs.input?.[2] ?? 0) * p.filters + (p.useBias ? p.filters : 0);

/**
 * A conv layer's weights (created and initialised by tfjs-layers, as Keras would) applied with our
 * own conv op, then bias and activation: the ops the compiler can route to fast gradients.
 */
export function convLayer(
  tf: Tf,
  layer: tfjs.layers.Layer,
  inputShape: Shape,
  activationName: string,
  conv: (x: tfjs.Tensor4D, kernel: tfjs.Tensor4D) => tfjs.Tensor4D,
  fastStep?: (x: tfjs.Tensor4D, kernel: tfjs.Tensor4D, bias: tfjs.Tensor | null) => StepPart,
): BuiltNode {
  const built = layerNode(layer, inputShape);
  const activation = tf.layers.activation({ activation: activationName as 'relu' });
  const [kernel, bias] = built.weights().map((w) => w.variable);
  return {
    ...built,
    apply: (inputs) => {
      const y = conv(inputs.input[0] as tfjs.Tensor4D, kernel as tfjs.Tensor4D);
      return { output: activation.apply(bias ? tf.add(y, bias) : y) as Tensor };
    },
    ...(fastStep ? { step: (inputs: Record<string, Tensor[]>) => fastStep(inputs.input[0] as tfjs.Tensor4D, kernel as tfjs.Tensor4D, bias ?? null) } : {}),
  };
}

/**
 * The fast step of a conv (or, `transposed`, a transposed conv) with bias and activation:
 * forward, then the gradient before the activation, the bias's (a column sum), the filter's
 * (the compiler's pick) and the input's (the other conv direction).
 */
export function convStep(ctx: BuildContext, p: ConvParams, transposed: boolean, outShape?: readonly [number, number, number]) {
  const { tf, fast } = ctx;
  if (!fast || !fast.ops.supports(p.activation) || (p.padding !== 'same' && p.padding !== 'valid')) return undefined;
  const act = p.activation;
  const pad = p.padding as 'same' | 'valid';
  const { ops } = fast;
  return (x: tfjs.Tensor4D, kernel: tfjs.Tensor4D, bias: tfjs.Tensor | null): StepPart => {
    // A conv, bias and activation are one kernel in tfjs (FusedConv2D) except with tanh.
    const y =
      !transposed && act !== 'tanh'
        ? tf.fused.conv2d({ x, filter: kernel, strides: p.strides, pad, bias: bias ?? undefined, activation: act })
        : (ops.biasActivation(transposed ? fast.conv2dTranspose(x, kernel, [x.shape[0], ...outShape!], p.strides, pad) : tf.conv2d(x, kernel, p.strides, pad), bias, act) as tfjs.Tensor4D);
    return {
      outputs: { output: y },
      backward: (grads, wanted) => {
        const dy = grads.output;
        if (!dy) return noGrads();
        const d = ops.activationGrad(dy, y, act) as tfjs.Tensor4D;
        const dKernel = transposed ? fast.convFilterGradient(d, x, kernel.shape, p.strides, pad) : fast.convFilterGradient(x, d, kernel.shape, p.strides, pad);
        const dx = !wanted.has('input') ? undefined : transposed ? tf.conv2d(d, kernel, p.strides, pad) : fast.conv2dTranspose(d, kernel, x.shape, p.strides, pad);
        return { inputs: { input: [dx] }, weights: bias ? [dKernel, ops.columnSum(d)] : [dKernel] };
      },
    };
  };
}

/** Keras's 'same' padding of one dimension: the total split with the extra row after (PyTorch's own would be symmetric). */
export function samePads(n: number, k: number, s: number): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Conv2D and Conv2DTranspose in Keras: the layer call and its tfjs-layers config. */
export function kerasConv(className: 'Conv2D' | 'Conv2DTranspose', node: ExportNode): KerasExport {
  const p = node.params as ConvParams;
  return {
    outputs: { output: `layers.${className}(${[...kerasConvArgs(p), `name="${node.name}"`].join(', ')})(${node.inputs.input[0]})` },
    layer: layerConfig(className, node.name, {
      filters: p.filters,
      kernel_size: [p.kernelSize, p.kernelSize],
      strides: [p.strides, p.strides],
      padding: p.padding,
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: p.activation,
      use_bias: p.useBias,
    }),
    weights: p.useBias ? ['kernel', 'bias'] : ['kernel'],
  };
}

/** Our kernels are Keras's (kh, kw, in, out) — (kh, kw, out, in) for a transposed conv; PyTorch's are (out, in, kh, kw) — (in, out, kh, kw). */
export const convWeights = (useBias: boolean) => [
  { name: 'kernel', torch: 'weight', permute: [3, 2, 0, 1] },
  ...(useBias ? [{ name: 'bias', torch: 'bias' }] : []),
];

/** Keras's conv output length: same → ceil(n/s), valid → floor((n−k)/s)+1. */
export function convLength(n: number, k: number, s: number, padding: string): number {
  return padding === 'same' ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1;
}

export const conv2dNode = defineNode<ConvParams>({
  type: 'conv2d',
  label: 'Conv2D',
  category: 'layer',
  doc: {
    summary: 'Slides small learned filters over the image; each filter detects one local pattern and makes one output channel.',
    formula: 'y_{i,j,f} = \\sigma\\Big(b_f + \\sum_{u,v,c} W_{u,v,c,f}\\, x_{s i+u,\\, s j+v,\\, c}\\Big)',
    keras: (p) => kerasConvLine('Conv2D', p),
    shapes: 'Input (batch, h, w, c) → output (batch, h′, w′, filters); same: h′ = ⌈h/s⌉, valid: h′ = ⌊(h−k)/s⌋+1.',
  },
  inputs: [{ name: 'input', label: 'input', kind: 'tensor' }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: convParams,
  inferShape(inputs, p) {
    const bad = imageInput('Conv2D', inputs.input);
    if (bad) return bad;
    const [h, w] = inputs.input;
    const oh = convLength(h, p.kernelSize, p.strides, p.padding);
    const ow = convLength(w, p.kernelSize, p.strides, p.padding);
    if (oh < 1 || ow < 1)
      return {
        ok: false,
        problems: [{ port: 'input', message: `Kernel ${p.kernelSize} is larger than the ${h}×${w} input; use padding "same" or a smaller kernel.` }],
      };
    return { ok: true, outputs: { output: [oh, ow, p.filters] } };
  },
  paramCount: convParamCount,
  build(ctx, p) {
    const { tf, inputShapes, kernelInitializer } = ctx;
    const layer = tf.layers.conv2d({ filters: p.filters, kernelSize: p.kernelSize, strides: p.strides, padding: p.padding as 'same', useBias: p.useBias, kernelInitializer: kernelInitializer() });
    // tfjs-layers runs a linear conv as one fused op whose gradient bypasses the registered
    // (fast) filter gradient and has no kernel on wasm; the plain op always goes through it.
    return convLayer(tf, layer, inputShapes.input, p.activation, (x, kernel) => tf.conv2d(x, kernel, p.strides, p.padding as 'same'), convStep(ctx, p, false));
  },
  toTorch(node) {
    const p = node.params as ConvParams;
    const [h, w, c] = node.inputShapes.input;
    const [top, bottom] = p.padding === 'same' ? samePads(h, p.kernelSize, p.strides) : [0, 0];
    const [left, right] = p.padding === 'same' ? samePads(w, p.kernelSize, p.strides) : [0, 0];
    const symmetric = top === bottom && left === right;
    const padArg = symmetric && (top || left) ? `, padding=${top === left ? top : `(${top}, ${left})`}` : '';
    const x = node.inputs.input[0];
    const input = symmetric ? x : `F.pad(${x}, (${left}, ${right}, ${top}, ${bottom}))`;
    return {
      module: `nn.Conv2d(${c}, ${p.filters}, kernel_size=${p.kernelSize}${p.strides !== 1 ? `, stride=${p.strides}` : ''}${padArg}${p.useBias ? '' : ', bias=False'})`,
      outputs: { output: torchActivation(p.activation, `self.${node.name}(${input})`, true) },
      weights: convWeights(p.useBias),
      ...(symmetric ? {} : { comment: `Keras "same": pads ${top} above, ${bottom} below, ${left} left, ${right} right` }),
    };
  },
  toKeras: (node) => kerasConv('Conv2D', node),
});
