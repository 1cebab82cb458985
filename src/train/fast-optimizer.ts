// Keras's RMSprop, Adam and SGD without a tensor created per step. tfjs's optimizers pass
// JavaScript numbers to their ops, and each becomes a scalar tensor uploaded to the device (≈1 ms
// an op on webgpu). Here, on cpu and webgpu, each variable is updated by one fused kernel whose
// constants are attributes (uniforms); elsewhere (webgl, wasm) by the same maths in tfjs ops whose
// constants are scalar tensors kept for the run. The state saves and loads under tfjs's names
// (`iter`, `<variable>/rms`, `<variable>/momentum`, `<variable>/m`, `<variable>/v`), so a state
// saved from tfjs's optimizer loads here and back.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../nodes/define';
import type { OptimizerName } from '../graph/document';
import { ADAM_KERNEL, RMSPROP_KERNEL, SGD_KERNEL, hasOptimizerKernels, registerOptimizerKernels, type AdamAttrs } from '../gpu/optimizer-kernels';

/** Keras's defaults. */
export const KERAS = { rmsprop: { rho: 0.9, epsilon: 1e-7 }, adam: { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } } as const;

export interface NamedTensor {
  name: string;
  tensor: tfjs.Tensor;
}

/** What the training loop needs of an optimizer; tfjs's own fits it too (see train.ts). */
export interface StepOptimizer {
  /** Applies one step's gradients, in the order of the variables it was made for. */
  applyGradients(grads: tfjs.Tensor[]): void;
  setLearningRate(lr: number): void;
  getWeights(): Promise<NamedTensor[]>;
  setWeights(weights: NamedTensor[]): Promise<void>;
  dispose(): void;
}

export class FastOptimizer implements StepOptimizer {
  private iterations = 0;
  /** RMSprop: [ms]; Adam: [m, v]; SGD: none. One variable each per model variable. */
  private slots: tfjs.Variable[][];
  private readonly fused: boolean;
  /** RMSprop's momentum slots as tfjs saves them (always zero here), made at the first save. */
  private zeroMomentum?: tfjs.Tensor[];
  /** Kept scalars for the unfused path. */
  private kept: Record<string, tfjs.Variable> = {};

  constructor(
    private readonly tf: Tf,
    readonly name: OptimizerName,
    private lr: number,
    private readonly vars: tfjs.Variable[],
  ) {
    registerOptimizerKernels(tf);
    this.fused = hasOptimizerKernels(tf);
    const count = name === 'rmsprop' ? 1 : name === 'adam' ? 2 : 0;
    this.slots = vars.map((v) => Array.from({ length: count }, () => tf.tidy(() => tf.variable(tf.zerosLike(v), false))));
    if (!this.fused) {
      const keep = (n: number) => tf.tidy(() => tf.variable(tf.scalar(n), false));
      this.kept = { lr: keep(lr), rho: keep(KERAS.rmsprop.rho), oneMinusRho: keep(1 - KERAS.rmsprop.rho), rmsEps: keep(KERAS.rmsprop.epsilon) };
      Object.assign(this.kept, {
        beta1: keep(KERAS.adam.beta1),
        beta2: keep(KERAS.adam.beta2),
        oneMinusBeta1: keep(1 - KERAS.adam.beta1),
        oneMinusBeta2: keep(1 - KERAS.adam.beta2),
        adamEps: keep(KERAS.adam.epsilon),
        one: keep(1),
        // β₁ᵗ and β₂ᵗ, advanced on the device each step.
        beta1Power: keep(1),
        beta2Power: keep(1),
      });
    }
  }

  /** Whether each variable's update is one fused kernel on this backend. */
  get isFused(): boolean {
    return this.fused;
  }

  setLearningRate(lr: number): void {
    this.lr = lr;
    // Only a change uploads anything.
    if (!this.fused) this.tf.tidy(() => this.kept.lr.assign(this.tf.scalar(lr)));
  }

