/**
 * Fast filter gradient for 2-D convolutions on CPU-style backends.
 *
 * tfjs 4.22's cpu backend spends almost all of a conv-net training step in its
 * naive Conv2DBackpropFilter kernel, and the wasm backend has no
 * Conv2DBackpropFilter kernel at all (tfjs issue 8474). The filter gradient is
 * itself a correlation of the input with the output gradient, so it can be
 * written as one forward conv2d (which every backend has, and which is fast):
 *
 *   x  [B, H, W, Cin]   padded as the forward conv pads it, cropped to the
 *                       extent the conv actually reads, transposed to
 *                       [Cin, H', W', B]   (channels become batch, batch channels)
 *   dy [B, oh, ow, Cout] transposed to [oh, ow, B, Cout] and used as the filter
 *   conv2d(x', dy', strides 1, dilations = stride, 'valid') -> [Cin, kh, kw, Cout]
 *   transpose -> [kh, kw, Cin, Cout]
 *
 * `registerFastConvGradients` swaps this into the registered gradients of the
 * Conv2D and Conv2DBackpropInput (tf.conv2dTranspose) kernels; their input
 * gradients keep using the same tfjs ops tfjs's own gradient configs use.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor, Tensor4D } from '@tensorflow/tfjs';
import { subPixelTransposedConv, transposedConv } from './transposed-conv';
import { FILTER_GRAD_KERNEL, wasmKernelsRegistered } from './wasm-kernels';

type TF = typeof tfjs;
type NamedGradientMap = ReturnType<GradConfig['gradFunc']>;

export type ConvPad = 'same' | 'valid';
export type ConvStrides = number | [number, number];

function pair(v: number | readonly number[], what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (v.length === 1) return [v[0], v[0]];
  if (v.length === 2) return [v[0], v[1]];
  throw new Error(`conv-gradient: ${what} must be a number or a pair, got [${v.join(', ')}]`);
}

/**
 * Padding before the first row/column and the extent of the (padded) input the
 * conv reads, for one spatial dimension. Matches tfjs/TF/Keras 'same' padding:
 * total = max((out-1)*s + k - n, 0), the smaller half before.
 */
function span(n: number, k: number, s: number, out: number, pad: ConvPad): { before: number; extent: number } {
  const expected = pad === 'same' ? Math.ceil(n / s) : Math.ceil((n - k + 1) / s);
  if (out !== expected) {
    throw new Error(
      `conv-gradient: output size ${out} does not match input ${n}, kernel ${k}, stride ${s}, ` +
        `padding '${pad}' (expected ${expected})`,
    );
  }
  const extent = (out - 1) * s + k;
  const before = pad === 'same' ? Math.floor(Math.max(extent - n, 0) / 2) : 0;
  return { before, extent };
}

/**
 * Gradient of a NHWC conv2d (dilations 1) with respect to its filter — the
 * same result as tfjs's Conv2DBackpropFilter kernel, built from pad, slice,
 * transpose and one dilated stride-1 conv2d.
 *
 * @param x input of the forward conv, [B, H, W, Cin]
 * @param dy gradient of the forward conv's output, [B, oh, ow, Cout]
 * @param filterShape [kh, kw, Cin, Cout]
 * @returns [kh, kw, Cin, Cout]
 */
export function filterGradient(
  tf: TF,
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: readonly [number, number, number, number],
  strides: ConvStrides,
  pad: ConvPad,
): Tensor4D {
  const [kh, kw, cin, cout] = filterShape;
  const [b, h, w, xc] = x.shape;
  const [db, oh, ow, dc] = dy.shape;
  if (xc !== cin) throw new Error(`conv-gradient: x has ${xc} channels but the filter expects ${cin}`);
  if (dc !== cout) throw new Error(`conv-gradient: dy has ${dc} channels but the filter has ${cout}`);
  if (db !== b) throw new Error(`conv-gradient: batch of x (${b}) and dy (${db}) differ`);
  if (pad !== 'same' && pad !== 'valid') throw new Error(`conv-gradient: padding must be 'same' or 'valid', got '${String(pad)}'`);
  const [sh, sw] = pair(strides, 'strides');
  const rows = span(h, kh, sh, oh, pad);
  const cols = span(w, kw, sw, ow, pad);
  // On wasm, patches times dy as one plain product (wasm-kernels.ts) beats the dilated conv.
  if (tf.getBackend() === 'wasm' && wasmKernelsRegistered(tf))
    return tf.engine().runKernel(FILTER_GRAD_KERNEL, { x, dy }, { kh, kw, sh, sw, top: rows.before, left: cols.before }) as Tensor4D;

  return tf.tidy(() => {
    // Pad as the forward conv does, then crop to exactly the rows/columns it reads,
    // so that the dilated conv below yields exactly [kh, kw].
    let xp: Tensor4D = x;
    const after = (r: { before: number; extent: number }, n: number): number => Math.max(r.extent - n - r.before, 0);
    if (rows.before > 0 || cols.before > 0 || after(rows, h) > 0 || after(cols, w) > 0) {
      xp = tf.pad(xp, [
        [0, 0],
        [rows.before, after(rows, h)],
        [cols.before, after(cols, w)],
        [0, 0],
      ]);
    }
    if (xp.shape[1] !== rows.extent || xp.shape[2] !== cols.extent) {
      xp = tf.slice(xp, [0, 0, 0, 0], [b, rows.extent, cols.extent, cin]);
    }
    const xt = tf.transpose(xp, [3, 1, 2, 0]); // [Cin, H', W', B]
    const dyt = tf.transpose(dy, [1, 2, 0, 3]); // [oh, ow, B, Cout]
    const g = tf.conv2d(xt, dyt, 1, 'valid', 'NHWC', [sh, sw]); // [Cin, kh, kw, Cout]
    return tf.transpose(g, [1, 2, 0, 3]); // [kh, kw, Cin, Cout]
  });
}

