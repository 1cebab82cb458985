import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { useGraphStore } from '../../src/stores/graphStore';
import { configureTraining, editProblemWhileTraining, STOP_FIRST, STOP_WAIT_MS, useTrainingStore } from '../../src/stores/trainingStore';
import { useUiStore } from '../../src/stores/uiStore';
import { FakeWorker } from './fake-worker';
import { memoryWeights, weightsKey, type WeightsStorage } from '../../src/worker/saved-weights';

let fake: FakeWorker;
let storage: WeightsStorage;
let workers = 0;

function setup(search = '') {
  fake = new FakeWorker();
  workers = 0;
  storage = memoryWeights();
  configureTraining({
    createWorker: () => {
      workers++;
      return fake;
    },
    storage,
    baseUrl: '/app/',
    search,
    prefs: null,
  });
  setActivePinia(createPinia());
}

const step = (n: number, total: number, terms: Record<string, number> = {}) => ({
  epoch: 1,
  step: n,
  stepInEpoch: n,
  stepsPerEpoch: 10,
  totalSteps: 20,
  losses: { total, ...terms },
  samplesPerSecond: 100,
  elapsedMs: n * 50,
});
const memory = { numTensors: 42, numBytes: 4096, numBytesInGPU: null };

function startRun() {
  const training = useTrainingStore();
  training.start({ maxSteps: 20 });
  fake.emit({ type: 'backend', info: { name: 'cpu', requested: 'auto', adapter: null, skipped: [{ name: 'webgpu', reason: 'no adapter' }], fastConvGradients: true, advice: null, suggest: null, selfTestMs: null } });
  fake.emit({ type: 'started', terms: ['reconstruction_loss', 'β·kl_loss'], stepsPerEpoch: 10, totalSteps: 20, images: 100, resumedFrom: null });
  fake.emit({ type: 'phase', phase: 'training' });
  return training;
}

beforeEach(() => setup());

