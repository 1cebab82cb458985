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
import type { Program } from '../compile/compile';
import type { ParamValue } from '../graph/document';
import type { FromWorker, ToWorker, WorkerSetup } from './parallel-protocol';
import { combineShards, flatten, shardGradients, shardSizes, variableSizes, type FlatShard } from './shard';
import type { TrainOptions } from './train';

export interface DataParallelOptions {
  tf: Tf;
  /** The program the main thread trains (its variables are the weights); workers compile its document. */
  program: Program;
  /** Threads in all, the main thread included (≥ 2; 1 is plain `train`). */
  threads: number;
}

export interface DataParallel {
  threads: number;
  /** Hand to `train({ step })`. */
  step: NonNullable<TrainOptions['step']>;
  /** A live param (β): set on the main program and on every worker from the next step. */
  setParam(nodeId: string, name: string, value: ParamValue): void;
  /** Ends the workers. */
  close(): Promise<void>;
}

// Workers run the TypeScript sources as the main thread does: a small .mjs registers tsx in the
// thread, then imports the worker, the same from `npm run cli`, the bench and vitest.
const bootUrl = new URL('./parallel-worker-boot.mjs', import.meta.url);
const workerEntry = new URL('./parallel-worker.ts', import.meta.url).href;

interface Pending {
  resolve(shard: FlatShard): void;
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
          p.resolve({ count: p.count, losses: m.losses, grads: m.grads });
        }
      });
      this.worker.on('error', (e) => fail(new Error(`A training thread failed: ${e.message}`)));
      this.worker.on('exit', (code) => fail(new Error(`A training thread exited (code ${code}).`)));
    });
    // A failure before anyone awaits `ready` must not go unhandled.
    this.ready.catch(() => {});
  }

  shard(message: Omit<ToWorker, 'id'>, count: number): Promise<FlatShard> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<FlatShard>((resolve, reject) => {
      this.pending = { resolve, reject, count };
      const full: ToWorker = { ...message, id: this.nextId++ };
      this.worker.postMessage(full, [full.images.buffer, full.labels.buffer]);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('Training threads were closed.');
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** Starts `threads − 1` worker threads on the main thread's backend and waits until each has compiled the program. */
export async function startDataParallel({ tf, program, threads }: DataParallelOptions): Promise<DataParallel> {
  if (!Number.isInteger(threads) || threads < 2) throw new Error(`Data-parallel training needs 2 threads or more, got ${threads}.`);
  const setup: WorkerSetup = { doc: program.doc, backend: tf.getBackend(), entry: workerEntry, seed: 0 };
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
  const params = new Map<string, [string, string, ParamValue]>();

  const step: DataParallel['step'] = async ({ image, label }, optimizer) => {
    const [n, ...shape] = image.shape;
    const perImage = image.size / n;
    const sizes = shardSizes(n, threads);
    const weights = flatten(program.variables);
    const floats = image.dataSync() as Float32Array;
    const classes = Int32Array.from(label.dataSync());
    // Workers first, so they compute while this thread does its own shard.
    let at = sizes[0];
    const remote = workers.flatMap((w, k) => {
      const count = sizes[k + 1];
      if (!count) return [];
      const images = floats.slice(at * perImage, (at + count) * perImage);
      const labels = classes.slice(at, at + count);
      at += count;
      return [w.shard({ type: 'step', weights, images, labels, shape: [count, ...shape] as ToWorker['shape'], params: [...params.values()] }, count)];
    });
    const mine = { image: image.slice(0, sizes[0]), label: label.slice(0, sizes[0]) };
    const local = shardGradients(tf, program, mine);
    tf.dispose([mine.image, mine.label]);
    try {
      const shards = await Promise.all(remote);
      const { losses, grads } = combineShards(tf, program, { count: sizes[0], result: local }, shards);
      optimizer.applyGradients(grads);
      tf.dispose(Object.values(grads));
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
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
