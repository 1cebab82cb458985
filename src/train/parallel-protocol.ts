// Messages between data-parallel training's main thread (parallel.ts) and its workers (parallel-worker.ts).
import type { GraphDocument, ParamValue } from '../graph/document';

/** What a worker is started with (`workerData`). */
export interface WorkerSetup {
  doc: GraphDocument;
  /** The tfjs backend the main thread trains on ('wasm' or 'cpu'). */
  backend: string;
  /** Seeds the worker's own noise (Sampling's ε): each thread draws different noise for its shard. */
  seed: number;
  /** The worker module's URL (parallel-worker-boot.mjs imports it). */
  entry: string;
  /** Gradients by the fast step's own backward (where the graph has one) rather than tfjs's tape. */
  fast: boolean;
}

export type ToWorker = {
  type: 'step';
  id: number;
  /** Every weight, flat, in `program.variables` order. */
  weights: Float32Array<ArrayBuffer>;
  /** The shard's images as floats, and their shape [n, ...image]. */
  images: Float32Array<ArrayBuffer>;
  shape: [number, number, number, number];
  /** The shard's labels, where the batch has them. */
  label?: { values: Int32Array<ArrayBuffer> | Float32Array<ArrayBuffer>; dtype: 'int32' | 'float32' };
  /** Live params (β) set since training began: [node, param, value]. */
  params: [string, string, ParamValue][];
};

export type FromWorker =
  | { type: 'ready'; backend: string; sizes: number[] }
  | { type: 'shard'; id: number; losses: Float32Array<ArrayBuffer>; grads: Float32Array<ArrayBuffer>; /** Time spent on it in the worker. */ ms: number }
  | { type: 'error'; message: string };
