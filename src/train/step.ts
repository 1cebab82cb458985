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
 * The fast step on webgpu, where its fused kernels run. On webgl it would run the same maths in
 * tfjs ops (kept constants, no tape): not measured yet, so webgl, wasm and cpu keep the reference.
 */
export function defaultStepKind(tf: Tf): StepKind {
  return tf.getBackend() === 'webgpu' ? 'fast' : 'reference';
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
  /** Runs one step on a batch; returns [total, ...terms] as one tensor (the caller disposes it). */
  run(image: tfjs.Tensor4D): tfjs.Tensor1D;
  /** Forward and backward only (for timing phases): the gradient computed last, the first variable's. */
  gradients(image: tfjs.Tensor4D): tfjs.Tensor;
  dispose(): void;
}

export function createTrainingStep(tf: Tf, program: Program, optimizer: OptimizerName, lr: number, kind: StepKind = defaultStepKind(tf)): TrainingStep {
  const vars = program.variables;
  if (kind === 'reference') {
    const opt = new ReferenceOptimizer(createOptimizer(tf, optimizer, lr), vars);
    return {
      kind,
      optimizer: opt,
      run: (image) =>
        tf.tidy(() => {
          let stacked: tfjs.Tensor1D | null = null;
          opt.tfjsOptimizer.minimize(
            () => {
              const { total, terms } = program.losses({ image });
              stacked = tf.keep(tf.stack([total, ...terms])) as tfjs.Tensor1D;
              return total;
            },
            false,
            vars,
          );
          return stacked!;
        }),
      gradients: (image) => tf.tidy(() => tf.variableGrads(() => program.losses({ image }).total, vars).grads[vars[0].name]),
      dispose: () => opt.dispose(),
    };
  }
  const opt = new FastOptimizer(tf, optimizer, lr, vars);
  // d total / d total, kept for the run.
  const one = tf.keep(tf.scalar(1));
  /** Losses and gradients: the graph's own backward where every node has one, else tfjs's tape. */
  const gradients = (image: tfjs.Tensor4D) => {
    const own = program.fastGradients({ image }, one);
    if (own) return own;
    let losses: { total: tfjs.Scalar; terms: tfjs.Scalar[] } | null = null;
    const { grads } = tf.variableGrads(() => {
      losses = program.losses({ image });
      return losses.total;
    }, vars);
    return { ...losses!, grads: vars.map((v) => grads[v.name]) };
  };
  return {
    kind,
    optimizer: opt,
    run: (image) =>
      tf.tidy(() => {
        const { total, terms, grads } = gradients(image);
        opt.applyGradients(grads);
        return tf.stack([total, ...terms]) as tfjs.Tensor1D;
      }),
    gradients: (image) => tf.tidy(() => gradients(image).grads[0]),
    dispose: () => {
      opt.dispose();
      one.dispose();
    },
  };
}
