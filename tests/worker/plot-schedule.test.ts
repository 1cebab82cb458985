import { describe, expect, it } from 'vitest';
import { PlotSchedule } from '../../src/worker/plot-schedule';

/** Simulates a run: steps of `stepMs`, asking the schedule at each; a draw costs `plotMs` (+ `metricsMs`). */
function simulate(opts: { stepMs: number; plotMs: number; metricsMs: number; runMs: number; stepsPerEpoch?: number }) {
  let now = 0;
  const s = new PlotSchedule(now);
  const draws: { at: number; metrics: boolean }[] = [];
  let step = 0;
  while (now < opts.runMs) {
    now += opts.stepMs;
    step++;
    const epochEnd = opts.stepsPerEpoch !== undefined && step % opts.stepsPerEpoch === 0;
    const plan = s.plan(now, epochEnd ? 'epoch' : 'tick');
    if (!plan.plots) continue;
    draws.push({ at: now, metrics: plan.metrics });
    now += opts.plotMs + (plan.metrics ? opts.metricsMs : 0);
    s.record(now, opts.plotMs, plan.metrics ? opts.metricsMs : null);
  }
  return { draws, share: s.spentShare(now), schedule: s };
}

describe('plot schedule', () => {
  it('draws every ~3 s when drawing is cheap, with metrics from the second draw on', () => {
    const { draws, share } = simulate({ stepMs: 50, plotMs: 20, metricsMs: 40, runMs: 30_000 });
    expect(draws.length).toBeGreaterThanOrEqual(9);
    expect(draws.length).toBeLessThanOrEqual(11);
    expect(draws[0].at).toBeGreaterThanOrEqual(3000);
    expect(draws[0].metrics).toBe(false);
    expect(draws.slice(1).every((d) => d.metrics)).toBe(true);
    for (let i = 1; i < draws.length; i++) expect(draws[i].at - draws[i - 1].at).toBeGreaterThanOrEqual(3000);
    expect(share).toBeLessThanOrEqual(0.05);
  });

  it('keeps an expensive drawing within 5 % of the run, and measures the metrics less often when they do not fit', () => {
    const { draws, share } = simulate({ stepMs: 50, plotMs: 400, metricsMs: 1500, runMs: 120_000 });
    expect(share).toBeLessThanOrEqual(0.05);
    expect(draws.length).toBeGreaterThan(3);
    const withMetrics = draws.filter((d) => d.metrics).length;
    expect(withMetrics).toBeGreaterThan(0);
    expect(withMetrics).toBeLessThan(draws.length);
  });

  it('draws at epoch ends without the 3 s gap, still within the share', () => {
    const { draws, share } = simulate({ stepMs: 10, plotMs: 2, metricsMs: 2, runMs: 5000, stepsPerEpoch: 20 });
    expect(draws.length).toBeGreaterThan(5);
    expect(share).toBeLessThanOrEqual(0.05);
  });

  it('forced draws always draw both', () => {
    const s = new PlotSchedule(0);
    expect(s.plan(1, 'forced')).toEqual({ plots: true, metrics: true });
    expect(s.plan(1, 'tick')).toEqual({ plots: false, metrics: false });
    s.record(10, 1000, 1000);
    // 2 s spent: the next draw (1 s expected) fits once the run is 60 s old.
    expect(s.plan(50_000, 'epoch').plots).toBe(false);
    expect(s.plan(60_000, 'epoch').plots).toBe(true);
    expect(s.plan(60_000, 'epoch').metrics).toBe(false);
    expect(s.plan(80_000, 'epoch').metrics).toBe(true);
  });
});

describe('plot schedule: pauses and forced draws', () => {
  it('counts neither paused time nor forced draws as the run’s time or its drawing', () => {
    const s = new PlotSchedule(0);
    s.record(4000, 100, null);
    expect(s.spentShare(4000)).toBeCloseTo(100 / 4000);
    s.pause(4000);
    s.record(6000, 1000, 1000, true);
    s.resume(60_000);
    expect(s.spentShare(60_000)).toBeCloseTo(100 / 4000);
    // A forced draw while training (the end of a run) is not drawing time either.
    s.record(64_000, 500, 500, true);
    expect(s.spent).toBe(100);
    expect(s.spentShare(64_000)).toBeCloseTo(100 / 7000);
  });
});

describe('plot schedule: a guessed first cost', () => {
  it('does not draw before its guessed cost fits (a software GPU: seconds a step)', () => {
    const s = new PlotSchedule(0);
    s.estimate(5000, 4, 5116);
    expect(s.plan(60_000, 'epoch').plots).toBe(false);
    const fast = new PlotSchedule(0);
    fast.estimate(650, 128, 5116);
    expect(fast.plan(5000, 'tick').plots).toBe(false);
    expect(fast.plan(20_000, 'tick').plots).toBe(true);
  });
});
