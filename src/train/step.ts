// One training step, two ways. 'reference': tfjs's generic path (its tape, its optimizers with
// Keras's settings). 'fast': built for GPUs — the graph's own backward (compile/backprop.ts) in
// fused kernels without tfjs's tape, and an optimizer that updates each variable in one fused
// kernel with its constants as uniforms (or kept tensors), so nothing is created and uploaded per
// step. Both return the step's losses (total first, then each term) as one tensor, not read.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../nodes/define';
import type { Program } from '../compile/compile';
import type { OptimizerName } from '../graph/document';
import { FastOptimizer, KERAS, type NamedTensor, type StepOptimizer } from './fast-optimizer';

export type StepKind = 'fast' | 'reference';

/**
 * The fast step on webgpu and webgl, where its fused kernels run (WGSL, GLSL), and on wasm, where
 * the same maths in tfjs ops without the tape beats the reference (β-VAE, batch 128: 370 against
 * 404 CPU ms a step). On webgl it was measured only on a software GPU (Chromium's WebGL on
 * llvmpipe, β-VAE, batch 128: 113 kernels a step against 598, and faster in 16 of 20 turns timed
 * against the reference; README, "The GPU training step"). cpu keeps the reference.
 */
export function defaultStepKind(tf: Tf): StepKind {
  return ['webgpu', 'webgl', 'wasm'].includes(tf.getBackend()) ? 'fast' : 'reference';
}

/**
 * tfjs's optimizers with Keras's defaults: RMSprop ρ 0.9, ε 1e-7; Adam β₁ 0.9, β₂ 0.999, ε 1e-7.
 * tfjs's Adam adds ε to √v̂ (bias-corrected), Keras to √v (uncorrected, the correction folded into
 * the step size); the same update when tfjs's ε is Keras's divided by √(1 − β₂ᵗ), set per step.
 */
export function createOptimizer(tf: Tf, name: OptimizerName, lr: number): tfjs.Optimizer {
  switch (name) {
    case 'rmsprop':
      return tf.train.rmsprop(lr, KERAS.rmsprop.rho, 0, KERAS.rmsprop.epsilon);
    case 'adam': {
      const { beta1, beta2, epsilon } = KERAS.adam;
      const adam = tf.train.adam(lr, beta1, beta2, epsilon);
      const apply = adam.applyGradients.bind(adam);
      adam.applyGradients = (grads) => {
        (adam as unknown as { epsilon: number }).epsilon = epsilon / Math.sqrt(1 - beta2 ** (adam.iterations + 1));
        apply(grads);
      };
      return adam;
    }
    case 'sgd':
      return tf.train.sgd(lr);
  }
}

/** tfjs's optimizer as a StepOptimizer. */
class ReferenceOptimizer implements StepOptimizer {
  constructor(
    readonly tfjsOptimizer: tfjs.Optimizer,
    private readonly vars: tfjs.Variable[],
  ) {}
  applyGradients(grads: tfjs.Tensor[]): void {
    this.tfjsOptimizer.applyGradients(this.vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
  }
  setLearningRate(lr: number): void {
    // tfjs's optimizers read their learning rate at every step, but keep the field protected.
    (this.tfjsOptimizer as unknown as { learningRate: number }).learningRate = lr;
  }
  getWeights(): Promise<NamedTensor[]> {
    return this.tfjsOptimizer.getWeights();
  }
  setWeights(weights: NamedTensor[]): Promise<void> {
    return this.tfjsOptimizer.setWeights(weights);
  }
  dispose(): void {
    this.tfjsOptimizer.dispose();
  }
}

export interface TrainingStep {
  kind: StepKind;
  optimizer: StepOptimizer;
  /**
   * Runs one step on a batch (with its labels where the losses read them); returns [total,
   * ...terms, ...metrics] as one tensor (the caller disposes it).
   */
  run(image: tfjs.Tensor4D, label?: tfjs.Tensor1D): tfjs.Tensor1D;
  /** Forward and backward only (for timing phases): the gradient computed last, the first variable's. */
  gradients(image: tfjs.Tensor4D, label?: tfjs.Tensor1D): tfjs.Tensor;
  dispose(): void;
}

/** The optimizer a step of this kind updates with: fused kernels (fast) or tfjs's own (reference). */
export function createStepOptimizer(tf: Tf, program: Program, optimizer: OptimizerName, lr: number, kind: StepKind = defaultStepKind(tf)): StepOptimizer {
  return kind === 'fast' ? new FastOptimizer(tf, optimizer, lr, program.variables) : new ReferenceOptimizer(createOptimizer(tf, optimizer, lr), program.variables);
}

/**
 * One training step of this kind. `owned`: an optimizer the caller made (createStepOptimizer) and
 * keeps (it saves and restores its state); else the step makes and disposes its own.
 */
export function createTrainingStep(tf: Tf, program: Program, optimizer: OptimizerName, lr: number, kind: StepKind = defaultStepKind(tf), owned?: StepOptimizer): TrainingStep {
  const vars = program.variables;
  const opt = owned ?? createStepOptimizer(tf, program, optimizer, lr, kind);
  const one = tf.keep(tf.scalar(1));
  /** [total, ...terms, ...metrics] and the gradients: on the fast step the graph's own backward where every node has one, else tfjs's tape. */
  const gradients = (image: tfjs.Tensor4D, label?: tfjs.Tensor1D): { losses: tfjs.Tensor1D; grads: tfjs.Tensor[] } => {
    const own = kind === 'fast' ? program.fastGradients({ image, label }, one) : null;
    if (own) return { losses: tf.stack([own.total, ...own.terms, ...own.metrics]) as tfjs.Tensor1D, grads: own.grads };
    let losses: tfjs.Tensor1D | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const { total, terms, metrics } = program.losses({ image, label });
      // Kept: variableGrads disposes everything else made in here.
      losses = tf.keep(tf.stack([total, ...terms, ...metrics]) as tfjs.Tensor1D);
      return total;
    }, vars);
    value.dispose();
    return { losses: losses!, grads: vars.map((v) => grads[v.name]) };
  };
  return {
    kind,
    optimizer: opt,
    run: (image, label) =>
      tf.tidy(() => {
        const { losses, grads } = gradients(image, label);
        opt.applyGradients(grads);
        return losses;
      }),
    gradients: (image, label) =>
      tf.tidy(() => {
        const { losses, grads } = gradients(image, label);
        losses.dispose();
        return grads[0];
      }),
    dispose: () => {
      if (!owned) opt.dispose();
      one.dispose();
    },
  };
}
