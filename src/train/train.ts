// The training loop: the same code in Node (CLI, tests, bench) and in the browser worker.
// Seeded shuffling, Keras's optimizers, a metric per loss term, pause/resume/stop, live
// learning rate, and a stop with the last good weights when a loss stops being finite.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../nodes/define';
import type { Batch, Program } from '../compile/compile';
import type { TrainingSettings } from '../graph/document';
import { imageTensor, labelTensor, seededRandom, shuffled, type ImageSet } from './data';
import type { StepOptimizer } from './fast-optimizer';
import { createStepOptimizer, createTrainingStep, defaultStepKind, type StepKind } from './step';

export type Losses = Record<string, number>;

export interface StepReport {
  epoch: number;
  /** Steps done so far, over all epochs (1-based). */
  step: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  /** `total`, each term and each metric (accuracy) by its label. */
  losses: Losses;
  samplesPerSecond: number;
  elapsedMs: number;
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  /** Each loss averaged over the epoch's steps. */
  losses: Losses;
  elapsedMs: number;
}

export interface TrainResult {
  status: 'done' | 'stopped' | 'failed';
  steps: number;
  epochs: number;
  /** Why training failed (a non-finite loss), naming the step and the term. */
  message?: string;
  last?: Losses;
}

export interface TrainOptions {
  tf: Tf;
  program: Program;
  data: ImageSet;
  settings: Pick<TrainingSettings, 'optimizer' | 'learningRate' | 'batchSize' | 'epochs' | 'seed'>;
  onStep?: (report: StepReport) => void | Promise<void>;
  onEpoch?: (report: EpochReport) => void | Promise<void>;
  /** Stop after this many steps in all (for tests and benchmarks). */
  maxSteps?: number;
  /**
   * Read the losses every this many steps (default 1). Reading makes the device finish its queue,
   * so on a GPU a few steps between reads keep it busy; a NaN then rolls back to the last read.
   */
  readEvery?: number;
  /**
   * Replaces the step done here: applies one update for the batch with this optimizer and returns
   * [total, ...terms, ...metrics] as one tensor (data-parallel training over worker threads: src/train/parallel.ts).
   */
  step?: (batch: Batch, optimizer: StepOptimizer) => Promise<tfjs.Tensor>;
  /** 'fast' (fused kernels, the graph's own backward) or tfjs's generic 'reference' step; default: fast on webgpu. */
  stepKind?: StepKind;
  /**
   * The optimizer to step with (createStepOptimizer), owned by the caller, who may have restored its
   * state with setWeights() and saves it with getWeights(); by default one is made from the settings.
   */
  optimizer?: StepOptimizer;
}

export interface TrainRun {
  done: Promise<TrainResult>;
  pause(): void;
  resume(): void;
  stop(): void;
  readonly paused: boolean;
  /** Takes effect at the next step. */
  setLearningRate(lr: number): void;
}

export { createOptimizer, createStepOptimizer } from './step';

/**
 * Lets queued events (pause, stop, a new β) run between steps: reading a tensor can resolve as a
 * microtask, which would otherwise keep the loop from ever yielding.
 */
export function yieldToEvents(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));
  return new Promise((r) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => r();
    channel.port2.postMessage(null);
  });
}