describe('training store', () => {
  it('starts no worker until Train, then sends the document, settings and backend', () => {
    setup('?backend=wasm');
    const training = useTrainingStore();
    const graph = useGraphStore();
    expect(workers).toBe(0);
    expect(training.backendRequest).toBe('wasm');
    training.start({ maxSteps: 5 });
    expect(workers).toBe(1);
    const start = fake.last('start')!;
    expect(start.doc).toEqual(graph.doc);
    expect(start.settings).toEqual(graph.doc.training);
    expect(start).toMatchObject({ backend: 'wasm', baseUrl: '/app/', resume: true, maxSteps: 5 });
    expect(training.phase).toBe('starting');
    expect(training.active).toBe(true);
    // A second Train while one runs sends nothing.
    training.start();
    expect(fake.sent.filter((m) => m.type === 'start')).toHaveLength(1);
  });

  it('folds steps, epochs, memory and the backend into state', () => {
    const training = startRun();
    expect(training.backend?.name).toBe('cpu');
    expect(training.terms).toEqual(['reconstruction_loss', 'β·kl_loss']);
    const before = training.revision;
    fake.emit({ type: 'steps', steps: [step(1, 500, { reconstruction_loss: 490, 'β·kl_loss': 10 }), step(2, 400)], memory });
    expect(training.history.map((h) => h.step)).toEqual([1, 2]);
    expect(training.latest?.total).toBe(400);
    expect(training.revision).toBeGreaterThan(before);
    expect(training.memory).toEqual(memory);
    expect(training.progress).toMatchObject({ step: 2, totalSteps: 20, epoch: 1, epochs: 2, samplesPerSecond: 100 });
    // 18 steps left at 50 ms each.
    expect(training.progress?.secondsLeft).toBeCloseTo(0.9);
    fake.emit({ type: 'epoch', report: { epoch: 1, epochs: 2, losses: { total: 450 }, elapsedMs: 500 }, memory });
    expect(training.epochs).toHaveLength(1);
  });

  it('pauses, resumes and stops through the worker', () => {
    const training = startRun();
    training.pause();
    expect(fake.last('pause')).toBeTruthy();
    fake.emit({ type: 'phase', phase: 'paused' });
    expect(training.paused).toBe(true);
    training.resume();
    expect(fake.last('resume')).toBeTruthy();
    fake.emit({ type: 'phase', phase: 'training' });
    training.stop();
    expect(fake.last('stop')).toBeTruthy();
    fake.emit({ type: 'done', result: { status: 'stopped', steps: 3, epochs: 0 } });
    expect(training.phase).toBe('stopped');
    expect(training.active).toBe(false);
  });

  it('refuses structural edits while training, with "Stop training first"; moves still work', () => {
    const training = startRun();
    const graph = useGraphStore();
    const ui = useUiStore();
    const nodes = graph.doc.nodes.length;
    expect(graph.removeNodes(['dense'])).toBe(false);
    expect(graph.doc.nodes).toHaveLength(nodes);
    expect(ui.messages.at(-1)?.text).toContain(STOP_FIRST);
    expect(graph.setParam('dense', 'units', 32)).toBe(false);
    expect(graph.setLabel('bce', 'recon')).toBe(false);
    expect(graph.dispatch({ type: 'setTraining', settings: { epochs: 3 } })).toBe(false);
    expect(graph.moveNode('dense', [10, 20])).toBe(true);
    expect(graph.doc.nodes.find((n) => n.id === 'dense')?.position).toEqual([10, 20]);
    // Undo of a move is fine; an undo that would change structure waits.
    expect(graph.undo()).toBe(true);
    fake.emit({ type: 'done', result: { status: 'done', steps: 20, epochs: 2 } });
    expect(training.active).toBe(false);
    expect(graph.removeNodes(['dense'])).toBe(true);
  });

  it('forwards β changes to the worker and marks the chart at the next step', async () => {
    const training = startRun();
    const graph = useGraphStore();
    fake.emit({ type: 'steps', steps: [step(1, 500), step(2, 450), step(3, 420)], memory });
    expect(graph.setParam('beta', 'beta', 4)).toBe(true);
    await nextTick();
    expect(fake.last('setParam')).toMatchObject({ type: 'setParam', nodeId: 'beta', name: 'beta', value: 4 });
    expect(training.markers).toHaveLength(1);
    expect(training.markers[0]).toMatchObject({ step: 4, kind: 'param' });
    expect(training.markers[0].text).toContain('β 10 → 4');
    // A slider drag before the next step makes one marker, from the first value to the last.
    graph.setParam('beta', 'beta', 2);
    await nextTick();
    expect(training.markers).toHaveLength(1);
    expect(training.markers[0].text).toContain('β 10 → 2');
    // Not training: β changes are only edits.
    fake.emit({ type: 'done', result: { status: 'done', steps: 3, epochs: 0 } });
    const sent = fake.sent.length;
    graph.setParam('beta', 'beta', 1);
    await nextTick();
    expect(fake.sent.length).toBe(sent);
  });

  it('sets the learning rate live, in the document, with a marker', () => {
    const training = startRun();
    const graph = useGraphStore();
    fake.emit({ type: 'steps', steps: [step(1, 500)], memory });
    training.setLearningRate(0.01);
    expect(fake.last('setLearningRate')).toMatchObject({ type: 'setLearningRate', learningRate: 0.01 });
    expect(graph.doc.training.learningRate).toBe(0.01);
    expect(training.markers.at(-1)).toMatchObject({ step: 2, kind: 'learning-rate', text: 'lr 0.001 → 0.01' });
    training.setLearningRate(-1);
    expect(graph.doc.training.learningRate).toBe(0.01);
  });

  it('names the step and the term when the loss stops being finite', () => {
    const training = startRun();
    const ui = useUiStore();
    const message = 'Step 3: the loss "β·kl_loss" became NaN; training stopped and kept the weights from the last good step. Try a lower learning rate.';
    fake.emit({ type: 'done', result: { status: 'failed', steps: 3, epochs: 0, message } });
    expect(training.phase).toBe('failed');
    expect(training.message).toBe(message);
    expect(ui.messages.at(-1)?.text).toBe(message);
  });

  it('shows a worker error and unlocks the graph', () => {
    const training = useTrainingStore();
    training.start();
    fake.emit({ type: 'error', message: 'The graph cannot be trained:\nobjective: nothing wired' });
    expect(training.phase).toBe('error');
    expect(training.active).toBe(false);
    expect(useGraphStore().removeNodes(['dense'])).toBe(true);
  });

  it('shows what is saved for the graph on screen, with its history', async () => {
    const graph = useGraphStore();
    const key = weightsKey(graph.doc);
    await storage.put({
      progress: { key, steps: 8, epochs: 2, losses: { total: 123.5, reconstruction_loss: 120, 'β·kl_loss': 3.5 }, savedAt: 1, backend: 'wasm' },
      files: { json: {}, weights: new ArrayBuffer(4) },
      history: [
        { step: 1, losses: { total: 300 } },
        { step: 8, losses: { total: 123.5 } },
      ],
      markers: [{ step: 5, text: 'β 10 → 4 (beta)', kind: 'param' }],
    });
    const training = useTrainingStore();
    await training.loadingSaved;
    expect(training.saved?.steps).toBe(8);
    expect(training.latest?.total).toBe(123.5);
    expect(training.history.map((h) => h.step)).toEqual([1, 8]);
    expect(training.markers).toEqual([{ step: 5, text: 'β 10 → 4 (beta)', kind: 'param' }]);
    expect(training.terms).toEqual(['reconstruction_loss', 'β·kl_loss']);
    await training.forgetWeights();
    expect(await storage.get(key)).toBeNull();
    expect(training.saved).toBeNull();
  });
});

describe('edits while training', () => {
  it('allow moves, β and the learning rate; refuse the rest', () => {
    setActivePinia(createPinia());
    const doc = useGraphStore().doc;
    const move = { ...doc, nodes: doc.nodes.map((n) => ({ ...n, position: [0, 0] as [number, number] })) };
    const beta = { ...doc, nodes: doc.nodes.map((n) => (n.id === 'beta' ? { ...n, params: { beta: 3 } } : n)) };
    const lr = { ...doc, training: { ...doc.training, learningRate: 0.5 } };
    expect(editProblemWhileTraining(doc, move)).toBeNull();
    expect(editProblemWhileTraining(doc, beta)).toBeNull();
    expect(editProblemWhileTraining(doc, lr)).toBeNull();
    expect(editProblemWhileTraining(doc, { ...doc, edges: doc.edges.slice(1) })).toContain(STOP_FIRST);
    expect(editProblemWhileTraining(doc, { ...doc, training: { ...doc.training, batchSize: 3 } })).toContain(STOP_FIRST);
  });
});

