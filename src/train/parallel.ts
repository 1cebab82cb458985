// Data-parallel training in Node over worker threads: tfjs's wasm backend computes on one core, so
// each extra core gets a worker thread with its own tfjs and the same compiled program. Each step
// the main thread splits the batch: it sends the current weights and a shard to every worker,
// computes the first shard itself, combines the shards' gradients weighted by their sizes (equal to
// the full batch's gradient: see shard.ts) and applies ONE optimizer step to its own variables —
// the only copy that is updated; workers get the new weights with the next step. The training loop
// (train.ts: pause, stop, NaN rollback, live learning rate, metrics) is unchanged: this replaces
// only its step. Node only (node:worker_threads); the browser's worker never imports it.
import { Worker } from 'node:worker_threads';
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../nodes/define';
import type { Batch, Program } from '../compile/compile';
import type { ParamValue } from '../graph/document';
import type { FromWorker, ToWorker, WorkerSetup } from './parallel-protocol';
import { balancedSizes, combineShards, shardSizes, flatten, shardGradients, variableSizes, type FlatShard } from './shard';
import type { TrainOptions } from './train';
import { defaultStepKind, type StepKind } from './step';

export interface DataParallelOptions {
  tf: Tf;
  /** The program the main thread trains (its variables are the weights); workers compile its document. */
  program: Program;
  /** Threads in all, the main thread included (≥ 2; 1 is plain `train`). */
  threads: number;
  /**
   * Size the shards by each thread's measured speed (faster on a busy machine). Off by default:
   * the sizes then follow the clock, so which ε each image gets does too, and a seed no longer
   * repeats a run; equal shards keep it repeatable.
   */
  balance?: boolean;
  /** How each shard's gradients are computed: as the training step of this kind would (default: the backend's). */
  stepKind?: StepKind;
}

export interface DataParallel {
  threads: number;
  /** Hand to `train({ step })`. */
  step: NonNullable<TrainOptions['step']>;
  /** A live param (β): set on the main program and on every worker from the next step. */
  setParam(nodeId: string, name: string, value: ParamValue): void;
  /** Where the main thread's time went, summed over the steps so far. */
  stats(): ParallelStats;
  /** Ends the workers. */
  close(): Promise<void>;
}

export interface ParallelStats {
  steps: number;
  /** Splitting the batch and sending weights and shards. */
  sendMs: number;
  /** Its own shard's forward and backward. */
  computeMs: number;
  /** Waiting for the workers after its own shard. */
  waitMs: number;
  /** Combining the gradients and the optimizer step. */
  updateMs: number;
  /** The last step's shard sizes, the main thread's first. */
  sizes: number[];
}

// Workers run the TypeScript sources as the main thread does: a small .mjs registers tsx in the
// thread, then imports the worker, the same from `npm run cli`, the bench and vitest.
const bootUrl = new URL('./parallel-worker-boot.mjs', import.meta.url);
const workerEntry = new URL('./parallel-worker.ts', import.meta.url).href;

type TimedShard = FlatShard & { ms: number };

interface Pending {
  resolve(shard: TimedShard): void;
  reject(error: Error): void;
  count: number;
}

/** A worker thread with one request in flight at a time. */
class ShardWorker {
  private readonly worker: Worker;
  private pending: Pending | null = null;
  private nextId = 1;
  readonly ready: Promise<number[]>;
  private failure: Error | null = null;

