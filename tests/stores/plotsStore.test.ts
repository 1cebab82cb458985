import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { useGraphStore } from '../../src/stores/graphStore';
import { emptyPlotSet, foldPlots, usePlotsStore } from '../../src/stores/plotsStore';
import { useCompareStore } from '../../src/stores/compareStore';
import { configureTraining, STOP_WAIT_MS, useTrainingStore } from '../../src/stores/trainingStore';
import type { LatentMetrics, LatentScatterPlot, ReconstructionsPlot } from '../../src/train/plot-types';
import { FakeWorker } from './fake-worker';
import { memoryWeights, weightsKey, type WeightsStorage } from '../../src/worker/saved-weights';

let workers: FakeWorker[];
let storage: WeightsStorage;
beforeEach(() => {
  workers = [];
  storage = memoryWeights();
  configureTraining({
    createWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    storage,
    baseUrl: '/',
    search: '',
  });
  setActivePinia(createPinia());
});

const recon = (nodeId: string, v: number): ReconstructionsPlot => ({ kind: 'reconstructions', nodeId, count: 1, image: { width: 2, height: 1, pixels: new Uint8ClampedArray([v, v]) } });
const scatter = (nodeId: string): LatentScatterPlot => ({
  kind: 'latent-scatter',
  nodeId,
  points: new Float32Array([0, 1, 2, 3]),
  labels: new Uint8Array([0, 1]),
  imageIndex: new Uint32Array([0, 1]),
  classNames: ['a', 'b'],
  axes: ['z[0]', 'z[1]'],
  projection: 'dims',
  latentDims: 2,
});
const metrics = (knn: number): LatentMetrics => ({ knnAccuracy: knn, k: 5, meanPerDim: [0, 0], variancePerDim: [1, 1], klPerDim: [0.5, 0.25], trainSamples: 10, testSamples: 5 });

describe('foldPlots', () => {
  it('keeps the latest plot per node, and the last metrics when a drawing did not measure them', () => {
    let set = foldPlots(emptyPlotSet(), { type: 'plots', plots: [recon('recon', 1), scatter('scatter')], metrics: metrics(0.5), step: 3, key: 'k' });
    set = foldPlots(set, { type: 'plots', plots: [recon('recon', 2)], metrics: null, step: 5, key: 'k' });
    expect(set.step).toBe(5);
    expect((set.byNode.recon as ReconstructionsPlot).image.pixels[0]).toBe(2);
    expect(set.byNode.scatter.kind).toBe('latent-scatter');
    expect(set.metrics?.knnAccuracy).toBe(0.5);
    // Another graph's plots replace all.
    set = foldPlots(set, { type: 'plots', plots: [recon('r2', 9)], metrics: null, step: 1, key: 'other' });
    expect(Object.keys(set.byNode)).toEqual(['r2']);
    expect(set.metrics).toBeNull();
  });
});

describe('plots store', () => {
  it("shows the worker's plots of the graph on screen, and asks for test images once", async () => {
    const training = useTrainingStore();
    const plots = usePlotsStore();
    training.start();
    const w = workers[0];
    w.emit({ type: 'plots', plots: [scatter('scatter')], metrics: metrics(0.529), step: 4, key: training.key, plotMs: 12, plotShare: 0.01 });
    expect(plots.byNode.scatter?.kind).toBe('latent-scatter');
    expect(plots.metrics?.knnAccuracy).toBe(0.529);
    expect(plots.plotShare).toBe(0.01);
    expect(plots.image(7)).toBeNull();
    expect(plots.image(7)).toBeNull();
    expect(w.sent.filter((m) => m.type === 'image')).toHaveLength(1);
    w.emit({ type: 'image', dataset: 'fashion-mnist', index: 7, label: 3, pixels: new Uint8Array(784).fill(5), shape: [28, 28, 1] });
    expect(plots.image(7)?.label).toBe(3);
    // Plots of another graph are not shown for this one.
    w.emit({ type: 'plots', plots: [scatter('x')], metrics: null, step: 1, key: 'graph-other' });
    expect(plots.byNode).toEqual({});
    await nextTick();
  });

  it('asks the worker to draw saved weights after a reload', async () => {
    const graph = useGraphStore();
    await storage.put({
      progress: { key: weightsKey(graph.doc), steps: 6, epochs: 1, losses: { total: 1 }, savedAt: 1, backend: 'wasm' },
      files: { json: {}, weights: new ArrayBuffer(0) },
    });
    const training = useTrainingStore();
    usePlotsStore();
    await training.loadingSaved;
    await nextTick();
    const ask = workers[0]?.sent.find((m) => m.type === 'plots');
    expect(ask).toBeTruthy();
    expect(ask && ask.type === 'plots' && ask.dataset).toBe('fashion-mnist');
  });
});

