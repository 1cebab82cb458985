/**
 * The transposed convolution as a plain stride-1 conv2d over the input with zeros inserted
 * between its pixels, and the kernel flipped. tfjs's own kernel for it (Conv2DBackpropInput)
 * is a naive loop on the cpu and wasm backends — 62 % of a β-VAE step on wasm — while conv2d
 * runs on XNNPACK. It also serves as the input gradient of Conv2D there.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tensor4D } from '@tensorflow/tfjs';
import { filterGradient } from './conv-gradient';
import { INTERLEAVE_KERNEL, wasmKernelsRegistered } from './wasm-kernels';

type TF = typeof tfjs;

/**
 * Same result as tf.conv2dTranspose(x, filter, outShape, strides, pad) for NHWC, dilations 1.
 * @param filter [kh, kw, outChannels, inChannels], as tf.conv2dTranspose takes it
 */
export function transposedConv(
  tf: TF,
  x: Tensor4D,
  filter: Tensor4D,
  outShape: readonly [number, number, number, number],
  strides: number | readonly [number, number],
  pad: 'same' | 'valid',
): Tensor4D {
  const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
  const [kh, kw] = filter.shape;
  const [b, h, w, c] = x.shape;
  const [, oh, ow] = outShape;
  return tf.tidy(() => {
    // Insert s − 1 zeros between rows, then between columns (4-D tensors only: every backend pads them).
    // The s − 1 trailing zero rows and columns this leaves are counted against the bottom and right padding.
    let d: Tensor4D = x;
    if (sh > 1) d = tf.reshape(tf.pad(tf.reshape(d, [b, h, 1, w * c]) as Tensor4D, [[0, 0], [0, 0], [0, sh - 1], [0, 0]]), [b, h * sh, w, c]);
    if (sw > 1) d = tf.reshape(tf.pad(tf.reshape(d, [b * h * sh, w, 1, c]) as Tensor4D, [[0, 0], [0, 0], [0, sw - 1], [0, 0]]), [b, h * sh, w * sw, c]);
    const dh = h * sh;
    const dw = w * sw;
    // The forward conv (outShape → x) padded `before` rows; its transpose pads k − 1 − before.
    const before = (n: number, k: number, s: number, out: number) => (pad === 'same' ? Math.floor(Math.max((n - 1) * s + k - out, 0) / 2) : 0);
    const top = kh - 1 - before(h, kh, sh, oh);
    const left = kw - 1 - before(w, kw, sw, ow);
    const bottom = oh + kh - 1 - top - dh;
    const right = ow + kw - 1 - left - dw;
    d = tf.pad(d, [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]]);
    if (top < 0 || bottom < 0 || left < 0 || right < 0)
      d = tf.slice(d, [0, Math.max(-top, 0), Math.max(-left, 0), 0], [b, oh + kh - 1, ow + kw - 1, c]);
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as Tensor4D;
    return tf.conv2d(d, flipped, 1, 'valid');
  });
}

/**
 * The same transposed convolution split into s² stride-1 convs, one per output phase (sub-pixel
 * convolution): output row t gets kernel rows u ≡ t + padTop (mod s) only, so each phase is a small
 * conv of the undilated input, and DepthToSpace interleaves the phases. No multiply lands on an
 * inserted zero, so it does 1/s² of the dilated form's work. Square strides only.
 */
