// The training run as the page sees it: its phase, progress, the loss history per step and epoch,
// markers where β or the learning rate changed, the backend and memory. The worker does the work;
// this store sends it the graph document and commands, and folds its messages into state.
// While a run is on, it guards the graph store: structural edits wait ("Stop training first"),
// while live params (β) and the learning rate are forwarded to the worker.
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { nodeType } from '../../nodes';
import type { GraphDocument, ParamValue, TrainingSettings } from '../graph/document';
import type { EpochReport, Losses, StepReport, TrainResult } from '../train/train';
import type { LatentMetrics, Plot } from '../train/plot-types';
import {
  backendFromQuery,
  readFromWorker,
  type BackendInfo,
  type BackendRequest,
  type FromWorker,
  type MemoryInfo,
  type ModelFiles,
  type SavedProgress,
  type WorkerPort,
} from '../worker/protocol';
import { hasIndexedDb, indexedDbWeights, memoryWeights, structureOf, weightsKey, type SavedRecord, type WeightsStorage } from '../worker/saved-weights';
import { useGraphStore } from './graphStore';
import { useUiStore } from './uiStore';

export type TrainingPhase = 'idle' | 'starting' | 'loading-data' | 'compiling' | 'training' | 'paused' | 'saving' | 'done' | 'stopped' | 'failed' | 'error';

/** Phases in which a run is on (the graph's structure is locked). */
const ACTIVE: ReadonlySet<TrainingPhase> = new Set(['starting', 'loading-data', 'compiling', 'training', 'paused', 'saving']);

export interface HistoryPoint {
  step: number;
  losses: Losses;
}

export interface Marker {
  /** The first step the change applies to. */
  step: number;
  text: string;
  kind: 'param' | 'learning-rate';
}

export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  totalSteps: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  samplesPerSecond: number;
  /** Time the worker has trained this run, at this step (for benchmarks). */
  elapsedMs: number;
  /** Seconds left in this run, from the pace so far. */
  secondsLeft: number | null;
}

export interface TrainingEnvironment {
  createWorker(): WorkerPort;
  storage: WeightsStorage;
  /** import.meta.env.BASE_URL: where the data files are served. */
  baseUrl: string;
  /** location.search: `?backend=` forces a backend. */
  search: string;
}

function defaultEnvironment(): TrainingEnvironment {
  return {
    createWorker: () => new Worker(new URL('../worker/train-worker.ts', import.meta.url), { type: 'module', name: 'wirelab-training' }) as unknown as WorkerPort,
    storage: hasIndexedDb() ? indexedDbWeights : memoryWeights(),
    baseUrl: import.meta.env?.BASE_URL ?? '/',
    search: typeof location === 'undefined' ? '' : location.search,
  };
}

let overrides: Partial<TrainingEnvironment> = {};
/** Swap the worker, the storage or the URL (tests). Call before the store is first used. */
export function configureTraining(env: Partial<TrainingEnvironment>): void {
  overrides = env;
}

/** The environment the training store uses (its worker factory, storage, URL): for other workers of the page (compare runs). */
export function trainingEnvironment(): TrainingEnvironment {
  return { ...defaultEnvironment(), ...overrides };
}

export const STOP_FIRST = 'Stop training first';

/** The live params (β) of a document, as `node.param` → value. */
export function liveParams(doc: GraphDocument): Map<string, { nodeId: string; name: string; label: string; value: ParamValue }> {
  const out = new Map<string, { nodeId: string; name: string; label: string; value: ParamValue }>();
  for (const n of doc.nodes) {
    const def = nodeType(n.type);
    if (!def) continue;
    for (const [name, spec] of Object.entries(def.params))
      if (spec.live) out.set(`${n.id}.${name}`, { nodeId: n.id, name, label: spec.label, value: n.params[name] ?? spec.default });
  }
  return out;
}

/** Why an edit must wait while training runs, or null when it may go ahead (moves, β, the learning rate). */
export function editProblemWhileTraining(current: GraphDocument, next: GraphDocument): string | null {
  if (structureOf(current) !== structureOf(next)) return `${STOP_FIRST}: the graph's nodes, wires and layer settings cannot change while it trains. Moving nodes and changing β still work.`;
  const labels = (d: GraphDocument) => JSON.stringify(d.nodes.map((n) => [n.id, n.label ?? null]));
  if (labels(current) !== labels(next)) return `${STOP_FIRST}: labels name the loss terms in the chart, so they wait until training stops.`;
  const { learningRate: _a, ...a } = current.training;
  const { learningRate: _b, ...b } = next.training;
  if (JSON.stringify(a) !== JSON.stringify(b)) return `${STOP_FIRST}: only the learning rate can change while training runs.`;
  return null;
}

