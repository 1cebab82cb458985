// The training run as the page sees it: its phase, progress, the loss history per step and epoch,
// markers where β or the learning rate changed, the backend and memory. The worker does the work;
// this store sends it the graph document and commands through one WorkerClient (request ids, one
// answer per request), and folds the messages of its own run — and only those — into state.
// While a run is on (its start request has not been answered), it guards the graph store:
// structural edits wait ("Stop training first"), while live params (β) and the learning rate are
// forwarded to the worker. Stop always ends the run within STOP_WAIT_MS: a worker that does not
// answer is replaced, and the weights it last saved are kept.
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { nodeType } from '../../nodes';
import type { GraphDocument, ParamValue, TrainingSettings } from '../graph/document';
import type { EpochReport, Losses, StepReport, TrainResult } from '../train/train';
import { WorkerClient, type Outcome } from '../worker/client';
import {
  BACKENDS,
  backendFromQuery,
  type BackendInfo,
  type BackendRequest,
  type FromWorker,
  type Marker,
  type MemoryInfo,
  type ModelFiles,
  type SavedProgress,
  type WorkerPort,
} from '../worker/protocol';
import { hasIndexedDb, indexedDbWeights, memoryWeights, structureOf, weightsKey, type WeightsStorage } from '../worker/saved-weights';
import { useGraphStore } from './graphStore';
import { useUiStore } from './uiStore';

export type TrainingPhase = 'idle' | 'starting' | 'loading-data' | 'compiling' | 'training' | 'paused' | 'saving' | 'done' | 'stopped' | 'failed' | 'error';

/** Phases in which a run is on (the graph's structure is locked). */
const ACTIVE: ReadonlySet<TrainingPhase> = new Set(['starting', 'loading-data', 'compiling', 'training', 'paused', 'saving']);

export interface HistoryPoint {
  step: number;
  losses: Losses;
}

export type { Marker };

/** How long Stop waits for the run to end before it replaces the worker. */
export const STOP_WAIT_MS = 2000;

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
  /** Where the user's choice of backend is kept across reloads (localStorage). */
  prefs: Pick<Storage, 'getItem' | 'setItem'> | null;
}

function defaultEnvironment(): TrainingEnvironment {
  return {
    createWorker: () => new Worker(new URL('../worker/train-worker.ts', import.meta.url), { type: 'module', name: 'wirelab-training' }) as unknown as WorkerPort,
    storage: hasIndexedDb() ? indexedDbWeights : memoryWeights(),
    baseUrl: import.meta.env?.BASE_URL ?? '/',
    search: typeof location === 'undefined' ? '' : location.search,
    prefs: typeof localStorage === 'undefined' ? null : localStorage,
  };
}

const BACKEND_PREF = 'wirelab.backend';