// ---------------------------------------------------------------------------
// Gradient registration

const CONV2D = 'Conv2D';
const CONV2D_BACKPROP_INPUT = 'Conv2DBackpropInput';

/** Configs created here, so that registering twice is a no-op. */
const ours = new WeakSet<GradConfig>();
/** tfjs's own configs, captured before the first override (the registry is global). */
const originals = new Map<string, GradConfig>();

interface Supported {
  strides: [number, number];
  pad: ConvPad;
}

/** The attrs this module handles (NHWC, dilations 1, 'same'/'valid'), or null to defer to tfjs. */
function supported(attrs: NamedAttrMap): Supported | null {
  const { strides, pad, dataFormat, dilations } = attrs;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') return null;
  if (pad !== 'same' && pad !== 'valid') return null;
  if (typeof strides !== 'number' && !(Array.isArray(strides) && strides.every((v) => typeof v === 'number'))) return null;
  if (dilations !== undefined) {
    if (typeof dilations === 'number') {
      if (dilations !== 1) return null;
    } else if (!Array.isArray(dilations) || !dilations.every((v) => v === 1)) {
      return null;
    }
  }
  return { strides: pair(strides as number | number[], 'strides'), pad: pad === 'same' ? 'same' : 'valid' };
}

function fallback(kernelName: string, dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap): NamedGradientMap {
  const original = originals.get(kernelName);
  if (!original) {
    throw new Error(
      `conv-gradient: ${kernelName} gradient supports only NHWC, dilations 1 and 'same'/'valid' padding ` +
        `(got dataFormat ${String(attrs.dataFormat)}, dilations ${String(attrs.dilations)}, pad ${JSON.stringify(attrs.pad)}), ` +
        `and tfjs's own gradient is not available to fall back to`,
    );
  }
  return original.gradFunc(dy, saved, attrs);
}

function conv2dGradConfig(tf: TF): GradConfig {
  return {
    kernelName: CONV2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const s = supported(attrs);
      if (!s) return fallback(CONV2D, dy, saved, attrs);
      const [x, filter] = saved as [Tensor4D, Tensor4D];
      const g = dy as Tensor4D;
      return {
        // As tfjs's Conv2D_grad, conv2DBackpropInput(x.shape, dy, filter, strides, pad), but as
        // stride-1 conv2ds: the Conv2DBackpropInput kernel is a naive loop on cpu and wasm.
        x: () =>
          s.strides[0] === s.strides[1]
            ? subPixelTransposedConv(tf, g, filter, x.shape, s.strides[0], s.pad)
            : transposedConv(tf, g, filter, x.shape, s.strides, s.pad),
        filter: () => filterGradient(tf, x, g, filter.shape, s.strides, s.pad),
      };
    },
  };
}

function conv2dBackpropInputGradConfig(tf: TF): GradConfig {
  return {
    kernelName: CONV2D_BACKPROP_INPUT,
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, saved, attrs) => {
      const s = supported(attrs);
      if (!s) return fallback(CONV2D_BACKPROP_INPUT, ddx, saved, attrs);
      const [dy, filter] = saved as [Tensor4D, Tensor4D];
      const g = ddx as Tensor4D;
      return {
        // As tfjs's Conv2DBackpropInput_grad: the input gradient is the forward conv.
        dy: () => tf.conv2d(g, filter, s.strides, s.pad, 'NHWC', 1),
        // The transposed conv is the input-gradient of a conv from ddx's shape to dy's
        // shape, so its filter gradient is that conv's filter gradient.
        filter: () => filterGradient(tf, g, dy, filter.shape, s.strides, s.pad),
      };
    },
  };
}

/**
 * Replaces the registered gradients of Conv2D and Conv2DBackpropInput (what
 * tf.conv2dTranspose runs) so their filter gradient uses `filterGradient`.
 * Cases outside NHWC / dilations 1 / 'same'|'valid' defer to tfjs's own
 * gradient. Idempotent. The gradient registry is global to tfjs, so this
 * affects every backend; `unregisterFastConvGradients` restores tfjs's own.
 *
 * Not covered: tf.fused.conv2d (used by tfjs-layers' Conv2D layers) computes its
 * gradient with a custom gradient that calls Conv2DBackpropFilter directly.
 */
export function registerFastConvGradients(tf: TF): void {
  const make: Array<[string, (tf: TF) => GradConfig]> = [
    [CONV2D, conv2dGradConfig],
    [CONV2D_BACKPROP_INPUT, conv2dBackpropInputGradConfig],
  ];
  for (const [name, build] of make) {
    const current = tf.getGradient(name) as GradConfig | undefined;
    if (current && ours.has(current)) continue;
    if (current && !originals.has(name)) originals.set(name, current);
    const config = build(tf);
    ours.add(config);
    // tfjs only warns about overriding a gradient when its DEBUG flag is on.
    tf.registerGradient(config);
  }
}

/** Restores tfjs's own Conv2D / Conv2DBackpropInput gradients (no-op if never registered). */
export function unregisterFastConvGradients(tf: TF): void {
  for (const [name, original] of originals) {
    const current = tf.getGradient(name) as GradConfig | undefined;
    if (current && ours.has(current)) tf.registerGradient(original);
  }
}

/** Whether the fast gradients are the ones registered now. */
export function fastConvGradientsRegistered(tf: TF): boolean {
  const a = tf.getGradient(CONV2D) as GradConfig | undefined;
  const b = tf.getGradient(CONV2D_BACKPROP_INPUT) as GradConfig | undefined;
  return !!a && !!b && ours.has(a) && ours.has(b);
}
