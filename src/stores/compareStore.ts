// Compare runs: train two graphs (by default the β = 10 and the β = 0 presets) one after the other
// with the same settings, subset and seed, in a worker of their own (so the graph on screen, its
// run and its saved weights are left alone), and keep each run's loss history, last plots and
// latent metrics to show side by side. The worker is let go when both runs are over.
// Each run is a request of its own (WorkerClient): a message belongs to the run whose request id it
// carries, never to whichever run was started last.
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { presets } from '../../presets';
import type { GraphDocument, TrainingSettings } from '../graph/document';
import { openText } from '../graph/open';
import { WorkerClient, type Outcome } from '../worker/client';
import type { FromWorker, RunSettings } from '../worker/protocol';
import { presetDocument, useGraphStore } from './graphStore';
import { emptyPlotSet, foldPlots, type PlotSet } from './plotsStore';
import { STOP_WAIT_MS, trainingEnvironment, useTrainingStore } from './trainingStore';

/** Where a compared graph comes from: the graph on screen, a preset by file name, or an opened file. */
export type CompareSource = { kind: 'current' } | { kind: 'preset'; file: string } | { kind: 'file'; name: string; doc: GraphDocument };

export type CompareRunPhase = 'waiting' | 'running' | 'done' | 'stopped' | 'failed';

export interface CompareRun {
  title: string;
  phase: CompareRunPhase;
  detail: string | null;
  step: number;
  totalSteps: number;
  /** Total loss per step. */
  losses: { step: number; total: number }[];
  lastLosses: Record<string, number> | null;
  plots: PlotSet;
  elapsedMs: number;
}

export interface CompareSettings {
  limit: number;
  epochs: number;
  batchSize: number;
}

const newRun = (title: string): CompareRun => ({
  title,
  phase: 'waiting',
  detail: null,
  step: 0,
  totalSteps: 0,
  losses: [],
  lastLosses: null,
  plots: emptyPlotSet(),
  elapsedMs: 0,
});

