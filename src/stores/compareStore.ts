// Compare runs: train two graphs (by default the β = 10 and the β = 0 presets) with the same
// settings and subset, each with COMPARE_SEEDS seeds (A, B, A, B, …: seed, seed + 1, …), in a worker
// of their own (so the graph on screen, its run and its saved weights are left alone), and keep
// each side's latest loss history, plots and latent metrics to show side by side, and every
// finished seed's numbers for the verdict (a winner only beyond the run-to-run spread). The worker
// is let go when every run is over.
// Each run is a request of its own (WorkerClient): a message belongs to the run whose request id it
// carries, never to whichever run was started last.
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { presets } from '../../presets';
import type { GraphDocument, TrainingSettings } from '../graph/document';
import { openText } from '../graph/open';
import { COMPARE_SEEDS, verdict as verdictOf, type Verdict } from '../train/compare-verdict';
import { WorkerClient, type Outcome } from '../worker/client';
import type { FromWorker, RunSettings } from '../worker/protocol';
import { presetDocument, useGraphStore } from './graphStore';
import { emptyPlotSet, foldPlots, type PlotSet } from './plotsStore';
import { STOP_WAIT_MS, trainingEnvironment, useTrainingStore } from './trainingStore';

/** Where a compared graph comes from: the graph on screen, a preset by file name, or an opened file. */
export type CompareSource = { kind: 'current' } | { kind: 'preset'; file: string } | { kind: 'file'; name: string; doc: GraphDocument };

export type CompareRunPhase = 'waiting' | 'running' | 'done' | 'stopped' | 'failed';

/** What one finished seed of a side measured. */
export interface SeedResult {
  seed: number;
  knnAccuracy: number | null;
  /** The KL summed over latent dimensions (null for a graph without log σ²). */
  klSum: number | null;
  lastLoss: number | null;
}