const formatValue = (v: ParamValue): string => (typeof v === 'number' ? String(Number(v.toPrecision(4))) : String(v));

export const useTrainingStore = defineStore('training', () => {
  const env: TrainingEnvironment = { ...defaultEnvironment(), ...overrides };
  const graph = useGraphStore();
  const ui = useUiStore();

  const phase = ref<TrainingPhase>('idle');
  const phaseDetail = ref<string | null>(null);
  const backendRequest = ref<BackendRequest>(backendFromQuery(env.search));
  const backend = shallowRef<BackendInfo | null>(null);
  const memory = shallowRef<MemoryInfo | null>(null);
  const terms = ref<string[]>([]);
  /** Every step's losses, oldest first; mutated in place — watch `revision`. */
  const history = shallowRef<HistoryPoint[]>([]);
  const epochs = shallowRef<EpochReport[]>([]);
  const markers = ref<Marker[]>([]);
  const revision = ref(0);
  const progress = ref<Progress | null>(null);
  const latest = shallowRef<Losses | null>(null);
  const message = ref<string | null>(null);
  const result = shallowRef<TrainResult | null>(null);
  const saved = shallowRef<SavedProgress | null>(null);
  const plots = shallowRef<Plot[]>([]);
  const latentMetrics = shallowRef<LatentMetrics | null>(null);
  const images = ref(0);

  const active = computed(() => ACTIVE.has(phase.value));
  const running = computed(() => phase.value === 'training' || phase.value === 'paused' || phase.value === 'saving');
  const paused = computed(() => phase.value === 'paused');
  const key = computed(() => weightsKey(graph.doc));

  let worker: WorkerPort | null = null;
  let runStartStep = 0;
  let runStartMs = 0;
  /** The live params the worker has, to send only changes. */
  let sentLive = new Map<string, ParamValue>();
  let waiting: { resolve: (m: FromWorker) => void; types: FromWorker['type'][] } | null = null;
  /** Others who read the worker's messages (the plots store). */
  const listeners = new Set<(m: FromWorker) => void>();
  function onMessage(listener: (m: FromWorker) => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  function ensureWorker(): WorkerPort {
    if (worker) return worker;
    const w = env.createWorker();
    w.addEventListener('message', (e: MessageEvent) => {
      const msg = readFromWorker(e.data);
      if (msg) receive(msg);
    });
    w.addEventListener('error', (e: ErrorEvent) => {
      receive({ type: 'error', message: `The training worker failed: ${e.message || 'unknown error'}` });
      worker?.terminate();
      worker = null;
    });
    worker = w;
    return w;
  }

  function resetRun() {
    history.value = [];
    epochs.value = [];
    markers.value = [];
    latest.value = null;
    progress.value = null;
    result.value = null;
    message.value = null;
    revision.value++;
  }

  function receive(msg: FromWorker) {
    listeners.forEach((l) => l(msg));
    if (waiting?.types.includes(msg.type)) {
      const w = waiting;
      waiting = null;
      w.resolve(msg);
    }
    switch (msg.type) {
      case 'backend':
        backend.value = msg.info;
        if (msg.info.advice) ui.notify('info', msg.info.advice);
        return;
      case 'phase':
        phase.value = msg.phase;
        phaseDetail.value = msg.detail ?? null;
        return;
      case 'started':
        terms.value = msg.terms;
        images.value = msg.images;
        runStartStep = msg.resumedFrom?.steps ?? 0;
        runStartMs = Date.now();
        if (!msg.resumedFrom) {
          history.value = [];
          epochs.value = [];
          markers.value = markers.value.filter((m) => m.step <= 1);
          revision.value++;
        }
        progress.value = {
          epoch: (msg.resumedFrom?.epochs ?? 0) + 1,
          epochs: (msg.resumedFrom?.epochs ?? 0) + Math.ceil((msg.totalSteps - 0) / Math.max(1, msg.stepsPerEpoch)),
          step: runStartStep,
          totalSteps: runStartStep + msg.totalSteps,
          stepInEpoch: 0,
          stepsPerEpoch: msg.stepsPerEpoch,
          samplesPerSecond: 0,
          elapsedMs: 0,
          secondsLeft: null,
        };
        return;
      case 'steps':
        addSteps(msg.steps);
        memory.value = msg.memory;
        return;
      case 'epoch':
        epochs.value = [...epochs.value, msg.report];
        memory.value = msg.memory;
        if (progress.value) progress.value = { ...progress.value, epochs: msg.report.epochs };
        return;
      case 'saved':
        saved.value = msg.progress;
        return;
      case 'plots':
        plots.value = msg.plots;
        latentMetrics.value = msg.metrics;
        return;
      case 'notice':
        ui.notify(msg.level === 'warning' ? 'error' : 'info', msg.text);
        return;
      case 'done':
        result.value = msg.result;
        phase.value = msg.result.status;
        if (msg.result.status === 'failed') {
          message.value = msg.result.message ?? 'Training failed.';
          ui.notify('error', message.value);
        }
        return;
      case 'error':
        phase.value = 'error';
        message.value = msg.message;
        ui.notify('error', msg.message.split('\n')[0], msg.message.split('\n').slice(1));
        return;
      case 'model':
      case 'imported':
      case 'image':
        return;
    }
  }

  function addSteps(steps: StepReport[]) {
    if (!steps.length) return;
    const h = history.value;
    for (const s of steps) h.push({ step: s.step, losses: s.losses });
    const last = steps[steps.length - 1];
    latest.value = last.losses;
    const done = last.step - runStartStep;
    const perStep = done > 0 ? last.elapsedMs / done : 0;
    progress.value = {
      epoch: last.epoch,
      epochs: progress.value?.epochs ?? last.epoch,
      step: last.step,
      totalSteps: last.totalSteps,
      stepInEpoch: last.stepInEpoch,
      stepsPerEpoch: last.stepsPerEpoch,
      samplesPerSecond: last.samplesPerSecond,
      elapsedMs: last.elapsedMs,
      secondsLeft: perStep > 0 ? ((last.totalSteps - last.step) * perStep) / 1000 : null,
    };
    revision.value++;
  }

  function settings(): TrainingSettings {
    return { ...graph.doc.training };
  }

  /** Start training the current graph; continues from its saved weights unless `fresh`. */
  function start(opts: { fresh?: boolean; maxSteps?: number } = {}) {
    if (active.value) return;
    resetRun();
    if (!opts.fresh && saved.value) restoreHistory();
    phase.value = 'starting';
    const doc = graph.doc;
    sentLive = new Map([...liveParams(doc)].map(([k, v]) => [k, v.value]));
    ensureWorker().postMessage({
      type: 'start',
      doc: JSON.parse(JSON.stringify(doc)) as GraphDocument,
      settings: settings(),
      backend: backendRequest.value,
      baseUrl: env.baseUrl,
      resume: !opts.fresh,
      maxSteps: opts.maxSteps,
    });
    runStartMs = Date.now();
  }

  function pause() {
    if (phase.value !== 'training') return;
    worker?.postMessage({ type: 'pause' });
  }
  function resume() {
    if (phase.value !== 'paused') return;
    worker?.postMessage({ type: 'resume' });
  }
  function stop() {
    if (!active.value) return;
    worker?.postMessage({ type: 'stop' });
  }

  const nextStep = () => (progress.value?.step ?? 0) + 1;

  /** Takes effect at the next step; kept in the document's settings. */
  function setLearningRate(lr: number) {
    if (!(lr > 0) || !Number.isFinite(lr)) return;
    const before = graph.doc.training.learningRate;
    if (lr === before) return;
    graph.dispatch({ type: 'setTraining', settings: { learningRate: lr } }, { coalesce: 'training:learningRate' });
    if (running.value || phase.value === 'starting') {
      worker?.postMessage({ type: 'setLearningRate', learningRate: lr });
      addMarker({ step: nextStep(), text: `lr ${formatValue(before)} → ${formatValue(lr)}`, kind: 'learning-rate' });
    }
  }

  function addMarker(m: Marker) {
    // Several changes before the next step (a slider drag) make one marker.
    const i = markers.value.findIndex((x) => x.step === m.step && x.kind === m.kind && x.text.split(' ')[0] === m.text.split(' ')[0]);
    if (i >= 0) {
      const first = markers.value[i].text.split(' → ')[0];
      markers.value[i] = { ...m, text: `${first} → ${m.text.split(' → ')[1]}` };
    } else markers.value.push(m);
    revision.value++;
  }

  // Forward live param edits (β from the node's slider) to the worker while a run is on.
  watch(
    () => graph.doc,
    (doc) => {
      if (!active.value || !worker) return;
      for (const [k, p] of liveParams(doc)) {
        const before = sentLive.get(k);
        if (before === undefined || before === p.value) continue;
        sentLive.set(k, p.value);
        worker.postMessage({ type: 'setParam', nodeId: p.nodeId, name: p.name, value: p.value });
        const node = doc.nodes.find((n) => n.id === p.nodeId);
        addMarker({ step: nextStep(), text: `${p.label} ${formatValue(before)} → ${formatValue(p.value)} (${node?.label ?? p.nodeId})`, kind: 'param' });
      }
    },
  );

  // Structural edits wait while a run is on.
  graph.setEditGuard((current, next) => {
    if (!active.value) return true;
    const problem = editProblemWhileTraining(current, next);
    if (problem) ui.notify('error', problem);
    return problem ?? true;
  });

  // What is saved for the graph on screen: shown, and continued from by Train.
  let historyFromSaved: HistoryPoint[] = [];
  async function refreshSaved() {
    const k = key.value;
    let record: (SavedRecord & { history?: HistoryPoint[] }) | null = null;
    try {
      record = (await env.storage.get(k)) as (SavedRecord & { history?: HistoryPoint[] }) | null;
    } catch {
      record = null;
    }
    if (k !== key.value || active.value) return;
    saved.value = record?.progress ?? null;
    historyFromSaved = record?.history ?? [];
    if (phase.value === 'idle' && record) {
      restoreHistory();
      latest.value = record.progress.losses;
      terms.value = record.progress.losses ? Object.keys(record.progress.losses).filter((n) => n !== 'total') : [];
      progress.value = null;
    }
  }
  function restoreHistory() {
    history.value = [...historyFromSaved];
    revision.value++;
  }
  const loadingSaved = refreshSaved();
  watch(key, () => {
    if (!active.value) {
      if (phase.value !== 'idle') phase.value = 'idle';
      resetRun();
      void refreshSaved();
    }
  });

  function request<T extends FromWorker['type']>(types: T[], send: () => void): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve) => {
      waiting = { resolve: resolve as (m: FromWorker) => void, types: [...types, 'error'] as FromWorker['type'][] };
      send();
    });
  }

  /** The trained model in tfjs's format (model.json + weights.bin), or a reason there is none. */
  async function exportModel(): Promise<{ files: ModelFiles | null; message?: string }> {
    const reply = await request(['model'], () => ensureWorker().postMessage({ type: 'export', doc: JSON.parse(JSON.stringify(graph.doc)) as GraphDocument }));
    if (reply.type !== 'model') return { files: null, message: (reply as { message?: string }).message ?? 'Export failed.' };
    return { files: reply.files, message: reply.message };
  }

  /** Load model.json + weights.bin; a different graph in model.json replaces the one on screen. */
  async function importModel(files: ModelFiles): Promise<{ ok: boolean; message: string }> {
    if (active.value) return { ok: false, message: `${STOP_FIRST}, then load weights.` };
    const json = files.json as { graph?: GraphDocument } | null;
    let doc = graph.doc;
    if (json?.graph && typeof json.graph === 'object' && Array.isArray(json.graph.nodes) && structureOf(json.graph) !== structureOf(doc)) {
      graph.replaceDocument(json.graph);
      doc = graph.doc;
    }
    const reply = await request(['imported'], () =>
      ensureWorker().postMessage({ type: 'import', doc: JSON.parse(JSON.stringify(doc)) as GraphDocument, files, backend: backendRequest.value }),
    );
    if (reply.type !== 'imported') return { ok: false, message: (reply as { message?: string }).message ?? 'Loading failed.' };
    if (reply.ok) {
      resetRun();
      phase.value = 'idle';
      await refreshSaved();
    }
    return { ok: reply.ok, message: reply.message };
  }

  /** Forget this graph's saved weights: the next Train starts afresh. */
  async function forgetWeights() {
    if (active.value) return;
    await env.storage.delete(key.value).catch(() => undefined);
    saved.value = null;
    historyFromSaved = [];
    resetRun();
    phase.value = 'idle';
  }

  /** Ask for the plots of the graph on screen, drawn from its saved weights (after a reload or a load); none while a run is on. */
  function requestPlots() {
    if (active.value) return;
    const doc = JSON.parse(JSON.stringify(graph.doc)) as GraphDocument;
    ensureWorker().postMessage({ type: 'plots', doc, dataset: doc.training.dataset, backend: backendRequest.value, baseUrl: env.baseUrl });
  }

  /** Ask for a test image (a scatter point's, on hover): the reply is an 'image' message. */
  function requestImage(dataset: GraphDocument['training']['dataset'], index: number) {
    ensureWorker().postMessage({ type: 'image', dataset, index, baseUrl: env.baseUrl });
  }

  /** Use another backend from the next run on (the "try wasm" offer). */
  function useBackend(name: BackendRequest) {
    backendRequest.value = name;
  }

  function dispose() {
    worker?.terminate();
    worker = null;
    graph.setEditGuard(null);
  }

  return {
    phase,
    phaseDetail,
    active,
    running,
    paused,
    backendRequest,
    backend,
    memory,
    terms,
    history,
    epochs,
    markers,
    revision,
    progress,
    latest,
    message,
    result,
    saved,
    plots,
    latentMetrics,
    images,
    key,
    loadingSaved,
    start,
    pause,
    resume,
    stop,
    setLearningRate,
    exportModel,
    importModel,
    forgetWeights,
    useBackend,
    receive,
    onMessage,
    requestPlots,
    requestImage,
    dispose,
    runStartedAt: () => runStartMs,
  };
});