describe('the panel never locks', () => {
  it('after a reload with saved weights, drawing them (the worker chooses a backend) leaves the panel usable', async () => {
    const graph = useGraphStore();
    const key = weightsKey(graph.doc);
    await storage.put({ progress: { key, steps: 2, epochs: 1, losses: { total: 300 }, savedAt: 1, backend: 'wasm' }, files: { json: {}, weights: new ArrayBuffer(4) } });
    const training = useTrainingStore();
    await training.loadingSaved;
    training.requestPlots();
    const plots = fake.last('plots')!;
    // What today's worker says while it picks a backend for the drawing: not a run's phase.
    fake.emit({ type: 'phase', phase: 'starting', detail: 'choosing a backend' }, plots.id);
    fake.emit({ type: 'ack' }, plots.id);
    expect(training.phase).toBe('idle');
    expect(training.active).toBe(false);
    expect(graph.removeNodes(['dense'])).toBe(true);
  });

  it('Stop ends the run within STOP_WAIT_MS when the worker does not answer: a fresh worker, the saved epoch kept', async () => {
    vi.useFakeTimers();
    try {
      const graph = useGraphStore();
      const key = weightsKey(graph.doc);
      const training = startRun();
      fake.emit({ type: 'steps', steps: [step(1, 500), step(2, 450), step(3, 420)], memory });
      await storage.put({ progress: { key, steps: 2, epochs: 1, losses: { total: 450 }, savedAt: 1, backend: 'wasm' }, files: { json: {}, weights: new ArrayBuffer(4) } });
      training.stop();
      expect(fake.last('stop')).toBeTruthy();
      // The worker is busy (a shader compile) and says nothing.
      vi.advanceTimersByTime(STOP_WAIT_MS + 1);
      expect(training.phase).toBe('stopped');
      expect(training.active).toBe(false);
      expect(fake.terminated).toBe(true);
      vi.useRealTimers();
      await new Promise((r) => setTimeout(r, 10));
      expect(training.saved?.steps).toBe(2);
      expect(training.message).toMatch(/did not stop within 2 s.*replaced.*step 2 \(epoch 1\)/);
      // The chart goes back to what is saved; edits and Train work again.
      expect(training.history.map((h) => h.step)).toEqual([1, 2]);
      expect(graph.removeNodes(['dense'])).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('Stop while the run is starting (no step yet) also ends it', () => {
    vi.useFakeTimers();
    try {
      const training = useTrainingStore();
      training.start();
      training.stop();
      vi.advanceTimersByTime(STOP_WAIT_MS + 1);
      expect(training.phase).toBe('stopped');
      expect(training.active).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('continuing a run', () => {
  it('keeps the chart and its markers: the new run goes on from the saved step', async () => {
    const training = startRun();
    const graph = useGraphStore();
    fake.emit({ type: 'steps', steps: [step(1, 500), step(2, 450)], memory });
    graph.setParam('beta', 'beta', 4);
    await nextTick();
    fake.emit({ type: 'steps', steps: [step(3, 420), step(4, 400)], memory });
    fake.emit({ type: 'done', result: { status: 'stopped', steps: 4, epochs: 0 } });
    training.start();
    const start = fake.last('start')!;
    expect(start.resume).toBe(true);
    expect(start.markers).toEqual([expect.objectContaining({ step: 3, kind: 'param' })]);
    fake.emit({ type: 'started', terms: ['reconstruction_loss', 'β·kl_loss'], stepsPerEpoch: 10, totalSteps: 20, images: 100, resumedFrom: { key: 'k', steps: 4, epochs: 0, losses: { total: 400 }, savedAt: 1, backend: 'cpu' } });
    fake.emit({ type: 'steps', steps: [step(5, 395)], memory });
    expect(training.history.map((h) => h.step)).toEqual([1, 2, 3, 4, 5]);
    expect(training.markers).toHaveLength(1);
  });

  it('keeps the backend the user chose across reloads', () => {
    const prefs = new Map<string, string>();
    const store = { getItem: (k: string) => prefs.get(k) ?? null, setItem: (k: string, v: string) => void prefs.set(k, v) };
    configureTraining({ createWorker: () => fake, storage, baseUrl: '/', search: '', prefs: store });
    useTrainingStore().useBackend('wasm');
    setActivePinia(createPinia());
    expect(useTrainingStore().backendRequest).toBe('wasm');
    // ?backend= still wins.
    configureTraining({ createWorker: () => fake, storage, baseUrl: '/', search: '?backend=cpu', prefs: store });
    setActivePinia(createPinia());
    expect(useTrainingStore().backendRequest).toBe('cpu');
  });
});