describe('plots store: reset weights', () => {
  it('forgets the plots with the weights', async () => {
    const graph = useGraphStore();
    const key = weightsKey(graph.doc);
    await storage.put({ progress: { key, steps: 6, epochs: 1, losses: { total: 1 }, savedAt: 1, backend: 'wasm' }, files: { json: {}, weights: new ArrayBuffer(0) } });
    const training = useTrainingStore();
    const plots = usePlotsStore();
    await training.loadingSaved;
    await nextTick();
    workers[0].emit({ type: 'plots', plots: [scatter('scatter')], metrics: metrics(0.4), step: 6, key });
    expect(plots.byNode.scatter).toBeTruthy();
    await training.forgetWeights();
    await nextTick();
    expect(plots.byNode).toEqual({});
    expect(plots.metrics).toBeNull();
  });
});

describe('compare store', () => {
  const step = (total: number) => ({
    type: 'steps' as const,
    steps: [{ epoch: 1, step: 1, stepInEpoch: 1, stepsPerEpoch: 2, totalSteps: 2, losses: { total }, samplesPerSecond: 1, elapsedMs: 5 }],
    memory: { numTensors: 1, numBytes: 1, numBytesInGPU: null },
  });
  const klMetrics = (knn: number, kl: number): LatentMetrics => ({ ...metrics(knn), klPerDim: [kl / 2, kl / 2] });
  /** One run's messages: a step, done, then its last plots (they come after 'done' and before the next run's first message). */
  function finishRun(w: FakeWorker, knn: number, kl: number) {
    // Every message names its run's request: the last plots come after 'done', when the next run has started.
    const re = w.last('start')!.id;
    w.emit({ type: 'phase', phase: 'loading-data' }, re);
    w.emit(step(3), re);
    w.emit({ type: 'done', result: { status: 'done', steps: 2, epochs: 1 } }, re);
    w.emit({ type: 'plots', plots: [scatter('scatter')], metrics: klMetrics(knn, kl), step: 2, key: 'k' }, re);
  }

  it('trains A and B three times each (A, B, A, B, …, seeds +0, +1, +2) in a worker of its own, without saving', () => {
    const compare = useCompareStore();
    compare.settings = { limit: 32, epochs: 1, batchSize: 16 };
    compare.run();
    const w = workers[0];
    const first = w.sent[0];
    expect(first.type === 'start' && first.persist === false && first.resume === false && first.settings.limit === 32).toBe(true);
    // A's and B's results: k-NN apart by more than the spread; KL within it.
    const a = [[0.62, 1.0], [0.6, 1.4], [0.63, 1.2]];
    const b = [[0.5, 1.1], [0.53, 1.3], [0.51, 1.5]];
    for (let k = 0; k < 3; k++) {
      finishRun(w, a[k][0], a[k][1]);
      expect(compare.verdict?.knn.decided, `after A's seed ${k + 1}`).toBe(false);
      finishRun(w, b[k][0], b[k][1]);
    }
    const starts = w.sent.filter((m) => m.type === 'start');
    expect(starts.map((m) => (m.type === 'start' ? [m.doc.nodes.find((n) => n.id === 'beta')?.params.beta, m.settings.seed] : null))).toEqual([
      [10, 1],
      [0, 1],
      [10, 2],
      [0, 2],
      [10, 3],
      [0, 3],
    ]);
    expect(compare.runs?.map((r) => r.phase)).toEqual(['done', 'done']);
    expect(compare.runs?.[0].results.map((r) => r.knnAccuracy)).toEqual([0.62, 0.6, 0.63]);
    expect(compare.runs?.[1].results.map((r) => r.klSum)).toEqual([1.1, 1.3, 1.5]);
    expect(compare.runs?.[0].losses).toEqual([{ step: 1, total: 3 }]);
    const v = compare.verdict!;
    expect(v.knn.decided && v.knn.better).toBe(0);
    expect(v.kl?.decided).toBe(false);
    expect(w.terminated).toBe(true);
    expect(compare.running).toBe(false);
  });

  it('Stop ends the comparison; unfinished seeds do not count', () => {
    const compare = useCompareStore();
    compare.run();
    const w = workers[0];
    finishRun(w, 0.6, 1);
    w.emit({ type: 'phase', phase: 'loading-data' });
    compare.stop();
    w.emit({ type: 'done', result: { status: 'stopped', steps: 1, epochs: 0 } });
    w.emit({ type: 'plots', plots: [scatter('scatter')], metrics: klMetrics(0.1, 9), step: 1, key: 'k' });
    expect(compare.runs?.map((r) => r.phase)).toEqual(['stopped', 'stopped']);
    expect(compare.runs?.map((r) => r.results.length)).toEqual([1, 0]);
    expect(compare.verdict?.knn.decided).toBe(false);
    expect(compare.running).toBe(false);
  });

  it('Stop lets a worker that does not answer go within STOP_WAIT_MS', () => {
    vi.useFakeTimers();
    try {
      const compare = useCompareStore();
      compare.run();
      const w = workers[0];
      w.emit({ type: 'phase', phase: 'training' });
      compare.stop();
      expect(w.last('stop')).toBeTruthy();
      vi.advanceTimersByTime(STOP_WAIT_MS + 1);
      expect(compare.running).toBe(false);
      expect(compare.runs?.map((r) => r.phase)).toEqual(['stopped', 'stopped']);
      expect(w.terminated).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