export function subPixelTransposedConv(
  tf: TF,
  x: Tensor4D,
  filter: Tensor4D,
  outShape: readonly [number, number, number, number],
  stride: number,
  pad: 'same' | 'valid',
): Tensor4D {
  const s = stride;
  const [kh, kw, cout] = filter.shape;
  const [b, h, w] = x.shape;
  const [, oh, ow] = outShape;
  if (s === 1) return transposedConv(tf, x, filter, outShape, 1, pad);
  return tf.tidy(() => {
    const before = (n: number, k: number, out: number) => (pad === 'same' ? Math.floor(Math.max((n - 1) * s + k - out, 0) / 2) : 0);
    const pTop = before(h, kh, oh);
    const pLeft = before(w, kw, ow);
    // Phase outputs cover t + p = q·s + r for q < qn.
    const qh = Math.ceil((oh + pTop) / s);
    const qw = Math.ceil((ow + pLeft) / s);
    // Kernel taps of phase r, nearest input last: w[r + (m − 1 − j)·s] for j < m.
    const taps = (k: number, r: number): number[] => {
      const m = Math.max(Math.ceil((k - r) / s), 0);
      return Array.from({ length: m }, (_, j) => r + (m - 1 - j) * s);
    };
    const phases: Tensor4D[] = [];
    for (let r = 0; r < s; r++)
      for (let c = 0; c < s; c++) {
        const rows = taps(kh, r);
        const cols = taps(kw, c);
        if (!rows.length || !cols.length) {
          phases.push(tf.zeros([b, qh, qw, cout]));
          continue;
        }
        // [mr, mc, cout, cin] → correlation kernel [mr, mc, cin, cout]
        const sub = tf.transpose(tf.gather(tf.gather(filter, rows, 0), cols, 1), [0, 1, 3, 2]) as Tensor4D;
        const [top, bottom, left, right] = [rows.length - 1, Math.max(qh - h, 0), cols.length - 1, Math.max(qw - w, 0)];
        // No pad of nothing: on cpu and wasm a pad (or slice) always copies.
        const padded = top || bottom || left || right ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]) : x;
        const y = tf.conv2d(padded, sub, 1, 'valid');
        phases.push(y.shape[1] === qh && y.shape[2] === qw ? y : tf.slice(y, [0, 0, 0, 0], [b, qh, qw, cout]));
      }
    // On wasm one pass interleaves and crops (wasm concatenates along the channels row by row).
    if (tf.getBackend() === 'wasm' && wasmKernelsRegistered(tf))
      return tf.engine().runKernel(INTERLEAVE_KERNEL, Object.fromEntries(phases.map((p, k) => [`p${k}`, p])), { s, top: pTop, left: pLeft, oh, ow }) as Tensor4D;
    // DepthToSpace by reshape and transpose: wasm's DepthToSpace kernel is a slow loop.
    const blocks = tf.reshape(tf.concat(phases, 3), [b, qh, qw, s, s, cout]);
    const interleaved = tf.reshape(tf.transpose(blocks, [0, 1, 3, 2, 4, 5]), [b, qh * s, qw * s, cout]) as Tensor4D;
    return pTop === 0 && pLeft === 0 && oh === qh * s && ow === qw * s ? interleaved : tf.slice(interleaved, [0, pTop, pLeft, 0], [b, oh, ow, cout]);
  });
}

/**
 * transposedConv with the gradients tfjs would use for tf.conv2dTranspose — a strided conv2d for
 * the input and the (fast, registered) filter gradient — instead of differentiating through the
 * zero-dilated tensors, which would cost more than the forward pass saves.
 */
export function fastConv2dTranspose(
  tf: TF,
  x: Tensor4D,
  filter: Tensor4D,
  outShape: [number, number, number, number],
  strides: number,
  pad: 'same' | 'valid',
): Tensor4D {
  const op = tf.customGrad<Tensor4D>((...args) => {
    const [xi, k] = args as Tensor4D[];
    const save = args[2] as unknown as (tensors: Tensor4D[]) => void;
    save([xi, k]);
    return {
      value: subPixelTransposedConv(tf, xi, k, outShape, strides, pad),
      gradFunc: (dy, saved) => {
        const [xs, ks] = saved as [Tensor4D, Tensor4D];
        const g = (Array.isArray(dy) ? dy[0] : dy) as Tensor4D;
        return [tf.conv2d(g, ks, strides, pad), filterGradient(tf, g, xs, ks.shape, strides, pad)];
      },
    };
  });
  return op(x, filter);
}
