// The maths of data-parallel training, environment-agnostic (tf passed in): a batch split into
// shards, each shard's gradient, and their combination into the full batch's gradient.
//
// Every loss term is a mean over the batch (BCE and KL reduce over the batch by a mean, β-scale and
// the Objective are linear), so the full batch's loss is Σₖ (nₖ/N)·Lₖ over shards of nₖ images,
// and by linearity its gradient is Σₖ (nₖ/N)·∇Lₖ. Sampling draws its own ε per shard: the same
// distribution as one ε for the whole batch, not the same numbers.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../nodes/define';
import type { Batch, Program } from '../compile/compile';

/** Sizes of `parts` contiguous shards of `count` images, as equal as can be (the first ones take the remainder). */
export function shardSizes(count: number, parts: number): number[] {
  const base = Math.floor(count / parts);
  return Array.from({ length: parts }, (_, k) => base + (k < count % parts ? 1 : 0));
}

/**
 * Shard sizes in proportion to each thread's speed (`msPerImage`, one per thread), so threads that
 * get less of a busy CPU are not waited for: every thread gets at least one image while there are
 * enough, and the sizes add up to `count`. Any weighting gives the same combined gradient.
 */
export function balancedSizes(count: number, msPerImage: readonly number[]): number[] {
  const parts = msPerImage.length;
  if (!msPerImage.every((c) => Number.isFinite(c) && c > 0)) return shardSizes(count, parts);
  const floor = count >= parts ? 1 : 0;
  const speed = msPerImage.map((c) => 1 / c);
  const sum = speed.reduce((a, b) => a + b, 0);
  const free = count - floor * parts;
  const exact = speed.map((v) => (v / sum) * free);
  const sizes = exact.map((x) => floor + Math.floor(x));
  // The images left by rounding down go to the largest remainders.
  const order = exact.map((x, k) => [x - Math.floor(x), k]).sort((a, b) => b[0] - a[0]);
  const left = count - sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; i < left; i++) sizes[order[i][1]]++;
  return sizes;
}

/** One shard's batch-mean losses [total, ...terms] and the gradient of its total for each variable, in `program.variables` order. */
export interface ShardResult {
  losses: tfjs.Tensor1D;
  grads: tfjs.Tensor[];
}

/**
 * Forward and backward on one shard, without updating anything. The caller disposes the result.
 * With `one` (a kept scalar 1), the fast step's own backward where the graph has one (as the
 * training step takes it where its kind is 'fast'); else tfjs's tape.
 */
export function shardGradients(tf: Tf, program: Program, batch: Batch, one?: tfjs.Scalar): ShardResult {
  if (one) {
    const own = tf.tidy(() => {
      const g = program.fastGradients(batch, one);
      return g ? [tf.stack([g.total, ...g.terms, ...g.metrics]), ...g.grads] : [];
    });
    if (own.length) return { losses: own[0] as tfjs.Tensor1D, grads: own.slice(1) };
  }
  let losses: tfjs.Tensor1D | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const { total, terms, metrics } = program.losses(batch);
    losses = tf.keep(tf.stack([total, ...terms, ...metrics]) as tfjs.Tensor1D);
    return total;
  }, program.variables);
  value.dispose();
  return { losses: losses!, grads: program.variables.map((v) => grads[v.name]) };
}

/** The variables' element counts, in order: how a flat array of all of them is laid out. */
export const variableSizes = (program: Program): number[] => program.variables.map((v) => v.size);

/** Concatenates tensors (weights or gradients, in variable order) into one Float32Array. */
export function flatten(tensors: readonly tfjs.Tensor[]): Float32Array<ArrayBuffer> {
  const out = new Float32Array(tensors.reduce((n, t) => n + t.size, 0));
  let at = 0;
  for (const t of tensors) {
    out.set(t.dataSync() as Float32Array, at);
    at += t.size;
  }
  return out;
}

/** Loads a flat array of every weight (as `flatten` lays it out) into the program's variables. */
export function assignFlat(tf: Tf, program: Program, flat: Float32Array): void {
  let at = 0;
  tf.tidy(() => {
    for (const v of program.variables) {
      v.assign(tf.tensor(flat.subarray(at, at + v.size), v.shape));
      at += v.size;
    }
  });
  if (at !== flat.length) throw new Error(`assignFlat: ${flat.length} values for ${at} weights.`);
}

/** A shard's result as it crosses threads: batch-mean losses and the flat gradient, from `count` images. */
export interface FlatShard {
  count: number;
  losses: Float32Array;
  grads: Float32Array;
}

/**
 * The full batch's losses and gradients from its shards' (each weighted by its share of the
 * images): the gradients as tensors shaped like the variables, keyed by variable name as
 * `optimizer.applyGradients` takes them. `local` is a shard computed in this thread, still as tensors.
 */
export function combineShards(
  tf: Tf,
  program: Program,
  local: { count: number; result: ShardResult } | null,
  remote: readonly FlatShard[],
): { losses: Float32Array; grads: Record<string, tfjs.Tensor> } {
  const total = (local?.count ?? 0) + remote.reduce((n, r) => n + r.count, 0);
  const width = local ? local.result.losses.size : remote[0].losses.length;
  const losses = new Float32Array(width);
  const add = (values: ArrayLike<number>, count: number) => {
    for (let i = 0; i < width; i++) losses[i] += (values[i] * count) / total;
  };
  if (local) add(local.result.losses.dataSync(), local.count);
  remote.forEach((r) => add(r.losses, r.count));
  const grads: Record<string, tfjs.Tensor> = {};
  let at = 0;
  for (const [i, v] of program.variables.entries()) {
    const from = at;
    grads[v.name] = tf.tidy(() => {
      let g: tfjs.Tensor | null = local ? tf.mul(local.result.grads[i], local.count / total) : null;
      for (const r of remote) {
        const part = tf.mul(tf.tensor(r.grads.subarray(from, from + v.size), v.shape), r.count / total);
        g = g ? tf.add(g, part) : part;
      }
      return g!;
    });
    at += v.size;
  }
  return { losses, grads };
}
