import { convLayer, convParamCount, convParams, convStep, convWeights, imageInput, kerasConv, kerasConvLine, type ConvParams } from './conv2d';
import { torchActivation } from '../src/export/ops';
import { defineNode } from './define';

/** Keras's transposed-conv output length: same → n·s, valid → n·s + max(k − s, 0) = (n−1)·s + k when k ≥ s. */
export function deconvLength(n: number, k: number, s: number, padding: string): number {
  return padding === 'same' ? n * s : n * s + Math.max(k - s, 0);
}

export const conv2dTransposeNode = defineNode<ConvParams>({
  type: 'conv2d-transpose',
  label: 'Conv2DTranspose',
  category: 'layer',
  doc: {
    summary: 'The reverse of a strided convolution: spreads each input pixel through learned filters onto a larger image; the decoder uses it to upsample.',
    formula: 'y_{s i+u,\\, s j+v,\\, f} \\mathrel{+}= W_{u,v,f,c}\\, x_{i,j,c}, \\quad y \\leftarrow \\sigma(y + b)',
    keras: (p) => kerasConvLine('Conv2DTranspose', p),
    shapes: 'Input (batch, h, w, c) → output (batch, h′, w′, filters); same: h′ = h·s, valid: h′ = (h−1)·s + k.',
  },
  inputs: [{ name: 'input', label: 'input', kind: 'tensor' }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: convParams,
  inferShape(inputs, p) {
    const bad = imageInput('Conv2DTranspose', inputs.input);
    if (bad) return bad;
    const [h, w] = inputs.input;
    return {
      ok: true,
      outputs: { output: [deconvLength(h, p.kernelSize, p.strides, p.padding), deconvLength(w, p.kernelSize, p.strides, p.padding), p.filters] },
    };
  },
  paramCount: convParamCount,
  build(ctx, p) {
    const { tf, inputShapes, conv2dTranspose, kernelInitializer } = ctx;
    const layer = tf.layers.conv2dTranspose({ filters: p.filters, kernelSize: p.kernelSize, strides: p.strides, padding: p.padding as 'same', useBias: p.useBias, kernelInitializer: kernelInitializer() });
    const [h, w] = inputShapes.input;
    const out = [deconvLength(h, p.kernelSize, p.strides, p.padding), deconvLength(w, p.kernelSize, p.strides, p.padding), p.filters] as const;
    // The transposed conv the compiler picks for the backend (tfjs's own is slow on cpu and wasm).
    return convLayer(tf, layer, inputShapes.input, p.activation, (x, kernel) => conv2dTranspose(x, kernel, [x.shape[0], ...out], p.strides, p.padding as 'same'), convStep(ctx, p, true, out));
  },
  toTorch(node) {
    // PyTorch's full transposed conv is (n−1)·s + k long (+ output_padding when k < s); Keras keeps
    // `before` rows of it, then as many as its output has: before = ⌊(k−s)/2⌋ for 'same', 0 for 'valid'.
    const p = node.params as ConvParams;
    const [h, , c] = node.inputShapes.input;
    const [oh, ow] = node.outputShapes.output;
    const extra = Math.max(p.strides - p.kernelSize, 0);
    const before = p.padding === 'same' ? Math.floor(Math.max(p.kernelSize - p.strides, 0) / 2) : 0;
    const after = (h - 1) * p.strides + p.kernelSize + extra - oh - before;
    const symmetric = before === after;
    const args = `${c}, ${p.filters}, kernel_size=${p.kernelSize}${p.strides !== 1 ? `, stride=${p.strides}` : ''}${symmetric && before ? `, padding=${before}` : ''}${extra ? `, output_padding=${extra}` : ''}${p.useBias ? '' : ', bias=False'}`;
    const call = `self.${node.name}(${node.inputs.input[0]})`;
    const cropped = symmetric ? call : `${call}[:, :, ${before}:${before + oh}, ${before}:${before + ow}]`;
    return {
      module: `nn.ConvTranspose2d(${args})`,
      outputs: { output: torchActivation(p.activation, cropped, true) },
      weights: convWeights(p.useBias),
      ...(symmetric ? {} : { comment: `Keras "${p.padding}": keeps rows ${before}–${before + oh - 1} of the full transposed conv` }),
    };
  },
  toKeras: (node) => kerasConv('Conv2DTranspose', node),
});