export interface CompareRun {
  title: string;
  phase: CompareRunPhase;
  /** Which of the side's seeds runs now (0-based), and the finished seeds' numbers. */
  seedIndex: number;
  results: SeedResult[];
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

/** Long enough for the lesson to show (β = 0's μ spreads far wider than β = 10's); three seeds a side. */
export const DEFAULT_COMPARE: CompareSettings = { limit: 10000, epochs: 2, batchSize: 128 };

const newRun = (title: string): CompareRun => ({
  title,
  phase: 'waiting',
  seedIndex: 0,
  results: [],
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
  const settings = ref<CompareSettings>({ ...DEFAULT_COMPARE });
  const runs = shallowRef<[CompareRun, CompareRun] | null>(null);
  const running = ref(false);
  /** Steps per run at most (tests). */
  let maxSteps: number | undefined;
  let client: WorkerClient | null = null;
  /** The runs in order: A and B with the first seed, then the second, … */
  let jobs: { side: 0 | 1; seed: number }[] = [];
  /** Which job each start request is (by request id), and the requests answered. */
  let jobOf = new Map<number, number>();
  let endedRuns = new Set<number>();
  /** The job on now. */
  let current = 0;
  /** Jobs that are done: the 'plots' message that follows each holds its final metrics. */
  let resultDue = new Set<number>();
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

  function runSettings(doc: GraphDocument, seedIndex: number): RunSettings {
    const t: TrainingSettings = doc.training;
    return { dataset: t.dataset, optimizer: t.optimizer, learningRate: t.learningRate, seed: t.seed + seedIndex, ...settings.value };
  }

  function startRun(job: number) {
    if (!runs.value || !client) return;
    current = job;
    const { side, seed } = jobs[job];
    const doc = JSON.parse(JSON.stringify(docOf(sources.value[side]))) as GraphDocument;
    update(side, { phase: 'running', detail: 'starting', seedIndex: seed, step: 0, losses: [], lastLosses: null });
    const { id, reply } = client.request({
      type: 'start',
      doc,
      settings: runSettings(doc, seed),
      backend: training.backendRequest,
      baseUrl: trainingEnvironment().baseUrl,
      resume: false,
      persist: false,
      maxSteps,
    });
    jobOf.set(id, job);
    void reply.then((outcome) => ended(job, outcome));
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
  function ended(job: number, outcome: Outcome<'start'>) {
    if (!running.value || endedRuns.has(outcome.re)) return;
    endedRuns.add(outcome.re);
    const { side: i, seed } = jobs[job];
    if (outcome.type === 'done') {
      const status = outcome.result.status;
      const more = status === 'done' && !stopping && job + 1 < jobs.length;
      const sideMore = more && jobs.slice(job + 1).some((j) => j.side === i);
      if (status === 'done') resultDue.add(job);
      update(i, {
        phase: sideMore ? 'running' : status === 'failed' ? 'failed' : status,
        detail: sideMore ? `seed ${seed + 1} of ${COMPARE_SEEDS} done` : outcome.result.message ?? null,
      });
      if (more) startRun(job + 1);
      else finishing = true;
      return;
    }
    update(i, { phase: stopping ? 'stopped' : 'failed', detail: outcome.message });
    finish();
  }

  /** Messages of every run, by the run their request id names. */
  function receive(msg: FromWorker) {
    const job = jobOf.get(msg.re);
    if (job === undefined) return;
    const i = jobs[job].side;
    const run = runs.value?.[i];
    if (!run) return;
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
      case 'plots': {
        const plots = foldPlots(run.plots, msg);
        update(i, { plots });
        if (resultDue.delete(job)) {
          // The run's last drawing: its metrics are this seed's result.
          const kl = plots.metrics?.klPerDim;
          const result: SeedResult = {
            seed: jobs[job].seed,
            knnAccuracy: plots.metrics?.knnAccuracy ?? null,
            klSum: kl?.length ? kl.reduce((a, b) => a + b, 0) : null,
            lastLoss: run.lastLosses?.total ?? null,
          };
          update(i, { results: [...run.results, result] });
        }
        // The last run's last plots: every run is over.
        if (finishing && job === current) finish();
        return;
      }
      case 'done':
      case 'error':
        // At once (the reply's promise would come a microtask later): the next run starts now.
        ended(job, msg);
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
    jobOf = new Map();
    endedRuns = new Set();
    resultDue = new Set();
    jobs = Array.from({ length: COMPARE_SEEDS }, (_, seed) => [{ side: 0 as const, seed }, { side: 1 as const, seed }]).flat();
    runs.value = [newRun(titleOf(sources.value[0])), newRun(titleOf(sources.value[1]))];
    const c = new WorkerClient(trainingEnvironment().createWorker, 'the compare worker');
    c.listen((msg) => {
      if (c === client) receive(msg);
    });
    client = c;
    running.value = true;
    startRun(0);
  }

  /** Stop every run; a worker that does not end its run within STOP_WAIT_MS is let go. */
  function stop() {
    if (!running.value || !runs.value || stopping) return;
    stopping = true;
    client?.request({ type: 'stop' });
    // The side not training now will not run again.
    const now = jobs[current]?.side;
    for (const side of [0, 1] as const)
      if (side !== now && (runs.value[side].phase === 'waiting' || runs.value[side].phase === 'running'))
        update(side, { phase: 'stopped', detail: runs.value[side].results.length ? `${runs.value[side].results.length} of ${COMPARE_SEEDS} seeds run` : 'not run' });
    stopTimer = setTimeout(() => {
      stopTimer = null;
      if (!running.value || now === undefined || runs.value?.[now].phase !== 'running') return;
      update(now, { phase: 'stopped', detail: `the worker did not stop within ${STOP_WAIT_MS / 1000} s, so it was let go` });
      finish();
    }, STOP_WAIT_MS);
  }

  /**
   * Which side separates the classes better (k-NN accuracy, higher is better) and which keeps μ
   * closer to the prior (KL summed over dims, lower), over every finished seed: a winner only when
   * the difference is larger than the run-to-run spread; else too early to tell.
   */
  const verdict = computed<{ knn: Verdict; kl: Verdict | null } | null>(() => {
    const r = runs.value;
    if (!r) return null;
    const values = (side: 0 | 1, key: 'knnAccuracy' | 'klSum') => r[side].results.map((x) => x[key]).filter((v): v is number => v !== null);
    const knn = verdictOf(values(0, 'knnAccuracy'), values(1, 'knnAccuracy'), { higherIsBetter: true });
    const hasKl = r.some((run) => run.results.some((x) => x.klSum !== null));
    return { knn, kl: hasKl ? verdictOf(values(0, 'klSum'), values(1, 'klSum'), { higherIsBetter: false, scale: 'log' }) : null };
  });

  function dispose() {
    finish();
  }

  return { sources, settings, runs, running, verdict, titleOf, openFile, run, stop, dispose };
});
