import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile';
import { take, type Dataset } from '../../src/train/data';
import { loadDatasetFromDisk } from '../../src/train/data-node';
import { train, type StepReport } from '../../src/train/train';
import { preset, tf, wasmBackend } from '../helpers';

let data: Dataset;
beforeAll(async () => {
  await wasmBackend();
  data = await loadDatasetFromDisk('fashion-mnist');
});

const settings = { optimizer: 'rmsprop' as const, learningRate: 0.001, batchSize: 64, epochs: 1, seed: 3 };

describe('train', () => {
  it('lowers the β-VAE’s loss on 2,048 real Fashion-MNIST images', async () => {
    const program = compile(preset('beta-vae'), tf);
    const steps: StepReport[] = [];
    const epochs: Record<string, number>[] = [];
    const result = await train({ tf, program, data: take(data.train, 2048), settings, onStep: (s) => void steps.push(s), onEpoch: (e) => void epochs.push(e.losses) }).done;
    expect(result.status).toBe('done');
    expect(steps).toHaveLength(32);
    const mean = (xs: StepReport[]) => xs.reduce((s, x) => s + x.losses.total, 0) / xs.length;
    expect(mean(steps.slice(-5))).toBeLessThan(mean(steps.slice(0, 5)) * 0.9);
    // Every term is reported by its label, and the total is their sum at the Objective.
    const last = steps.at(-1)!.losses;
    expect(Object.keys(last).sort()).toEqual(['kl_loss', 'reconstruction_loss', 'total', 'β·kl_loss']);
    expect(last.total).toBeCloseTo(last.reconstruction_loss + last['β·kl_loss'], 2);
    expect(last['β·kl_loss']).toBeCloseTo(10 * last.kl_loss, 3);
    expect(epochs).toHaveLength(1);
    program.dispose();
  }, 120_000);

  it('does not leak tensors: the count after step 200 equals the count after step 10, reading every step or every 4', async () => {
    for (const readEvery of [1, 4]) {
      const program = compile(preset('beta-vae'), tf);
      const counts = new Map<number, number>();
      await train({
        tf,
        program,
        data: take(data.train, 1024),
        settings: { ...settings, batchSize: 4, epochs: 1 },
        maxSteps: 210,
        readEvery,
        onStep: (s) => void (s.step === 10 || s.step === 200 ? counts.set(s.step, tf.memory().numTensors) : 0),
      }).done;
      expect(counts.get(200)).toBe(counts.get(10));
      program.dispose();
    }
  }, 120_000);

  it('shuffles by seed: the same seed gives the same losses', async () => {
    const run = async (seed: number) => {
      const program = compile(preset('autoencoder'), tf);
      // Same starting weights for both runs.
      program.variables.forEach((v, i) => v.assign(tf.fill(v.shape, ((i % 5) + 1) * 0.01)));
      const losses: number[] = [];
      await train({ tf, program, data: take(data.train, 256), settings: { ...settings, batchSize: 32, seed }, maxSteps: 3, onStep: (s) => void losses.push(s.losses.total) }).done;
      program.dispose();
      return losses;
    };
    const a = await run(5);
    expect(await run(5)).toEqual(a);
    expect(await run(6)).not.toEqual(a);
  }, 60_000);

  it('pauses, resumes and stops', async () => {
    const program = compile(preset('autoencoder'), tf);
    let seen = 0;
    const run = train({ tf, program, data: take(data.train, 512), settings: { ...settings, batchSize: 16 }, onStep: () => void seen++ });
    run.pause();
    await new Promise((r) => setTimeout(r, 300));
    const whilePaused = seen;
    expect(whilePaused).toBeLessThanOrEqual(1);
    run.resume();
    while (seen < whilePaused + 3) await new Promise((r) => setTimeout(r, 20));
    run.stop();
    const result = await run.done;
    expect(result.status).toBe('stopped');
    expect(result.steps).toBeGreaterThanOrEqual(3);
    expect(result.steps).toBeLessThan(32);
    program.dispose();
  }, 120_000);

  it('stops on a non-finite loss, naming the step and the term, and keeps the last good weights', async () => {
    for (const readEvery of [1, 3]) {
      const program = compile(preset('beta-vae'), tf);
      const sgd = { ...settings, batchSize: 32, learningRate: 1e12, optimizer: 'sgd' as const };
      const result = await train({ tf, program, data: take(data.train, 256), settings: sgd, readEvery }).done;
      expect(result.status).toBe('failed');
      expect(result.message).toMatch(/^Step \d+: the loss "[^"]+" became (NaN|Infinity|-Infinity)/);
      for (const v of program.variables) expect(tf.tidy(() => tf.all(tf.isFinite(v)).dataSync()[0])).toBe(1);
      program.dispose();
    }
  }, 120_000);

  it('changes the learning rate and β at the next step', async () => {
    const program = compile(preset('beta-vae'), tf);
    const ratios: number[] = [];
    const run = train({
      tf,
      program,
      data: take(data.train, 256),
      settings: { ...settings, batchSize: 16 },
      maxSteps: 4,
      onStep: (s) => {
        ratios.push(s.losses['β·kl_loss'] / s.losses.kl_loss);
        if (s.step === 2) program.setParam('beta', 'beta', 3);
      },
    });
    run.setLearningRate(0.0005);
    await run.done;
    expect(ratios[0]).toBeCloseTo(10, 3);
    expect(ratios[3]).toBeCloseTo(3, 3);
    program.dispose();
  }, 120_000);

  it('trains a Conv2D with linear activation on wasm (no fused op without a filter-gradient kernel)', async () => {
    const doc = preset('beta-vae');
    doc.nodes.find((n) => n.id === 'conv1')!.params.activation = 'linear';
    const program = compile(doc, tf);
    const result = await train({ tf, program, data: take(data.train, 64), settings: { ...settings, batchSize: 16 } }).done;
    expect(result.status).toBe('done');
    program.dispose();
  }, 60_000);
});