/** `?backend=` first; else the choice the user made last time; else auto. */
function initialBackend(env: TrainingEnvironment): BackendRequest {
  const fromQuery = backendFromQuery(env.search);
  if (fromQuery !== 'auto') return fromQuery;
  let kept: string | null = null;
  try {
    kept = env.prefs?.getItem(BACKEND_PREF) ?? null;
  } catch {
    kept = null;
  }
  return (BACKENDS as readonly string[]).includes(kept ?? '') ? (kept as BackendRequest) : 'auto';
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

/** A plain copy (no Vue proxies) for postMessage. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export const useTrainingStore = defineStore('training', () => {
  const env: TrainingEnvironment = { ...defaultEnvironment(), ...overrides };
  const graph = useGraphStore();
  const ui = useUiStore();
  /** The page's training worker, shared with the plots store. */
  const client = new WorkerClient(env.createWorker, 'the training worker');

  const phase = ref<TrainingPhase>('idle');
  const phaseDetail = ref<string | null>(null);
  const backendRequest = ref<BackendRequest>(initialBackend(env));
  const backend = shallowRef<BackendInfo | null>(null);
  const memory = shallowRef<MemoryInfo | null>(null);
  const terms = ref<string[]>([]);
  /** Every step's losses, oldest first, over continued runs; mutated in place — watch `revision`. */
  const history = shallowRef<HistoryPoint[]>([]);
  const epochs = shallowRef<EpochReport[]>([]);
  const markers = ref<Marker[]>([]);
  const revision = ref(0);
  const progress = ref<Progress | null>(null);
  const latest = shallowRef<Losses | null>(null);
  const message = ref<string | null>(null);
  const result = shallowRef<TrainResult | null>(null);
  const saved = shallowRef<SavedProgress | null>(null);
  const images = ref(0);
  /** The request id of the run on now (its start), or null: a run is on exactly while its start is unanswered. */
  const runId = ref<number | null>(null);

  const active = computed(() => runId.value !== null);
  const running = computed(() => active.value && (phase.value === 'training' || phase.value === 'paused' || phase.value === 'saving'));
  const paused = computed(() => active.value && phase.value === 'paused');
  const key = computed(() => weightsKey(graph.doc));

  let runStartStep = 0;
  let runStartMs = 0;
  /** The live params the worker has, to send only changes. */
  let sentLive = new Map<string, ParamValue>();
  let stopTimer: ReturnType<typeof setTimeout> | null = null;

  // Messages of any request: the backend chosen, and notices, are shown whichever request caused them.
  client.listen((msg) => {
    if (msg.type === 'backend') {
      backend.value = msg.info;
      if (msg.info.advice) ui.notify('info', msg.info.advice);
    } else if (msg.type === 'notice') ui.notify(msg.level === 'warning' ? 'error' : 'info', msg.text);
  });

  /** Hear every message from the worker (the plots store). */
  function onMessage(listener: (m: FromWorker) => void): () => void {
    return client.listen(listener);
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

  /** Keep the chart up to `step` (a continued run goes on from there). */
  function trimTo(step: number) {
    history.value = history.value.filter((h) => h.step <= step);
    markers.value = markers.value.filter((m) => m.step <= step + 1);
    revision.value++;
  }

  /** A message of the run on now. */
  function receiveRun(msg: FromWorker) {
    if (msg.re !== runId.value) return;
    switch (msg.type) {
      case 'phase':
        phase.value = msg.phase;
        phaseDetail.value = msg.detail ?? null;
        return;
      case 'started':
        terms.value = msg.terms;
        images.value = msg.images;
        runStartStep = msg.resumedFrom?.steps ?? 0;
        runStartMs = Date.now();
        // The chart goes on from the saved step; a run from scratch starts it again.
        if (msg.resumedFrom) trimTo(msg.resumedFrom.steps);
        else {
          history.value = [];
          epochs.value = [];
          markers.value = markers.value.filter((m) => m.step <= 1);
          revision.value++;
        }
        progress.value = {
          epoch: (msg.resumedFrom?.epochs ?? 0) + 1,
          epochs: (msg.resumedFrom?.epochs ?? 0) + Math.ceil(msg.totalSteps / Math.max(1, msg.stepsPerEpoch)),
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
      case 'done':
      case 'error':
        // At once, not a microtask later: the panel and the edit guard change with the message.
        finishRun(msg.re, msg);
        return;
      default:
        return;
    }
  }

  /** The run's one answer: done, an error, or none (the worker failed or was replaced). */
  function finishRun(id: number, outcome: Outcome<'start'>) {
    if (id !== runId.value) return;
    runId.value = null;
    if (stopTimer !== null) clearTimeout(stopTimer);
    stopTimer = null;
    if (outcome.type === 'done') {
      result.value = outcome.result;
      phase.value = outcome.result.status;
      if (outcome.result.status === 'failed') {
        message.value = outcome.result.message ?? 'Training failed.';
        ui.notify('error', message.value);
      }
      return;
    }
    phase.value = 'error';
    message.value = outcome.message;
    ui.notify('error', outcome.message.split('\n')[0], outcome.message.split('\n').slice(1));
    if (outcome.type === 'no-answer') void keepSaved();
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

  /** Start training the current graph; continues from its saved weights (and keeps the chart) unless `fresh`. */
  function start(opts: { fresh?: boolean; maxSteps?: number } = {}) {
    if (active.value) return;
    if (opts.fresh) resetRun();
    else {
      // Continue: the chart keeps its steps and markers; 'started' trims them to the saved step.
      if (!history.value.length && historyFromSaved.length) restoreHistory();
      result.value = null;
      message.value = null;
    }
    phase.value = 'starting';
    phaseDetail.value = null;
    const doc = graph.doc;
    sentLive = new Map([...liveParams(doc)].map(([k, v]) => [k, v.value]));
    runStartMs = Date.now();
    const { id, reply } = client.request(
      {
        type: 'start',
        doc: plain(doc),
        settings: settings(),
        backend: backendRequest.value,
        baseUrl: env.baseUrl,
        resume: !opts.fresh,
        maxSteps: opts.maxSteps,
        markers: plain(markers.value),
      },
      { onMessage: receiveRun },
    );
    runId.value = id;
    void reply.then((outcome) => finishRun(id, outcome));
  }

  function pause() {
    if (!active.value || phase.value !== 'training') return;
    client.request({ type: 'pause' });
  }
  function resume() {
    if (!active.value || phase.value !== 'paused') return;
    client.request({ type: 'resume' });
  }

  /**
   * Stop the run, whatever it is doing: the worker ends it after the current step. If the run has
   * not ended within STOP_WAIT_MS (a long shader compile, a hung device), the worker is replaced;
   * the weights it saved last (at the last epoch) are kept, and the panel says so.
   */
  function stop() {
    const id = runId.value;
    if (id === null || stopTimer !== null) return;
    client.request({ type: 'stop' });
    stopTimer = setTimeout(() => {
      stopTimer = null;
      if (runId.value !== id) return;
      runId.value = null;
      client.restart('Training was stopped: the worker was replaced.');
      phase.value = 'stopped';
      message.value = `The worker did not stop within ${STOP_WAIT_MS / 1000} s, so it was replaced.`;
      void keepSaved().then(() => {
        const at = saved.value;
        message.value = `${message.value} ${at ? `The weights saved at step ${at.steps} (epoch ${at.epochs}) are kept: Train continues from there.` : 'No weights were saved yet: Train starts afresh.'}`;
        ui.notify('info', message.value);
      });
    }, STOP_WAIT_MS);
  }

  /** After the worker was replaced: what is saved is where the chart and the next run go on from. */
  async function keepSaved() {
    let record = null;
    try {
      record = await env.storage.get(key.value);
    } catch {
      record = null;
    }
    if (active.value) return;
    saved.value = record?.progress ?? null;
    historyFromSaved = record?.history ?? [];
    trimTo(record?.progress.steps ?? 0);
    progress.value = null;
  }

  const nextStep = () => (progress.value?.step ?? 0) + 1;

  /** Takes effect at the next step; kept in the document's settings. */
  function setLearningRate(lr: number) {
    if (!(lr > 0) || !Number.isFinite(lr)) return;
    const before = graph.doc.training.learningRate;
    if (lr === before) return;
    graph.dispatch({ type: 'setTraining', settings: { learningRate: lr } }, { coalesce: 'training:learningRate' });
    if (active.value) {
      addMarker({ step: nextStep(), text: `lr ${formatValue(before)} → ${formatValue(lr)}`, kind: 'learning-rate' });
      client.request({ type: 'setLearningRate', learningRate: lr, markers: plain(markers.value) });
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
      if (!active.value) return;
      for (const [k, p] of liveParams(doc)) {
        const before = sentLive.get(k);
        if (before === undefined || before === p.value) continue;
        sentLive.set(k, p.value);
        const node = doc.nodes.find((n) => n.id === p.nodeId);
        addMarker({ step: nextStep(), text: `${p.label} ${formatValue(before)} → ${formatValue(p.value)} (${node?.label ?? p.nodeId})`, kind: 'param' });
        client.request({ type: 'setParam', nodeId: p.nodeId, name: p.name, value: p.value, markers: plain(markers.value) });
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
    let record = null;
    try {
      record = await env.storage.get(k);
    } catch {
      record = null;
    }
    if (k !== key.value || active.value) return;
    saved.value = record?.progress ?? null;
    historyFromSaved = record?.history ?? [];
    if (phase.value === 'idle' && record) {
      restoreHistory();
      markers.value = record.markers ?? [];
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

  /** The trained model in tfjs's format (model.json + weights.bin, with the optimizer's state), or a reason there is none. */
  async function exportModel(): Promise<{ files: ModelFiles | null; message?: string }> {
    const reply = await client.request({ type: 'export', doc: plain(graph.doc) }, { timeoutMs: 60_000 }).reply;
    if (reply.type !== 'model') return { files: null, message: reply.message };
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
    const reply = await client.request({ type: 'import', doc: plain(doc), files, backend: backendRequest.value }, { timeoutMs: 180_000 }).reply;
    if (reply.type !== 'imported') return { ok: false, message: reply.message };
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
    const doc = plain(graph.doc);
    void client
      .request({ type: 'plots', doc, dataset: doc.training.dataset, backend: backendRequest.value, baseUrl: env.baseUrl }, { timeoutMs: 300_000 })
      .reply.then((r) => {
        if (r.type === 'error') ui.notify('error', `The plots could not be drawn: ${r.message}`);
      });
  }

  /** Ask for a test image (a scatter point's, on hover): it comes as an 'image' message. */
  function requestImage(dataset: GraphDocument['training']['dataset'], index: number) {
    client.request({ type: 'image', dataset, index, baseUrl: env.baseUrl }, { timeoutMs: 60_000 });
  }

  /** Opens the user's own images in the worker (a folder's files with their paths, a zip, or IDX files); the reply sets the dataset. */
  function openData(name: string, files: { path: string; file: Blob }[]) {
    void client.request({ type: 'openData', name, files }, { timeoutMs: 300_000 }).reply.then((r) => {
      if (r.type === 'ownData') {
        // The document describes the images (their shape and classes); the images stay in the worker.
        graph.dispatch({ type: 'setTraining', settings: { dataset: 'custom', custom: r.info } });
        ui.notify('info', `Opened ${r.images.toLocaleString('en-US')} images of ${r.info.shape.join('×')} in ${r.info.classNames.length} classes from ${r.info.name}.`);
      } else ui.notify('error', r.message);
    });
  }

  /** Use another backend from the next run on (the "try wasm" offer, the backend menu); kept across reloads. */
  function useBackend(name: BackendRequest) {
    backendRequest.value = name;
    try {
      env.prefs?.setItem(BACKEND_PREF, name);
    } catch {
      // Storage full or denied: the choice holds until the page closes.
    }
  }

  function dispose() {
    if (stopTimer !== null) clearTimeout(stopTimer);
    client.dispose();
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
    onMessage,
    requestPlots,
    requestImage,
    openData,
    dispose,
    runStartedAt: () => runStartMs,
  };
});