export function train(options: TrainOptions): TrainRun {
  const { tf, program, data, settings } = options;
  let paused = false;
  let stopped = false;
  let wake: (() => void) | null = null;
  let pendingLr: number | null = null;

  const done = (async (): Promise<TrainResult> => {
    const kind = options.stepKind ?? defaultStepKind(tf);
    const optimizer = options.optimizer ?? createStepOptimizer(tf, program, settings.optimizer, settings.learningRate, kind);
    const trainingStep = options.step ? null : createTrainingStep(tf, program, settings.optimizer, settings.learningRate, kind, optimizer);
    const vars = program.variables;
    // The weights and the non-trainable state (moving averages) at the last step whose loss was read
    // and found finite; restored if a loss goes NaN.
    const kept = [...vars, ...program.state];
    const good = tf.tidy(() => kept.map((v) => tf.variable(v.clone(), false)));
    const random = seededRandom(settings.seed);
    const batchSize = Math.min(settings.batchSize, data.count);
    const stepsPerEpoch = Math.ceil(data.count / batchSize);
    const totalSteps = Math.min(stepsPerEpoch * settings.epochs, options.maxSteps ?? Infinity);
    const readEvery = Math.max(1, options.readEvery ?? 1);
    const names = ['total', ...program.terms.map((t) => t.label), ...program.metrics.map((m) => m.label)];
    const start = performance.now();
    let step = 0;
    let last: Losses | undefined;
    let epochsDone = 0;
    // Steps dispatched but whose losses are not read yet: reading forces the device to finish.
    const pending: { values: tfjs.Tensor; epoch: number; stepInEpoch: number }[] = [];
    let sums = new Float64Array(names.length);
    let counted = 0;

    const batchTensor = (order: Uint32Array, s: number) => {
      const indices = order.subarray(s * batchSize, Math.min((s + 1) * batchSize, data.count));
      return { image: imageTensor(tf, data, indices), label: labelTensor(tf, data, indices) };
    };

    /** Reads the pending losses in one go; a failure message if one is not finite. */
    const flush = async (): Promise<string | null> => {
      if (!pending.length) return null;
      const batch = pending.splice(0);
      const stacked = tf.tidy(() => tf.stack(batch.map((p) => p.values)));
      batch.forEach((p) => p.values.dispose());
      const read = (await stacked.data()) as Float32Array;
      stacked.dispose();
      for (let k = 0; k < batch.length; k++) {
        const row = read.subarray(k * names.length, (k + 1) * names.length);
        const stepNo = step - batch.length + k + 1;
        const bad = names.findIndex((_, i) => !Number.isFinite(row[i]));
        if (bad >= 0) {
          const term = names.slice(1).find((_, i) => !Number.isFinite(row[i + 1])) ?? names[bad];
          kept.forEach((v, i) => v.assign(good[i]));
          return `Step ${stepNo}: the loss "${term}" became ${row[names.indexOf(term)]}; training stopped and kept the weights from the last good step. Try a lower learning rate.`;
        }
        last = Object.fromEntries(names.map((n, i) => [n, row[i]]));
        row.forEach((v, i) => (sums[i] += v));
        counted++;
        const elapsedMs = performance.now() - start;
        await options.onStep?.({
          epoch: batch[k].epoch,
          step: stepNo,
          stepInEpoch: batch[k].stepInEpoch,
          stepsPerEpoch,
          totalSteps,
          losses: last,
          samplesPerSecond: (stepNo * batchSize) / (elapsedMs / 1000),
          elapsedMs,
        });
      }
      tf.tidy(() => kept.forEach((v, i) => good[i].assign(v)));
      return null;
    };
    const failed = (message: string): TrainResult => ({ status: 'failed', steps: step, epochs: epochsDone, last, message });

    let next: { image: tfjs.Tensor4D; label: tfjs.Tensor1D } | null = null;
    try {
      for (let epoch = 1; epoch <= settings.epochs && step < totalSteps; epoch++) {
        const order = shuffled(data.count, random);
        sums = new Float64Array(names.length);
        counted = 0;
        let stepsThisEpoch = 0;
        next = batchTensor(order, 0);
        for (let s = 0; s < stepsPerEpoch && step < totalSteps; s++) {
          await yieldToEvents();
          if (paused || stopped) {
            const problem = await flush();
            if (problem) return failed(problem);
          }
          if (paused) await new Promise<void>((r) => (wake = r));
          if (stopped) return { status: 'stopped', steps: step, epochs: epochsDone, last };
          if (pendingLr !== null) {
            optimizer.setLearningRate(pendingLr);
            pendingLr = null;
          }
          const batch = next!;
          const values = options.step ? await options.step(batch, optimizer) : trainingStep!.run(batch.image, batch.label);
          batch.image.dispose();
          batch.label.dispose();
          // The next batch goes up while the device still works on this one.
          next = s + 1 < stepsPerEpoch && step + 1 < totalSteps ? batchTensor(order, s + 1) : null;
          step++;
          stepsThisEpoch++;
          pending.push({ values, epoch, stepInEpoch: s + 1 });
          if (pending.length >= readEvery) {
            const problem = await flush();
            if (problem) return failed(problem);
          }
        }
        const problem = await flush();
        if (problem) return failed(problem);
        if (stepsThisEpoch === stepsPerEpoch) epochsDone = epoch;
        await options.onEpoch?.({
          epoch,
          epochs: settings.epochs,
          losses: Object.fromEntries(names.map((n, i) => [n, sums[i] / counted])),
          elapsedMs: performance.now() - start,
        });
      }
      return { status: stopped ? 'stopped' : 'done', steps: step, epochs: epochsDone, last };
    } finally {
      next?.image.dispose();
      next?.label.dispose();
      pending.forEach((p) => p.values.dispose());
      good.forEach((g) => g.dispose());
      trainingStep?.dispose();
      if (!options.optimizer) optimizer.dispose();
    }
  })();

  return {
    done,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      wake?.();
      wake = null;
    },
    stop: () => {
      stopped = true;
      paused = false;
      wake?.();
    },
    get paused() {
      return paused;
    },
    setLearningRate: (lr) => {
      pendingLr = lr;
    },
  };
}
