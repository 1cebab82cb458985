// One training step, two ways. 'reference': tfjs's generic path (its tape, its optimizers with
// Keras's settings). 'fast': built for GPUs — the optimizer updates each variable in one fused
// kernel with its constants as uniforms (or kept tensors), so nothing is created and uploaded per
// step. Both return the step's losses (total first, then each term) as one tensor, not read.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../nodes/define';
import type { Program } from '../compile/compile';
import type { OptimizerName } from '../graph/document';
import { FastOptimizer, KERAS, type NamedTensor, type StepOptimizer } from './fast-optimizer';

export type StepKind = 'fast' | 'reference';

/** The fast step where it pays: on the GPU backends. Elsewhere tfjs's generic path. */
export function defaultStepKind(tf: Tf): StepKind {
  return ['webgpu', 'webgl'].includes(tf.getBackend()) ? 'fast' : 'reference';
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
      dispose: () => opt.dispose(),
    };
  }
  const opt = new FastOptimizer(tf, optimizer, lr, vars);
  return {
    kind,
    optimizer: opt,
    run: (image) =>
      tf.tidy(() => {
        let stacked: tfjs.Tensor1D | null = null;
        const { grads } = tf.variableGrads(() => {
          const { total, terms } = program.losses({ image });
          stacked = tf.keep(tf.stack([total, ...terms])) as tfjs.Tensor1D;
          return total;
        }, vars);
        opt.applyGradients(vars.map((v) => grads[v.name]));
        return stacked!;
      }),
    dispose: () => opt.dispose(),
  };
}
