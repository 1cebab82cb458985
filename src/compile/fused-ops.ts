// The ops the fast training step is written in: each one kernel where the backend has our fused
// kernel (cpu, webgpu), else the same maths in tfjs ops. Plain functions of tensors and numbers;
// numbers become kernel attributes (uniforms), never tensors. A whole step runs inside a tidy.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../nodes/define';
import { uploadNow } from '../gpu/upload';
import { ACTIVATIONS, COLUMN_SUM, isFusedActivation, registerFusedKernels, type FusedActivation } from '../gpu/fused-kernels';

export interface FusedOps {
  /** Whether this activation has a fused form (else a node offers no fast step). */
  supports(activation: string): activation is FusedActivation;
  /** act(x + b), b along the last axis. */
  biasActivation(x: tfjs.Tensor, b: tfjs.Tensor | null, act: FusedActivation): tfjs.Tensor;
  /** The gradient before the activation, from the gradient after it and the activation's output. */
  activationGrad(dy: tfjs.Tensor, y: tfjs.Tensor, act: FusedActivation): tfjs.Tensor;
  /** Σ over every axis but the last (a bias's gradient). */
  columnSum(x: tfjs.Tensor): tfjs.Tensor1D;
  sampling(mu: tfjs.Tensor, logVar: tfjs.Tensor, eps: tfjs.Tensor): tfjs.Tensor;
  samplingGrad(dz: tfjs.Tensor, logVar: tfjs.Tensor, eps: tfjs.Tensor): tfjs.Tensor;
  /** scale·Σ BCE(x, clip(ŷ, ε, 1 − ε)). */
  bceLoss(x: tfjs.Tensor, p: tfjs.Tensor, scale: number, eps: number): tfjs.Scalar;
  bceGrad(x: tfjs.Tensor, p: tfjs.Tensor, dLoss: tfjs.Tensor, scale: number, eps: number): tfjs.Tensor;
  /** scale·Σ(1 + log σ² − μ² − exp(log σ²)). */
  klLoss(mu: tfjs.Tensor, logVar: tfjs.Tensor, scale: number): tfjs.Scalar;
  klGrad(mu: tfjs.Tensor, logVar: tfjs.Tensor, dLoss: tfjs.Tensor, scale: number): [tfjs.Tensor, tfjs.Tensor];
  scale(x: tfjs.Tensor, k: number): tfjs.Tensor;
  /** A scalar kept for the run (one per value): a constant operand without a tensor made per step. */
  constant(x: number): tfjs.Scalar;
  /** Frees the kept constants. */
  dispose(): void;
  /** x·W (+ b) then act, for 2-D x and W: one kernel on every backend (tfjs's _FusedMatMul). */
  dense(x: tfjs.Tensor2D, w: tfjs.Tensor2D, b: tfjs.Tensor | null, act: FusedActivation): tfjs.Tensor2D;
  /** A tensor just made from values (random draws, a batch), put on the GPU without a staging buffer. */
  uploaded<T extends tfjs.Tensor>(t: T): T;
}