export const useCompareStore = defineStore('compare', () => {
  const graph = useGraphStore();
  const training = useTrainingStore();
  const sources = ref<[CompareSource, CompareSource]>([
    { kind: 'preset', file: 'beta-vae' },
    { kind: 'preset', file: 'vae-beta0' },
  ]);
  const settings = ref<CompareSettings>({ limit: 10000, epochs: 2, batchSize: 128 });
  const runs = shallowRef<[CompareRun, CompareRun] | null>(null);
  const running = ref(false);
  /** Steps per run at most (tests). */
  let maxSteps: number | undefined;
  let client: WorkerClient | null = null;
  /** Which run each start request is (by request id), and the requests answered. */
  let runOf = new Map<number, number>();
  let endedRuns = new Set<number>();
  /** The run on now, by index. */
  let current = 0;
  /** The last run is done: its last plots follow, then the worker is let go. */
  let finishing = false;
  let stopping = false;
  let stopTimer: ReturnType<typeof setTimeout> | null = null;

  function titleOf(s: CompareSource): string {
    if (s.kind === 'current') return `This graph (${graph.doc.name})`;
    if (s.kind === 'file') return s.name;
    return presets.find((p) => p.file === s.file)?.title ?? s.file;
  }

  function docOf(s: CompareSource): GraphDocument {
    if (s.kind === 'current') return graph.doc;
    if (s.kind === 'file') return s.doc;
    return presetDocument(s.file);
  }

  /** Opens a graph file for one side; a message when it cannot be used. */
  function openFile(side: 0 | 1, name: string, text: string): string | null {
    const result = openText(text);
    if (!result.ok) return `${name}: ${result.diagnostics.map((d) => d.message).join(' ')}`;
    const next = [...sources.value] as [CompareSource, CompareSource];
    next[side] = { kind: 'file', name, doc: result.doc };
    sources.value = next;
    return null;
  }

  function update(i: number, change: Partial<CompareRun>) {
    if (!runs.value) return;
    const next = [...runs.value] as [CompareRun, CompareRun];
    next[i] = { ...next[i], ...change };
    runs.value = next;
  }

  function runSettings(doc: GraphDocument): RunSettings {
    const t: TrainingSettings = doc.training;
    return { dataset: t.dataset, optimizer: t.optimizer, learningRate: t.learningRate, seed: t.seed, ...settings.value };
  }

  function startRun(i: number) {
    if (!runs.value || !client) return;
    current = i;
    const doc = JSON.parse(JSON.stringify(docOf(sources.value[i]))) as GraphDocument;
    update(i, { phase: 'running', detail: 'starting' });
    const { id, reply } = client.request({
      type: 'start',
      doc,
      settings: runSettings(doc),
      backend: training.backendRequest,
      baseUrl: trainingEnvironment().baseUrl,
      resume: false,
      persist: false,
      maxSteps,
    });
    runOf.set(id, i);
    void reply.then((outcome) => ended(i, outcome));
  }

  function finish() {
    finishing = false;
    running.value = false;
    if (stopTimer !== null) clearTimeout(stopTimer);
    stopTimer = null;
    client?.dispose();
    client = null;
  }

  /** A run's one answer: done (then the next run, or the last plots), an error, or none. */
  function ended(i: number, outcome: Outcome<'start'>) {
    if (!running.value || endedRuns.has(outcome.re)) return;
    endedRuns.add(outcome.re);
    if (outcome.type === 'done') {
      update(i, { phase: outcome.result.status === 'failed' ? 'failed' : outcome.result.status, detail: outcome.result.message ?? null });
      if (outcome.result.status === 'done' && i === 0 && !stopping) startRun(1);
      else finishing = true;
      return;
    }
    update(i, { phase: stopping ? 'stopped' : 'failed', detail: outcome.message });
    finish();
  }

  /** Messages of either run, by the run their request id names. */
  function receive(msg: FromWorker) {
    const i = runOf.get(msg.re);
    const run = i === undefined ? undefined : runs.value?.[i];
    if (i === undefined || !run) return;
    switch (msg.type) {
      case 'phase':
        update(i, { detail: msg.detail ? `${msg.phase}: ${msg.detail}` : msg.phase });
        return;
      case 'started':
        update(i, { totalSteps: msg.totalSteps });
        return;
      case 'steps': {
        const last = msg.steps[msg.steps.length - 1];
        if (!last) return;
        update(i, {
          losses: [...run.losses, ...msg.steps.map((s) => ({ step: s.step, total: s.losses.total }))],
          step: last.step,
          lastLosses: last.losses,
          elapsedMs: last.elapsedMs,
        });
        return;
      }
      case 'plots':
        update(i, { plots: foldPlots(run.plots, msg) });
        // The last run's last plots: both runs are over.
        if (finishing && i === current) finish();
        return;
      case 'done':
      case 'error':
        // At once (the reply's promise would come a microtask later): the next run starts now.
        ended(i, msg);
        return;
      default:
        return;
    }
  }

  /** Train both graphs, the first then the second. */
  function run(opts: { maxSteps?: number } = {}) {
    if (running.value) return;
    maxSteps = opts.maxSteps;
    stopping = false;
    finishing = false;
    runOf = new Map();
    endedRuns = new Set();
    runs.value = [newRun(titleOf(sources.value[0])), newRun(titleOf(sources.value[1]))];
    const c = new WorkerClient(trainingEnvironment().createWorker, 'the compare worker');
    c.listen((msg) => {
      if (c === client) receive(msg);
    });
    client = c;
    running.value = true;
    startRun(0);
  }

  /** Stop both runs; a worker that does not end its run within STOP_WAIT_MS is let go. */
  function stop() {
    if (!running.value || !runs.value || stopping) return;
    stopping = true;
    client?.request({ type: 'stop' });
    // The second run, if it has not begun, will not.
    if (current === 0) update(1, { phase: 'stopped', detail: 'not run' });
    const at = current;
    stopTimer = setTimeout(() => {
      stopTimer = null;
      if (!running.value || runs.value?.[at].phase !== 'running') return;
      update(at, { phase: 'stopped', detail: `the worker did not stop within ${STOP_WAIT_MS / 1000} s, so it was let go` });
      finish();
    }, STOP_WAIT_MS);
  }

  /** Which run separates the classes better (by k-NN accuracy), once both have metrics. */
  const verdict = computed(() => {
    const r = runs.value;
    const a = r?.[0].plots.metrics?.knnAccuracy;
    const b = r?.[1].plots.metrics?.knnAccuracy;
    if (!r || a === undefined || b === undefined) return null;
    if (Math.abs(a - b) < 0.005) return { better: null, a, b };
    return { better: a > b ? 0 : 1, a, b };
  });

  function dispose() {
    finish();
  }

  return { sources, settings, runs, running, verdict, titleOf, openFile, run, stop, dispose };
});
