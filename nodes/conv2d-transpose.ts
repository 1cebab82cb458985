import { convLayer, convParamCount, convParams, convStep, imageInput, type ConvParams } from './conv2d';
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
    keras: 'layers.Conv2DTranspose(filters, kernel_size, strides=1, padding="valid", activation=None, use_bias=True)',
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
    const { tf, inputShapes, conv2dTranspose } = ctx;
    const layer = tf.layers.conv2dTranspose({ filters: p.filters, kernelSize: p.kernelSize, strides: p.strides, padding: p.padding as 'same', useBias: p.useBias });
    const [h, w] = inputShapes.input;
    const out = [deconvLength(h, p.kernelSize, p.strides, p.padding), deconvLength(w, p.kernelSize, p.strides, p.padding), p.filters] as const;
    // The transposed conv the compiler picks for the backend (tfjs's own is slow on cpu and wasm).
    return convLayer(tf, layer, inputShapes.input, p.activation, (x, kernel) => conv2dTranspose(x, kernel, [x.shape[0], ...out], p.strides, p.padding as 'same'), convStep(ctx, p, true, out));
  },
});
