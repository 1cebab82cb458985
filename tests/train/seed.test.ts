// A seed makes a run repeatable: training.seed seeds the shuffle, the initial weights and
// Sampling's ε, so two runs with the same seed on the same backend give the same losses.
import { describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/compile/backend-node';
import { compile } from '../../src/compile/compile';
import { take, type ImageSet } from '../../src/train/data';
import { loadDatasetFromDisk } from '../../src/train/data-node';
import { train, type Losses } from '../../src/train/train';
import { preset, tf } from '../helpers';

let images: ImageSet | null = null;

/** The losses of every step of a short β-VAE run (its Sampling draws ε each step). */
async function run(seed: number): Promise<Losses[]> {
  images ??= take((await loadDatasetFromDisk('fashion-mnist')).train, 32);
  const program = compile(preset('beta-vae'), tf, { seed });
  const losses: Losses[] = [];
  const result = await train({
    tf,
    program,
    data: images,
    settings: { optimizer: 'rmsprop', learningRate: 0.001, batchSize: 8, epochs: 1, seed },
    maxSteps: 3,
    onStep: (s) => void losses.push(s.losses),
  }).done;
  program.dispose();
  expect(result.status).toBe('done');
  return losses;
}

describe('the same seed, the same run', () => {
  for (const backend of ['cpu', 'wasm'] as const)
    it(`on ${backend}: identical losses step by step; another seed differs`, async () => {
      await useNodeBackend(tf, backend);
      const a = await run(7);
      const b = await run(7);
      expect(a).toHaveLength(3);
      expect(b).toEqual(a);
      const c = await run(8);
      expect(c[0].total).not.toBe(a[0].total);
    }, 180_000);

  it('the initial weights follow the seed, and differ from node to node', () => {
    const weights = (seed: number) => {
      const p = compile(preset('beta-vae'), tf, { seed });
      const values = p.namedWeights().map((w) => ({ name: w.name, values: Array.from(w.variable.dataSync().slice(0, 8)) }));
      p.dispose();
      return values;
    };
    const a = weights(1);
    expect(weights(1)).toEqual(a);
    expect(weights(2)).not.toEqual(a);
    const kernel = (id: string) => a.find((w) => w.name === `${id}/kernel`)!.values;
    expect(kernel('z_mean')).not.toEqual(kernel('z_log_var'));
  });
});
