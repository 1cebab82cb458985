// Data-parallel maths on the cpu backend: a batch's gradient combined from its shards' gradients,
// each weighted by its share of the images, equals the full batch's gradient.
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/compile/backend-node';
import { compile } from '../../src/compile/compile';
import { toFloats, type Dataset } from '../../src/train/data';
import { loadDatasetFromDisk } from '../../src/train/data-node';
import { balancedSizes, combineShards, flatten, shardGradients, shardSizes } from '../../src/train/shard';
import { preset, tf } from '../helpers';

let data: Dataset;
beforeAll(async () => {
  await useNodeBackend(tf, 'cpu');
  data = await loadDatasetFromDisk('fashion-mnist');
});

describe('shardSizes', () => {
  it('splits a batch into near-equal contiguous shards that add up to it', () => {
    expect(shardSizes(128, 2)).toEqual([64, 64]);
    expect(shardSizes(10, 3)).toEqual([4, 3, 3]);
    expect(shardSizes(1, 2)).toEqual([1, 0]);
  });
});

describe('balancedSizes', () => {
  it('gives a thread twice as fast twice the images, at least one each, adding up to the batch', () => {
    expect(balancedSizes(120, [2, 1])).toEqual([40, 80]);
    expect(balancedSizes(128, [1, 1])).toEqual([64, 64]);
    expect(balancedSizes(10, [1, 1000, 1])).toEqual([5, 1, 4]);
    for (const costs of [[3, 7], [1, 2, 3], [0.5, 9, 9, 2]]) {
      for (const n of [4, 5, 63, 128]) {
        const sizes = balancedSizes(n, costs);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
        expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
      }
    }
  });
  it('splits evenly until every thread has been timed', () => {
    expect(balancedSizes(128, [NaN, 2])).toEqual([64, 64]);
  });
});

describe('combineShards', () => {
  it('gives the full-batch gradient and losses of the β-VAE within 1e-5, with Sampling’s ε fixed', async () => {
    const batch = 10;
    const images = tf.tensor4d(toFloats(data.train, Array.from({ length: batch }, (_, i) => i)), [batch, 28, 28, 1]);
    // One ε for the whole batch; a shard starting at image `row` takes its rows of it.
    const eps = tf.randomNormal([batch, 2]);
    let row = 0;
    const fixedEps: typeof tf = { ...tf, randomNormal: ((shape: number[]) => tf.slice(eps, [row, 0], shape)) as typeof tf.randomNormal };
    const program = compile(preset('beta-vae'), fixedEps);

    const full = shardGradients(tf, program, { image: images });
    const sizes = [6, 3, 1];
    const shards = sizes.map((count, k) => {
      row = sizes.slice(0, k).reduce((a, b) => a + b, 0);
      const part = tf.slice(images, [row, 0, 0, 0], [count, -1, -1, -1]);
      const result = shardGradients(tf, program, { image: part });
      part.dispose();
      return { count, result };
    });
    // The first shard as tensors (the main thread's own), the others flat (as from worker threads).
    const remote = shards.slice(1).map(({ count, result }) => ({ count, losses: Float32Array.from(result.losses.dataSync()), grads: flatten(result.grads) }));
    const combined = combineShards(tf, program, shards[0], remote);

    const relative = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < b.length; i++) {
        diff = Math.max(diff, Math.abs(a[i] - b[i]));
        scale = Math.max(scale, Math.abs(b[i]));
      }
      return diff / scale;
    };
    const fullLosses = full.losses.dataSync();
    expect(relative(combined.losses, fullLosses)).toBeLessThan(1e-5);
    // The shards' losses differ from each other: the weighting is doing real work.
    expect(Math.abs(remote[0].losses[0] - remote[1].losses[0])).toBeGreaterThan(1e-3);
    for (const [i, v] of program.variables.entries()) {
      const want = full.grads[i].dataSync();
      expect(Math.max(...Array.from(want, Math.abs)), v.name).toBeGreaterThan(0);
      expect(relative(combined.grads[v.name].dataSync(), want), v.name).toBeLessThan(1e-5);
    }
    // An unweighted mean of the shards would not pass: 6 of 10 images are in the first shard, not a third.
    const unweighted = combineShards(tf, program, { count: 1, result: shards[0].result }, remote.map((r) => ({ ...r, count: 1 })));
    const worst = Math.max(...program.variables.map((v, i) => relative(unweighted.grads[v.name].dataSync(), full.grads[i].dataSync())));
    expect(worst).toBeGreaterThan(1e-2);

    tf.dispose([images, eps, full.losses, ...full.grads, ...Object.values(combined.grads), ...Object.values(unweighted.grads)]);
    shards.forEach(({ result }) => tf.dispose([result.losses, ...result.grads]));
    program.dispose();
  }, 120_000);
});

describe('shardGradients', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`by the fast step's own backward equals tfjs's tape on ${backend} (the worker threads' path where the step is fast)`, async () => {
      await useNodeBackend(tf, backend);
      const batch = 6;
      const images = tf.tensor4d(toFloats(data.train, Array.from({ length: batch }, (_, i) => 40 + i)), [batch, 28, 28, 1]);
      const eps = tf.randomNormal([batch, 2]);
      const fixedEps: typeof tf = { ...tf, randomNormal: (() => tf.clone(eps)) as unknown as typeof tf.randomNormal };
      const program = compile(preset('beta-vae'), fixedEps);
      const one = tf.keep(tf.scalar(1));
      const tape = shardGradients(tf, program, { image: images });
      const own = shardGradients(tf, program, { image: images }, one);
      const rel = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(1e-12, tf.max(tf.abs(b)).dataSync()[0]));
      // The fast path's losses are [total, ...terms]; the tape's add the metrics (none here).
      expect(own.losses.shape).toEqual(tape.losses.shape);
      expect(rel(own.losses, tape.losses)).toBeLessThan(1e-5);
      expect(own.grads.length).toBe(program.variables.length);
      own.grads.forEach((g, i) => expect(rel(g, tape.grads[i]), program.variables[i].name).toBeLessThan(1e-4));
      tf.dispose([images, eps, one, tape.losses, ...tape.grads, own.losses, ...own.grads]);
      program.dispose();
      await useNodeBackend(tf, 'cpu');
    }, 120_000);
  }
});