  applyGradients(grads: tfjs.Tensor[]): void {
    const { tf } = this;
    this.iterations++;
    const t = this.iterations;
    tf.tidy(() => {
      if (this.fused) {
        const engine = tf.engine();
        const adam = this.adamConstants(t);
        this.vars.forEach((w, i) => {
          const g = grads[i];
          const s = this.slots[i];
          if (this.name === 'rmsprop') {
            const [w2, ms2] = engine.runKernel(RMSPROP_KERNEL, { w, g, ms: s[0] }, { lr: this.lr, ...KERAS.rmsprop }) as tfjs.Tensor[];
            w.assign(w2);
            s[0].assign(ms2);
          } else if (this.name === 'adam') {
            const [w2, m2, v2] = engine.runKernel(ADAM_KERNEL, { w, g, m: s[0], v: s[1] }, { ...adam }) as tfjs.Tensor[];
            w.assign(w2);
            s[0].assign(m2);
            s[1].assign(v2);
          } else {
            const [w2] = engine.runKernel(SGD_KERNEL, { w, g }, { lr: this.lr }) as tfjs.Tensor[];
            w.assign(w2);
          }
        });
        return;
      }
      const k = this.kept;
      let c1: tfjs.Tensor | null = null;
      let c2: tfjs.Tensor | null = null;
      let epsilonHat: tfjs.Tensor | null = null;
      if (this.name === 'adam') {
        k.beta1Power.assign(tf.mul(k.beta1Power, k.beta1));
        k.beta2Power.assign(tf.mul(k.beta2Power, k.beta2));
        c1 = tf.sub(k.one, k.beta1Power);
        c2 = tf.sub(k.one, k.beta2Power);
        epsilonHat = tf.div(k.adamEps, tf.sqrt(c2));
      }
      this.vars.forEach((w, i) => {
        const g = grads[i];
        const s = this.slots[i];
        if (this.name === 'rmsprop') {
          const ms = tf.add(tf.mul(s[0], k.rho), tf.mul(tf.square(g), k.oneMinusRho));
          s[0].assign(ms);
          w.assign(tf.sub(w, tf.div(tf.mul(g, k.lr), tf.sqrt(tf.add(ms, k.rmsEps)))));
        } else if (this.name === 'adam') {
          const m = tf.add(tf.mul(s[0], k.beta1), tf.mul(g, k.oneMinusBeta1));
          const v = tf.add(tf.mul(s[1], k.beta2), tf.mul(tf.square(g), k.oneMinusBeta2));
          s[0].assign(m);
          s[1].assign(v);
          w.assign(tf.sub(w, tf.mul(tf.div(tf.div(m, c1!), tf.add(tf.sqrt(tf.div(v, c2!)), epsilonHat!)), k.lr)));
        } else {
          w.assign(tf.sub(w, tf.mul(g, k.lr)));
        }
      });
    });
  }

  /** Step t's Adam constants, β powers as float32 products (as tfjs's reference keeps them). */
  private adamConstants(t: number): AdamAttrs {
    const { beta1, beta2, epsilon } = KERAS.adam;
    let p1 = Math.fround(beta1);
    let p2 = Math.fround(beta2);
    for (let k = 1; k < t; k++) {
      p1 = Math.fround(p1 * Math.fround(beta1));
      p2 = Math.fround(p2 * Math.fround(beta2));
    }
    return {
      lr: this.lr,
      beta1,
      beta2,
      oneMinusBeta1: 1 - beta1,
      oneMinusBeta2: 1 - beta2,
      c1: Math.fround(1 - p1),
      c2: Math.fround(1 - p2),
      epsilonHat: epsilon / Math.sqrt(1 - beta2 ** t),
    };
  }

  async getWeights(): Promise<NamedTensor[]> {
    const { tf } = this;
    const iter = { name: 'iter', tensor: tf.scalar(this.iterations, 'int32') };
    if (this.name === 'rmsprop') {
      // tfjs's RMSprop keeps a momentum slot too; with momentum 0 it carries nothing forward.
      return [
        iter,
        ...this.vars.map((v, i) => ({ name: `${v.name}/rms`, tensor: this.slots[i][0] as tfjs.Tensor })),
        // Made once and kept: the caller reads these as it reads the slots, and disposes neither.
        ...(this.zeroMomentum ??= this.vars.map((v) => tf.keep(tf.zerosLike(v)))).map((tensor, i) => ({ name: `${this.vars[i].name}/momentum`, tensor })),
      ];
    }
    if (this.name === 'adam')
      return [
        iter,
        ...this.vars.map((v, i) => ({ name: `${v.name}/m`, tensor: this.slots[i][0] as tfjs.Tensor })),
        ...this.vars.map((v, i) => ({ name: `${v.name}/v`, tensor: this.slots[i][1] as tfjs.Tensor })),
      ];
    return [iter];
  }

  async setWeights(weights: NamedTensor[]): Promise<void> {
    const iter = weights.find((w) => w.name === 'iter');
    const rest = weights.filter((w) => w !== iter);
    const per = this.slots[0]?.length ?? 0;
    // tfjs's RMSprop state has [rms..., momentum...]; Adam's [m..., v...]: slot j of variable i is at j·n + i.
    const n = this.vars.length;
    const expected = this.name === 'rmsprop' ? 2 * n : per * n;
    if (rest.length !== expected) throw new Error(`The saved ${this.name} state has ${rest.length} tensors; this model needs ${expected}.`);
    if (iter) this.iterations = (await iter.tensor.data())[0];
    for (let i = 0; i < n; i++)
      for (let j = 0; j < per; j++) {
        const t = rest[j * n + i].tensor;
        if (t.shape.join() !== this.vars[i].shape.join()) throw new Error(`Saved optimizer tensor "${rest[j * n + i].name}" has the wrong shape.`);
        this.slots[i][j].assign(t);
      }
    if (!this.fused && this.name === 'adam') {
      this.tf.tidy(() => {
        this.kept.beta1Power.assign(this.tf.scalar(KERAS.adam.beta1 ** this.iterations));
        this.kept.beta2Power.assign(this.tf.scalar(KERAS.adam.beta2 ** this.iterations));
      });
    }
  }

  dispose(): void {
    this.slots.flat().forEach((v) => v.dispose());
    this.zeroMomentum?.forEach((t) => t.dispose());
    Object.values(this.kept).forEach((v) => v.dispose());
  }
}
