// Data-parallel training over real worker threads (each its own tfjs on wasm), against one thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, type Program } from '../../src/compile/compile';
import { take, type Dataset } from '../../src/train/data';
import { loadDatasetFromDisk } from '../../src/train/data-node';
import { startDataParallel, type DataParallel } from '../../src/train/parallel';
import { train, type StepReport } from '../../src/train/train';
import { preset, tf, wasmBackend } from '../helpers';

let data: Dataset;
let p: Program;
let parallel: DataParallel;

beforeAll(async () => {
  await wasmBackend();
  data = await loadDatasetFromDisk('fashion-mnist');
  p = compile(preset('beta-vae'), tf);
  parallel = await startDataParallel({ tf, program: p, threads: 2 });
}, 120_000);

afterAll(async () => {
  await parallel?.close();
  p?.dispose();
});

const settings = { optimizer: 'rmsprop' as const, learningRate: 0.001, batchSize: 64, epochs: 2, seed: 7 };

describe('data-parallel training over worker threads', () => {
  it('follows the same loss curve as one thread: 30 steps on 2,048 images, same seed and starting weights', async () => {
    const start = p.variables.map((v) => v.clone());
    const run = async (step?: DataParallel['step']) => {
      p.variables.forEach((v, i) => v.assign(start[i]));
      const steps: StepReport[] = [];
      const result = await train({ tf, program: p, data: take(data.train, 2048), settings, maxSteps: 30, step, onStep: (s) => void steps.push(s) }).done;
      expect(result.status).toBe('done');
      return steps.map((s) => s.losses);
    };
    const one = await run();
    const two = await run(parallel.step);
    tf.dispose(start);
    expect(two).toHaveLength(30);
    // Same weights and images: the first step differs only by Sampling's ε.
    expect(Math.abs(two[0].total - one[0].total) / one[0].total).toBeLessThan(0.01);
    // The same batches in the same order: each step's loss stays close, and the curve falls the same way.
    // Each thread draws its own seeded ε, so single steps differ by Sampling's noise (up to ~6 % here);
    // the gradient itself is checked to 1e-5 in shard.test.ts.
    for (let s = 0; s < 30; s++) expect(Math.abs(two[s].total - one[s].total) / one[s].total, `step ${s + 1}`).toBeLessThan(0.1);
    const tail = (ls: typeof one) => ls.slice(-5).reduce((a, l) => a + l.total, 0) / 5;
    expect(tail(two)).toBeLessThan(two[0].total * 0.9);
    expect(Math.abs(tail(two) - tail(one)) / tail(one)).toBeLessThan(0.05);
    // Every term is still reported by its label.
    expect(Object.keys(two[29]).sort()).toEqual(Object.keys(one[29]).sort());
  }, 300_000);

  it('sends a live β to every thread', async () => {
    parallel.setParam('beta', 'beta', 0);
    const steps: StepReport[] = [];
    await train({ tf, program: p, data: take(data.train, 256), settings, maxSteps: 2, step: parallel.step, onStep: (s) => void steps.push(s) }).done;
    parallel.setParam('beta', 'beta', 10);
    for (const { losses } of steps) {
      // β·KL is the shards' β·KL weighted by their sizes: 0 only if the worker's β is 0 too.
      expect(losses['β·kl_loss']).toBeCloseTo(0, 6);
      expect(losses.kl_loss).toBeGreaterThan(0);
      expect(losses.total).toBeCloseTo(losses.reconstruction_loss, 3);
    }
  }, 120_000);
});