export function fusedOps(tf: Tf): FusedOps {
  registerFusedKernels(tf);
  const engine = tf.engine();
  const has = (name: string) => !!tf.getKernel(name, tf.getBackend());
  const run = (name: string, inputs: Record<string, tfjs.Tensor>, attrs: Record<string, number> = {}) => engine.runKernel(name, inputs, attrs) as tfjs.Tensor | tfjs.Tensor[];
  const one = (name: string, inputs: Record<string, tfjs.Tensor>, attrs: Record<string, number> = {}) => {
    const r = run(name, inputs, attrs);
    return Array.isArray(r) ? r[0] : r;
  };
  const actIndex = (a: FusedActivation) => ACTIVATIONS.indexOf(a);
  // Fallback constants: scalars made once here, not per step.
  const kept = new Map<number, tfjs.Scalar>();
  const k = (x: number) => {
    let t = kept.get(x);
    if (!t) kept.set(x, (t = tf.keep(tf.scalar(x))));
    return t;
  };
  const activate = (x: tfjs.Tensor, act: FusedActivation) => (act === 'relu' ? tf.relu(x) : act === 'sigmoid' ? tf.sigmoid(x) : act === 'tanh' ? tf.tanh(x) : x);

  return {
    supports: isFusedActivation,
    biasActivation: (x, b, act) => {
      if (!b) return activate(x, act);
      if (has('WirelabBiasActivation')) return one('WirelabBiasActivation', { x, b }, { act: actIndex(act) });
      return activate(tf.add(x, b), act);
    },
    activationGrad: (dy, y, act) => {
      if (act === 'linear') return dy;
      if (has('WirelabActivationGrad')) return one('WirelabActivationGrad', { dy, y }, { act: actIndex(act) });
      if (act === 'relu') return tf.mul(dy, tf.step(y));
      if (act === 'sigmoid') return tf.mul(dy, tf.mul(y, tf.sub(k(1), y)));
      return tf.mul(dy, tf.sub(k(1), tf.square(y)));
    },
    columnSum: (x) => {
      if (has(COLUMN_SUM)) return one(COLUMN_SUM, { x }) as tfjs.Tensor1D;
      const c = x.shape.at(-1)!;
      return tf.sum(tf.reshape(x, [-1, c]), 0);
    },
    sampling: (mu, logVar, eps) => {
      if (has('WirelabSampling')) return one('WirelabSampling', { mu, lv: logVar, eps });
      return tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, k(0.5))), eps));
    },
    samplingGrad: (dz, logVar, eps) => {
      if (has('WirelabSamplingGrad')) return one('WirelabSamplingGrad', { dz, lv: logVar, eps });
      return tf.mul(tf.mul(dz, eps), tf.mul(tf.exp(tf.mul(logVar, k(0.5))), k(0.5)));
    },
    bceLoss: (x, p, scale, eps) => {
      if (has('WirelabBceLoss')) return one('WirelabBceLoss', { x, p }, { scale, eps }) as tfjs.Scalar;
      // webgl: the terms in one program, then tfjs's sum.
      if (has('WirelabBceLossTerm')) return tf.mul(tf.sum(one('WirelabBceLossTerm', { x, p }, { scale, eps })), k(scale)) as tfjs.Scalar;
      const q = tf.clipByValue(p, eps, 1 - eps);
      const bce = tf.neg(tf.add(tf.mul(x, tf.log(q)), tf.mul(tf.sub(k(1), x), tf.log(tf.sub(k(1), q)))));
      return tf.mul(tf.sum(bce), k(scale)) as tfjs.Scalar;
    },
    bceGrad: (x, p, dLoss, scale, eps) => {
      if (has('WirelabBceGrad')) return one('WirelabBceGrad', { x, p, dl: dLoss }, { scale, eps });
      const q = tf.clipByValue(p, eps, 1 - eps);
      const inside = tf.logicalAnd(tf.greaterEqual(p, k(eps)), tf.lessEqual(p, k(1 - eps)));
      const g = tf.mul(tf.neg(tf.mul(dLoss, k(scale))), tf.sub(tf.div(x, q), tf.div(tf.sub(k(1), x), tf.sub(k(1), q))));
      return tf.where(inside, g, tf.zerosLike(g));
    },
    klLoss: (mu, logVar, scale) => {
      if (has('WirelabKlLoss')) return one('WirelabKlLoss', { mu, lv: logVar }, { scale }) as tfjs.Scalar;
      if (has('WirelabKlLossTerm')) return tf.mul(tf.sum(one('WirelabKlLossTerm', { mu, lv: logVar }, { scale })), k(scale)) as tfjs.Scalar;
      return tf.mul(tf.sum(tf.sub(tf.sub(tf.add(k(1), logVar), tf.square(mu)), tf.exp(logVar))), k(scale)) as tfjs.Scalar;
    },
    klGrad: (mu, logVar, dLoss, scale) => {
      if (has('WirelabKlGrad')) return run('WirelabKlGrad', { mu, lv: logVar, dl: dLoss }, { scale }) as [tfjs.Tensor, tfjs.Tensor];
      const kk = tf.mul(dLoss, k(scale));
      return [tf.mul(kk, mu), tf.mul(tf.mul(kk, k(-0.5)), tf.sub(k(1), tf.exp(logVar)))];
    },
    scale: (x, factor) => {
      if (has('WirelabScale')) return one('WirelabScale', { x }, { k: factor });
      return tf.mul(x, k(factor));
    },
    uploaded: (t) => uploadNow(tf, t),
    constant: k,
    dispose: () => {
      kept.forEach((t) => t.dispose());
      kept.clear();
    },
    dense: (x, w, b, act) => {
      // wasm's kernel reads its operands as 3-D, as tf.fused.matMul reshapes them.
      if (tf.getBackend() === 'wasm') return tf.fused.matMul({ a: x, b: w, bias: b ?? undefined, activation: act as 'linear' | 'relu' | 'sigmoid' }) as tfjs.Tensor2D;
      // The kernel directly: tf.fused.matMul would add reshapes (kernels too) around it.
      const inputs: Record<string, tfjs.Tensor> = b ? { a: x, b: w, bias: b } : { a: x, b: w };
      return engine.runKernel('_FusedMatMul', inputs, { transposeA: false, transposeB: false, activation: act }) as tfjs.Tensor2D;
    },
  };
}
