import type * as tfjs from '@tensorflow/tfjs';
import { defineNode, noGrads, noWeights, paddingParam, type InferResult, type IntParam, type StepPart, type Tensor } from './define';
import { convLength, imageInput, samePads } from './conv2d';
import type { Shape } from '../src/graph/document';
import type { ExportNode, KerasExport, TorchExport } from '../src/export/contract';
import { layerConfig } from '../src/export/ops';

export interface PoolParams {
  [k: string]: number | string;
  poolSize: number;
  strides: number;
  padding: string;
}

export const poolParams = {
  poolSize: { kind: 'int', label: 'Pool size', default: 2, min: 1, max: 8, help: 'Width and height of each window; 2 halves the image.', brief: (v: number) => `${v}×${v}` } as IntParam,
  strides: { kind: 'int', label: 'Strides', default: 0, min: 0, max: 8, help: 'Step between windows; 0 means the pool size (Keras’s strides=None).', brief: (v: number) => (v === 0 ? null : `stride ${v}`) } as IntParam,
  padding: paddingParam,
};

export const poolStride = (p: PoolParams): number => p.strides || p.poolSize;

/** Keras's pooling shape rule: the conv rule per side, channels unchanged. */
export function poolShape(label: string, input: Shape | undefined, p: PoolParams): InferResult {
  const bad = imageInput(label, input);
  if (bad) return bad;
  const [h, w, c] = input!;
  const oh = convLength(h, p.poolSize, poolStride(p), p.padding);
  const ow = convLength(w, p.poolSize, poolStride(p), p.padding);
  if (oh < 1 || ow < 1)
    return { ok: false, problems: [{ port: 'input', message: `${label}: a ${p.poolSize}×${p.poolSize} window does not fit the ${h}×${w} input; use padding "same" or a smaller pool size.` }] };
  return { ok: true, outputs: { output: [oh, ow, c] } };
}

export const poolKeras = (name: string) => `layers.${name}(pool_size=2, strides=None, padding="valid")`;

// Keras's 'same' pooling pads like its conv (the extra row after) and ignores the padding: a max
// over real values only, an average over the real values only. PyTorch's own padding is symmetric.
const TORCH_AVG_POOL_SAME = `def keras_avg_pool_same(x, kernel, stride, pads):
    """Keras's AveragePooling2D with padding "same": each window's mean over the pixels inside the image."""
    ones = torch.ones_like(x[:, :1])
    return F.avg_pool2d(F.pad(x, pads), kernel, stride) / F.avg_pool2d(F.pad(ones, pads), kernel, stride)`;

/** MaxPooling2D and AveragePooling2D as PyTorch: F.max_pool2d / F.avg_pool2d, with Keras's 'same' padding spelled out. */
export function torchPool(kind: 'max' | 'avg', node: ExportNode): TorchExport {
  const p = node.params as PoolParams;
  const s = poolStride(p);
  const [h, w] = node.inputShapes.input;
  const x = node.inputs.input[0];
  const args = `${p.poolSize}${s !== p.poolSize ? `, stride=${s}` : ''}`;
  if (p.padding !== 'same' || (samePads(h, p.poolSize, s).every((v) => v === 0) && samePads(w, p.poolSize, s).every((v) => v === 0)))
    return { outputs: { output: `F.${kind}_pool2d(${x}, ${args})` } };
  const [top, bottom] = samePads(h, p.poolSize, s);
  const [left, right] = samePads(w, p.poolSize, s);
  const pads = `(${left}, ${right}, ${top}, ${bottom})`;
  const comment = `Keras "same": pads ${top} above, ${bottom} below, ${left} left, ${right} right, and pools over real pixels only`;
  if (kind === 'max') return { outputs: { output: `F.max_pool2d(F.pad(${x}, ${pads}, value=-math.inf), ${args})` }, comment };
  return { outputs: { output: `keras_avg_pool_same(${x}, ${p.poolSize}, ${s}, ${pads})` }, comment, helpers: { keras_avg_pool_same: TORCH_AVG_POOL_SAME } };
}

/** The Keras layer (strides=None when they equal the pool size, as Keras's default). */
export function kerasPool(className: 'MaxPooling2D' | 'AveragePooling2D', node: ExportNode): KerasExport {
  const p = node.params as PoolParams;
  const s = poolStride(p);
  const args = [`pool_size=${p.poolSize}`, ...(s !== p.poolSize ? [`strides=${s}`] : []), ...(p.padding !== 'valid' ? [`padding="${p.padding}"`] : []), `name="${node.name}"`];
  return {
    outputs: { output: `layers.${className}(${args.join(', ')})(${node.inputs.input[0]})` },
    layer: layerConfig(className, node.name, { pool_size: [p.poolSize, p.poolSize], strides: [s, s], padding: p.padding, data_format: 'channels_last' }),
  };
}

export const maxPooling2dNode = defineNode<PoolParams>({
  type: 'max-pooling2d',
  label: 'MaxPooling2D',
  category: 'layer',
  doc: {
    summary: 'Keeps the largest value of each small window, per channel: the image gets smaller and a feature found anywhere in the window survives. It learns nothing.',
    formula: 'y_{i,j,c} = \\max_{0 \\le u, v < k} x_{s i+u,\\, s j+v,\\, c}',
    keras: poolKeras('MaxPooling2D'),
    shapes: 'Input (batch, h, w, c) → output (batch, h′, w′, c); valid: h′ = ⌊(h−k)/s⌋+1, same: h′ = ⌈h/s⌉.',
  },
  inputs: [{ name: 'input', label: 'input', kind: 'tensor' }],
  outputs: [{ name: 'output', label: 'output', kind: 'tensor' }],
  params: poolParams,
  inferShape: (inputs, p) => poolShape('MaxPooling2D', inputs.input, p),
  paramCount: () => 0,
  build: ({ tf }, p) => ({
    apply: (inp) => ({ output: tf.maxPool(inp.input[0] as tfjs.Tensor4D, p.poolSize, poolStride(p), p.padding as 'same') }),
    weights: noWeights,
    // tfjs's own gradient kernel, from the input and the output kept from the forward.
    step: (inp): StepPart => {
      const x = inp.input[0] as tfjs.Tensor4D;
      const y = tf.maxPool(x, p.poolSize, poolStride(p), p.padding as 'same');
      return {
        outputs: { output: y },
        backward: (grads, wanted) => {
          if (!grads.output || !wanted.has('input')) return noGrads();
          const dx = tf.engine().runKernel('MaxPoolGrad', { dy: grads.output, input: x, output: y }, { filterSize: p.poolSize, strides: poolStride(p), pad: p.padding }) as Tensor;
          return { inputs: { input: [dx] }, weights: [] };
        },
      };
    },
  }),
  toTorch: (node) => torchPool('max', node),
  toKeras: (node) => kerasPool('MaxPooling2D', node),
});