  constructor(setup: WorkerSetup) {
    this.worker = new Worker(bootUrl, { workerData: setup });
    this.ready = new Promise<number[]>((resolve, reject) => {
      const fail = (error: Error) => {
        this.failure ??= error;
        reject(error);
        this.pending?.reject(error);
        this.pending = null;
      };
      this.worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') resolve(m.sizes);
        else if (m.type === 'error') fail(new Error(`A training thread failed: ${m.message}`));
        else if (this.pending) {
          const p = this.pending;
          this.pending = null;
          p.resolve({ count: p.count, losses: m.losses, grads: m.grads, ms: m.ms });
        }
      });
      this.worker.on('error', (e) => fail(new Error(`A training thread failed: ${e.message}`)));
      this.worker.on('exit', (code) => fail(new Error(`A training thread exited (code ${code}).`)));
    });
    // A failure before anyone awaits `ready` must not go unhandled.
    this.ready.catch(() => {});
  }

  shard(message: Omit<ToWorker, 'id'>, count: number): Promise<TimedShard> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<TimedShard>((resolve, reject) => {
      this.pending = { resolve, reject, count };
      const full: ToWorker = { ...message, id: this.nextId++ };
      this.worker.postMessage(full, [full.images.buffer, ...(full.label ? [full.label.values.buffer] : [])]);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('Training threads were closed.');
    this.pending?.reject(this.failure);
    this.pending = null;
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** Starts `threads − 1` worker threads on the main thread's backend and waits until each has compiled the program. */
export async function startDataParallel({ tf, program, threads, balance = false, stepKind = defaultStepKind(tf) }: DataParallelOptions): Promise<DataParallel> {
  if (!Number.isInteger(threads) || threads < 2) throw new Error(`Data-parallel training needs 2 threads or more, got ${threads}.`);
  const fast = stepKind === 'fast';
  const setup: WorkerSetup = { doc: program.doc, backend: tf.getBackend(), entry: workerEntry, seed: 0, fast };
  // The same seed in every thread would give every shard the same ε rows: correlated noise.
  const workers = Array.from({ length: threads - 1 }, (_, k) => new ShardWorker({ ...setup, seed: (program.doc.training.seed + 7919 * (k + 1)) >>> 0 }));
  try {
    const sizes = await Promise.all(workers.map((w) => w.ready));
    const mine = variableSizes(program).join();
    if (sizes.some((s) => s.join() !== mine)) throw new Error('A training thread compiled different weights from the main thread.');
  } catch (e) {
    await Promise.all(workers.map((w) => w.close()));
    throw e;
  }
  const one = fast ? tf.keep(tf.scalar(1)) : undefined;
  const params = new Map<string, [string, string, ParamValue]>();
  const stats: ParallelStats = { steps: 0, sendMs: 0, computeMs: 0, waitMs: 0, updateMs: 0, sizes: [] };
  // Each thread's recent time per image (the main thread's includes sending), for balancing.
  const msPerImage = new Array<number>(threads).fill(NaN);
  const learn = (k: number, ms: number, count: number) => {
    if (!count) return;
    msPerImage[k] = Number.isNaN(msPerImage[k]) ? ms / count : 0.7 * msPerImage[k] + 0.3 * (ms / count);
  };

  const step: DataParallel['step'] = async ({ image, label }, optimizer) => {
    const t0 = performance.now();
    const [n, ...shape] = image.shape;
    const perImage = image.size / n;
    const sizes = balance ? balancedSizes(n, msPerImage) : shardSizes(n, threads);
    const weights = flatten(program.variables);
    const floats = image.dataSync() as Float32Array;
    const labels = label && { values: label.dataSync() as Int32Array | Float32Array, dtype: label.dtype === 'int32' ? ('int32' as const) : ('float32' as const) };
    // Workers first, so they compute while this thread does its own shard.
    let at = sizes[0];
    const remote = workers.flatMap((w, k) => {
      const count = sizes[k + 1];
      if (!count) return [];
      const images = floats.slice(at * perImage, (at + count) * perImage);
      const shardLabel = labels && { values: labels.values.slice(at, at + count), dtype: labels.dtype };
      at += count;
      const message = { type: 'step' as const, weights, images, shape: [count, ...shape] as ToWorker['shape'], label: shardLabel, params: [...params.values()] };
      return [w.shard(message, count).then((s) => (learn(k + 1, s.ms, count), s))];
    });
    const t1 = performance.now();
    const mine = { image: image.slice(0, sizes[0]), label: label?.slice(0, sizes[0]) };
    const local = shardGradients(tf, program, mine, one);
    tf.dispose([mine.image, ...(mine.label ? [mine.label] : [])]);
    const t2 = performance.now();
    learn(0, t2 - t0, sizes[0]);
    try {
      const shards = await Promise.all(remote);
      const t3 = performance.now();
      const { losses, grads } = combineShards(tf, program, { count: sizes[0], result: local }, shards);
      optimizer.applyGradients(program.variables.map((v) => grads[v.name]));
      tf.dispose(Object.values(grads));
      const t4 = performance.now();
      Object.assign(stats, { steps: stats.steps + 1, sendMs: stats.sendMs + t1 - t0, computeMs: stats.computeMs + t2 - t1, waitMs: stats.waitMs + t3 - t2, updateMs: stats.updateMs + t4 - t3, sizes });
      return tf.tensor1d(losses);
    } finally {
      tf.dispose([local.losses, ...local.grads]);
    }
  };

  return {
    threads,
    step,
    setParam(nodeId, name, value) {
      program.setParam(nodeId, name, value);
      params.set(`${nodeId}\u0000${name}`, [nodeId, name, value]);
    },
    stats: () => ({ ...stats }),
    close: async () => {
      one?.dispose();
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
