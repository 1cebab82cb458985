// The Compare runs verdict on real numbers: the β-VAE (β = 10) and its β = 0 twin, each trained by
// the CLI with seeds 1, 2, 3 (64 steps: the first 2,048 images, batch 32, one epoch, wasm), k-NN
// accuracy and KL summed over the two latent dimensions after the run.
import { describe, expect, it } from 'vitest';
import { summarize, verdict } from '../../src/train/compare-verdict';

const beta10 = { knn: [0.49, 0.537, 0.471], kl: [0.603, 1.563, 2.88] };
const beta0 = { knn: [0.535, 0.548, 0.47], kl: [5.937, 39.344, 9.554] };

describe('the verdict', () => {
  it('k-NN: a 1.8-point difference within a 7.8-point spread is too early to tell', () => {
    const v = verdict(beta10.knn, beta0.knn, { higherIsBetter: true });
    expect(v.decided).toBe(false);
    expect(v.difference).toBeCloseTo(0.0183, 3);
    expect(v.spread).toBeCloseTo(0.078, 3);
    if (!v.decided) expect(v.why).toMatch(/within the run-to-run spread/);
  });

  it('KL on a log scale: β = 0’s is 9.4× larger (geometric means), beyond the seeds’ spread of 6.6×', () => {
    const v = verdict(beta10.kl, beta0.kl, { higherIsBetter: false, scale: 'log' });
    expect(v.decided && v.better).toBe(0);
    expect(v.a?.mean).toBeCloseTo(1.395, 2);
    expect(v.b?.mean).toBeCloseTo(13.07, 1);
    expect(v.difference).toBeCloseTo(9.37, 1);
    expect(v.spread).toBeCloseTo(6.63, 1);
    // On a linear scale β = 0's own spread (33.4) swallows the difference (17.4): the scale matters.
    expect(verdict(beta10.kl, beta0.kl, { higherIsBetter: false }).decided).toBe(false);
  });

  it('is too early to tell until every seed has run on both sides, however large the gap', () => {
    const v = verdict(beta10.kl.slice(0, 1), beta0.kl.slice(0, 1), { higherIsBetter: false, scale: 'log' });
    expect(v.decided).toBe(false);
    if (!v.decided) expect(v.why).toBe('1 of 3 seeds done on each side');
    const w = verdict(beta10.kl, beta0.kl.slice(0, 2), { higherIsBetter: false, scale: 'log' });
    if (!w.decided) expect(w.why).toBe('3 of 3 seeds done on A, 2 on B');
    expect(verdict(beta10.knn, beta0.knn.slice(0, 2), { higherIsBetter: true }).decided).toBe(false);
  });

  it('names the better side by the measure’s direction', () => {
    const hi = [0.62, 0.6, 0.63];
    const lo = [0.5, 0.53, 0.51];
    expect(verdict(hi, lo, { higherIsBetter: true })).toMatchObject({ decided: true, better: 0 });
    expect(verdict(hi, lo, { higherIsBetter: false })).toMatchObject({ decided: true, better: 1 });
    expect(verdict(lo, hi, { higherIsBetter: true })).toMatchObject({ decided: true, better: 1 });
  });

  it('summarizes a side: mean, range and spread', () => {
    expect(summarize([1, 2, 4])).toEqual({ n: 3, mean: 7 / 3, min: 1, max: 4, spread: 3 });
    const log = summarize([1, 2, 4], 'log')!;
    expect(log.mean).toBeCloseTo(2, 9);
    expect(log.spread).toBe(4);
    expect(summarize([])).toBeNull();
  });
});
