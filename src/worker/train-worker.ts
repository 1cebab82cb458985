/// <reference lib="webworker" />
// The training worker: the only place in the app that loads tfjs. It receives the graph document
// and the settings, picks a backend (never silently), compiles with the core, trains with the
// core's loop, and posts progress, metrics, memory and backend info back (see protocol.ts). Weights
// are saved per graph in IndexedDB at the end of every epoch, on pause and on stop.
import * as tf from '@tensorflow/tfjs';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { compile, CompileError, tooBigToTrain, type Program } from '../compile/compile';
import { backendMemoryLimit } from '../graph/memory';
import { loadWeights, savedOptimizerState, saveWeights, type SavedModel } from '../compile/weights';
import type { DatasetName, GraphDocument } from '../graph/document';
import { describeDiagnostic } from '../graph/parse';
import { imageBytes, loadDataset, take, type Dataset } from '../train/data';
import { DataError, openOwnImages, type Inflate } from '../train/own-images';
import { nodeType } from '../../nodes';
import { nodesWithRole } from '../../nodes/roles';
import { resolveParams } from '../graph/analyze';
import type { Plot } from '../train/plot-types';
import { computePlots } from '../train/plots';
import { createStepOptimizer, train, type Losses, type StepReport, type TrainRun } from '../train/train';
import type { StepOptimizer } from '../train/fast-optimizer';
import { selectBackend, webgpuDevice } from './backend';
import { PlotSchedule, type PlotReason } from './plot-schedule';
import { readToWorker, type BackendInfo, type BackendName, type BackendRequest, type Marker, type MemoryInfo, type ModelFiles, type Report, type RunSettings, type SavedProgress, type ToWorker } from './protocol';
import { hasIndexedDb, indexedDbWeights, memoryWeights, weightsKey, type SavedRecord, type WeightsStorage } from './saved-weights';

const scope = self as unknown as DedicatedWorkerGlobalScope;
/** Every message names the request it belongs to (`re`); see protocol.ts. */
const post = (message: Report, re: number, transfer: Transferable[] = []) => scope.postMessage({ ...message, re }, transfer);
const storage: WeightsStorage = hasIndexedDb() ? indexedDbWeights : memoryWeights();
const wasmPaths = { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded };
/** Steps are posted in bunches, at most this often. */
const POST_EVERY_MS = 150;
/** The step history kept with the weights, at most this long (older points are thinned). */
const HISTORY_LIMIT = 2000;

let backend: BackendInfo | null = null;
let requestedBackend: BackendRequest | null = null;
const datasets = new Map<DatasetName, Promise<Dataset>>();

interface Session {
  /** The request this session's run answers (its start's id); plots drawn for a request use that request's id. */
  re: number;
  doc: GraphDocument;
  key: string;
  program: Program;
  run: TrainRun | null;
  settings: RunSettings;
  steps: number;
  epochs: number;
  last: Losses | null;
  history: { step: number; losses: Losses }[];
  deviceLost: string | null;
  /** The dataset the run reads (the plots hook draws from its test images). */
  data: Dataset | null;
  /** When to draw while the run goes on (null: no run). */
  schedule?: PlotSchedule | null;
  /** The step last drawn, and whether the metrics were measured then. */
  plottedStep?: number;
  plottedMetrics?: boolean;
  /** Save the weights to storage (false for compare runs). */
  persist?: boolean;
  /** The chart's markers (β, learning rate), saved with the weights. */
  markers?: Marker[];
  /** The run's optimizer: its state is saved with the weights. */
  optimizer?: { name: string; state: StepOptimizer } | null;
}
let session: Session | null = null;

function memory(): MemoryInfo {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  return { numTensors: m.numTensors, numBytes: m.numBytes, numBytesInGPU: typeof m.numBytesInGPU === 'number' ? m.numBytesInGPU : null };
}

const errorText = (e: unknown): string =>
  e instanceof CompileError ? `The graph cannot be trained:\n${e.diagnostics.map(describeDiagnostic).join('\n')}` : e instanceof Error ? e.message : String(e);

async function fetchFile(baseUrl: string, dataset: DatasetName, file: string): Promise<Uint8Array> {
  const url = `${baseUrl}data/${dataset}/${file}`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`The ${dataset} data is not served at ${url} (HTTP ${res.status}).`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  // A server may already have undone the gzip (Content-Encoding); only gunzip what still is gzip.
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Decompression with the browser's own streams. */
const streamInflate: Inflate = async (bytes, format) =>
  new Uint8Array(await new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream(format))).arrayBuffer());

/** The user's own images, opened from files the page handed over; they never leave this worker. */
async function openData(msg: Extract<ToWorker, { type: 'openData' }>): Promise<void> {
  try {
    const files = await Promise.all(msg.files.map(async (f) => ({ path: f.path, bytes: new Uint8Array(await f.file.arrayBuffer()) })));
    const data = await openOwnImages(files, streamInflate, msg.name);
    datasets.set('custom', Promise.resolve(data));
    post({ type: 'ownData', info: { name: data.name, shape: [...data.train.shape], classNames: [...data.classNames] }, images: data.train.count + data.test.count }, msg.id);
  } catch (e) {
    post({ type: 'ownDataError', message: e instanceof DataError ? e.message : `Your images could not be opened: ${errorText(e)}` }, msg.id);
  }
}

function dataset(name: DatasetName, baseUrl: string): Promise<Dataset> {
  if (name === 'custom') return datasets.get('custom') ?? Promise.reject(new Error('Your own images are not open in this tab (they are never uploaded or kept); open them again with “Your images…”.'));
  let d = datasets.get(name);
  if (!d) {
    d = loadDataset(name, (n, f) => fetchFile(baseUrl, n, f));
    d.catch(() => datasets.delete(name));
    datasets.set(name, d);
  }
  return d;
}

async function ensureBackend(requested: BackendRequest, re: number, exclude: BackendName[] = []): Promise<BackendInfo> {
  if (backend && requested === requestedBackend && !exclude.includes(backend.name)) return backend;
  post({ type: 'phase', phase: 'starting', detail: 'choosing a backend' }, re);
  backend = await selectBackend(tf, { requested, wasmPaths, exclude });
  requestedBackend = requested;
  if (exclude.length) backend = { ...backend, skipped: [...exclude.map((name) => ({ name, reason: 'its device was lost during training' })), ...backend.skipped] };
  post({ type: 'backend', info: backend }, re);
  return backend;
}

function toFiles(saved: SavedModel): ModelFiles {
  return { json: saved.json, weights: saved.weights };
}

function thin(history: Session['history']): Session['history'] {
  if (history.length <= HISTORY_LIMIT) return history;
  // Keep every other point of the older half.
  const half = Math.floor(history.length / 2);
  return [...history.slice(0, half).filter((_, i) => i % 2 === 0), ...history.slice(half)];
}

async function checkpoint(s: Session): Promise<void> {
  if (s.persist === false) return;
  const saved = await saveWeights(tf, s.program, s.optimizer);
  const progress: SavedProgress = { key: s.key, steps: s.steps, epochs: s.epochs, losses: s.last, savedAt: Date.now(), backend: backend?.name ?? '?' };
  const record: SavedRecord = { progress, files: toFiles(saved), history: s.history, markers: s.markers ?? [] };
  try {
    await storage.put(record);
    post({ type: 'saved', progress }, s.re);
  } catch (e) {
    post({ type: 'notice', level: 'warning', text: `The weights could not be saved in this browser's storage: ${errorText(e)}` }, s.re);
  }
}

function disposeSession() {
  if (!session) return;
  try {
    session.optimizer?.state.dispose();
    session.program.dispose();
  } catch {
    // A lost device cannot free its buffers; nothing to do.
  }
  session = null;
}

/** Runs being started (choosing a backend, loading data, compiling): a Stop then ends them before they train. */
const starting = new Set<{ stopped: boolean }>();

/** `token` is registered when the request arrives, so a Stop sent while it waits its turn counts too. */
async function start(msg: Extract<ToWorker, { type: 'start' }>, token: { stopped: boolean }): Promise<void> {
  try {
    await startRun(msg, [], token);
  } finally {
    starting.delete(token);
  }
}

async function startRun(msg: Extract<ToWorker, { type: 'start' }>, exclude: BackendName[], token: { stopped: boolean }): Promise<void> {
  const re = msg.id;
  if (session?.run) throw new Error('Training is already running; stop it first.');
  disposeSession();
  // Stopped before it trained a step: the saved weights are as they were.
  const stoppedEarly = () => post({ type: 'done', result: { status: 'stopped', steps: 0, epochs: 0 } }, re);
  if (token.stopped) return stoppedEarly();
  const info = await ensureBackend(msg.backend, re, exclude);
  if (token.stopped) return stoppedEarly();
  // Too big to train is said now, naming the nodes, before data loads or a weight is allocated.
  const tooBig = tooBigToTrain(msg.doc, msg.settings, backendMemoryLimit(info.name, { gpu: webgpuDevice(tf)?.limits }));
  if (tooBig) throw new Error(tooBig);

  post({ type: 'phase', phase: 'loading-data', detail: msg.settings.dataset }, re);
  const data = await dataset(msg.settings.dataset, msg.baseUrl);
  const images = take(data.train, msg.settings.limit);
  if (token.stopped) return stoppedEarly();

  post({ type: 'phase', phase: 'compiling' }, re);
  const program = compile(msg.doc, tf, { seed: msg.settings.seed });
  const key = weightsKey(msg.doc);
  const s: Session = {
    re,
    doc: msg.doc,
    key,
    program,
    run: null,
    settings: msg.settings,
    steps: 0,
    epochs: 0,
    last: null,
    history: [],
    deviceLost: null,
    data,
    persist: msg.persist !== false,
    markers: msg.markers ?? [],
    optimizer: { name: msg.settings.optimizer, state: createStepOptimizer(tf, program, msg.settings.optimizer, msg.settings.learningRate) },
  };
  session = s;

  let resumedFrom: SavedProgress | null = null;
  if (msg.resume && msg.persist !== false) {
    const record = await storage.get(key).catch(() => null);
    if (record) {
      try {
        const saved = record.files as unknown as SavedModel;
        loadWeights(tf, program, saved);
        resumedFrom = record.progress;
        s.steps = record.progress.steps;
        s.epochs = record.progress.epochs;
        s.last = record.progress.losses;
        s.history = record.history ?? [];
        // The chart's markers up to the saved step (the page's, else the saved ones).
        s.markers = (msg.markers ?? record.markers ?? []).filter((m) => m.step <= s.steps + 1);
        // The optimizer goes on from its saved state (RMSprop's and Adam's running averages): without
        // it the first steps are far too large and the loss jumps.
        const { state, reason } = savedOptimizerState(tf, program, saved, msg.settings.optimizer);
        if (state) {
          await s.optimizer!.state.setWeights(state);
          state.forEach((t) => t.tensor.dispose());
        } else if (s.steps > 0)
          post({ type: 'notice', level: 'info', text: `The optimizer starts afresh (${reason}): the loss may rise for a few steps.` }, re);
      } catch (e) {
        post({ type: 'notice', level: 'warning', text: `The saved weights could not be used, so training starts afresh: ${errorText(e)}` }, re);
      }
    }
  }
  if (!resumedFrom) s.markers = (s.markers ?? []).filter((m) => m.step <= 1);
  if (token.stopped) {
    disposeSession();
    return stoppedEarly();
  }

  const batchSize = Math.min(msg.settings.batchSize, images.count);
  const stepsPerEpoch = Math.ceil(images.count / batchSize);
  // Continue the epochs the saved run had left; once all were done, train the full count again.
  const epochs = msg.settings.epochs - (s.epochs % msg.settings.epochs);
  const totalSteps = Math.min(stepsPerEpoch * epochs, msg.maxSteps ?? Infinity);
  const stepOffset = s.steps;
  const epochOffset = s.epochs;
  post({ type: 'started', terms: [...program.terms, ...program.metrics].map((t) => t.label), stepsPerEpoch, totalSteps, images: images.count, resumedFrom }, re);

  let pending: StepReport[] = [];
  let lastPost = 0;
  const flush = () => {
    if (!pending.length) return;
    post({ type: 'steps', steps: pending, memory: memory() }, re);
    pending = [];
    lastPost = performance.now();
  };

  const device = webgpuDevice(tf);
  void device?.lost.then((info) => {
    if (session !== s || !s.run) return;
    s.deviceLost = info.message || info.reason || 'unknown reason';
    s.run.stop();
  });

  post({ type: 'phase', phase: 'training' }, re);
  s.schedule = new PlotSchedule(performance.now());
  const drawnImages = imagesPerDraw(msg.doc);
  s.plottedStep = -1;
  const run = train({
    tf,
    program,
    data: images,
    settings: { ...msg.settings, epochs },
    optimizer: s.optimizer?.state,
    maxSteps: msg.maxSteps,
    // On a GPU, reading the losses makes the device drain its queue: read every few steps there.
    readEvery: backend?.name === 'webgpu' || backend?.name === 'webgl' ? 4 : 1,
    onStep: async (r) => {
      const report = { ...r, step: r.step + stepOffset, epoch: r.epoch + epochOffset, totalSteps: r.totalSteps + stepOffset };
      s.steps = report.step;
      s.last = r.losses;
      s.history = thin([...s.history, { step: report.step, losses: r.losses }]);
      pending.push(report);
      if (performance.now() - lastPost >= POST_EVERY_MS) flush();
      s.schedule?.estimate(r.elapsedMs / Math.max(1, r.step), batchSize, drawnImages);
      if (s.schedule?.plan(performance.now(), 'tick').plots) {
        flush();
        await postPlots(s, 'tick');
      }
    },
    onEpoch: async (e) => {
      flush();
      const report = { ...e, epoch: e.epoch + epochOffset, epochs: epochs + epochOffset };
      // A whole epoch (the last one may be cut short by maxSteps).
      if (s.steps - stepOffset === stepsPerEpoch * e.epoch) s.epochs = report.epoch;
      post({ type: 'epoch', report, memory: memory() }, re);
      if (!s.deviceLost) await checkpoint(s);
      await postPlots(s, 'epoch');
    },
  });
  s.run = run;

  let result;
  try {
    result = await run.done;
  } catch (e) {
    if (!s.deviceLost) throw e;
    result = null;
  }
  flush();
  s.run = null;

  if (s.deviceLost) {
    const reason = s.deviceLost;
    post({ type: 'notice', level: 'warning', text: `The WebGPU device was lost (${reason}). Training continues on another backend from the last saved epoch.` }, re);
    disposeSession();
    await startRun({ ...msg, resume: true, markers: s.markers }, ['webgpu'], token);
    return;
  }
  if (result) {
    post({ type: 'phase', phase: 'saving' }, re);
    await checkpoint(s);
    post({ type: 'done', result: { ...result, steps: s.steps, epochs: s.epochs } }, re);
    // The end of a run (done or stopped) always draws: right after 'done' (a 'plots' message always
    // follows it), so that a slow backend's last draw does not hold up the end of the run.
    await postPlots(s, 'forced');
    s.schedule = null;
  }
}

/** The buffers of a plot's arrays, to transfer rather than copy. */
function plotBuffers(plots: Plot[]): Transferable[] {
  const out = new Set<ArrayBuffer>();
  for (const p of plots) {
    if (p.kind === 'latent-scatter') [p.points, p.labels, p.imageIndex].forEach((a) => out.add(a.buffer as ArrayBuffer));
    else out.add(p.image.pixels.buffer as ArrayBuffer);
  }
  return [...out];
}

/** How many images one draw runs the model on (the scatter's samples, the grid's n², the reconstructions'). */
function imagesPerDraw(doc: GraphDocument): number {
  let n = 0;
  for (const { node, role } of nodesWithRole(doc.nodes, 'plot')) n += role.plot.images(resolveParams(nodeType(node.type)!, node.params));
  return n;
}

let plotting: Promise<void> | null = null;

/**
 * The plots hook: what the output nodes draw (latent grid, scatter, reconstructions) and the
 * latent metrics, computed here where tfjs runs and posted as a 'plots' message (pixels and points
 * only). While a run goes on, the session's schedule decides whether to draw now and whether to
 * measure the metrics too (see plot-schedule.ts: at most 5 % of the run's time); 'forced' always
 * draws both, unless this step was already drawn with its metrics.
 */
async function postPlots(s: Session, reason: PlotReason, re = s.re): Promise<void> {
  while (plotting) await plotting;
  if (!s.data || session !== s) return;
  if (s.plottedStep === s.steps && (s.plottedMetrics || reason !== 'forced')) {
    // Already drawn at this step: a forced draw says so with an empty message (the page keeps what it has).
    if (reason === 'forced') post({ type: 'plots', plots: [], metrics: null, step: s.steps, key: s.key }, re);
    return;
  }
  const plan = s.schedule && reason !== 'forced' ? s.schedule.plan(performance.now(), reason) : { plots: true, metrics: true };
  if (!plan.plots) return;
  const data = s.data;
  const work = (async () => {
    const plotData = { train: data.train, test: data.test, classNames: data.classNames };
    const t0 = performance.now();
    const drawn = await computePlots(tf, s.program, s.doc, plotData, { metrics: false });
    const t1 = performance.now();
    const measured = plan.metrics ? await computePlots(tf, s.program, s.doc, plotData, { nodes: [] }) : null;
    const t2 = performance.now();
    s.schedule?.record(t2, t1 - t0, measured ? t2 - t1 : null, reason === 'forced');
    s.plottedStep = s.steps;
    s.plottedMetrics = !!measured;
    const plotShare = s.schedule ? s.schedule.spentShare(t2) : undefined;
    post(
      {
        type: 'plots',
        plots: drawn.plots,
        metrics: measured?.metrics ?? null,
        step: s.steps,
        key: s.key,
        plotMs: t2 - t0,
        plotShare,
        skipped: [...drawn.skipped, ...(measured?.skipped ?? [])],
      },
      re,
      plotBuffers(drawn.plots),
    );
  })();
  plotting = work.catch((e: unknown) => {
    post({ type: 'notice', level: 'warning', text: `The plots could not be drawn: ${errorText(e)}` }, re);
  });
  try {
    await plotting;
  } finally {
    plotting = null;
  }
}

/** Plots for a graph that is not training: its session when it is this graph's, else its saved weights. */
async function plotsFor(msg: Extract<ToWorker, { type: 'plots' }>): Promise<void> {
  const key = weightsKey(msg.doc);
  if (session?.run) return; // A run draws by itself.
  if (!session || session.key !== key) {
    const record = await storage.get(key).catch(() => null);
    if (!record) return;
    await ensureBackend(msg.backend, msg.id);
    const program = compile(msg.doc, tf);
    try {
      loadWeights(tf, program, record.files as unknown as SavedModel);
    } catch {
      program.dispose();
      return;
    }
    disposeSession();
    const progress = record.progress;
    session = { re: msg.id, doc: msg.doc, key, program, run: null, settings: { ...msg.doc.training }, steps: progress.steps, epochs: progress.epochs, last: progress.losses, history: [], deviceLost: null, data: null };
  }
  const s = session;
  // The current document (β or labels may differ from the session's; the weights are the same).
  s.doc = msg.doc;
  s.data ??= await dataset(msg.dataset, msg.baseUrl);
  await postPlots(s, 'forced', msg.id);
}

async function sendImage(msg: Extract<ToWorker, { type: 'image' }>): Promise<void> {
  const data = await dataset(msg.dataset, msg.baseUrl);
  if (msg.index >= data.test.count) return;
  const pixels = imageBytes(data.test, msg.index).slice();
  post({ type: 'image', dataset: msg.dataset, index: msg.index, pixels, label: data.test.labels[msg.index], shape: data.test.shape }, msg.id, [pixels.buffer]);
}

async function exportModel(doc: GraphDocument, re: number): Promise<void> {
  const key = weightsKey(doc);
  const here = session && session.key === key ? session : null;
  // The session's weights when it trained them (with its optimizer's state); else what is saved.
  if (here && (here.run || here.optimizer)) {
    post({ type: 'model', files: toFiles(await saveWeights(tf, here.program, here.optimizer)) }, re);
    return;
  }
  const record = await storage.get(key).catch(() => null);
  if (record) post({ type: 'model', files: record.files }, re);
  else if (here) post({ type: 'model', files: toFiles(await saveWeights(tf, here.program)) }, re);
  else post({ type: 'model', files: null, message: 'This graph has no trained weights yet: train it first.' }, re);
}

async function importModel(msg: Extract<ToWorker, { type: 'import' }>): Promise<void> {
  if (session?.run) throw new Error('Stop training before loading weights.');
  await ensureBackend(msg.backend, msg.id);
  const program = compile(msg.doc, tf);
  try {
    const saved = msg.files as unknown as SavedModel;
    if (!saved.json || !Array.isArray(saved.json.weightsManifest)) throw new Error('model.json has no weightsManifest: it is not a tfjs weights file.');
    loadWeights(tf, program, saved);
    // Check the optimizer's state too: what is stored is what the next Train continues from.
    const optimizer = createStepOptimizer(tf, program, msg.doc.training.optimizer, msg.doc.training.learningRate);
    const { state } = savedOptimizerState(tf, program, saved, msg.doc.training.optimizer);
    if (state) {
      await optimizer.setWeights(state);
      state.forEach((t) => t.tensor.dispose());
    }
    const key = weightsKey(msg.doc);
    const progress: SavedProgress = { key, steps: 0, epochs: 0, losses: null, savedAt: Date.now(), backend: backend?.name ?? '?' };
    const own = state ? { name: msg.doc.training.optimizer, state: optimizer } : null;
    await storage.put({ progress, files: toFiles(await saveWeights(tf, program, own)) });
    disposeSession();
    session = { re: msg.id, doc: msg.doc, key, program, run: null, settings: msg.doc.training, steps: 0, epochs: 0, last: null, history: [], deviceLost: null, data: null, optimizer: own };
    if (!own) optimizer.dispose();
    session.plottedStep = -1;
    const kept = state ? ' The optimizer’s state came with them.' : '';
    post({ type: 'imported', ok: true, message: `Weights loaded: training continues from them, and the plots show them.${kept}`, progress }, msg.id);
  } catch (e) {
    program.dispose();
    post({ type: 'imported', ok: false, message: errorText(e) }, msg.id);
  }
}

/** Starting, importing and restoring plots replace the session: one at a time, in order. */
let queue: Promise<void> = Promise.resolve();
function inTurn(job: () => Promise<void>): Promise<void> {
  const next = queue.then(job);
  queue = next.catch(() => undefined);
  return next;
}

/** Handles one request; every request gets exactly one final answer ('done', 'model', 'imported', 'ack' or 'error'). */
async function handle(msg: ToWorker): Promise<void> {
  const re = msg.id;
  switch (msg.type) {
    case 'start': {
      const token = { stopped: false };
      starting.add(token);
      return inTurn(() => start(msg, token));
    }
    case 'plots':
      await inTurn(() => plotsFor(msg));
      break;
    case 'image':
      await sendImage(msg);
      break;
    case 'pause':
      if (session?.run) {
        session.run.pause();
        const s = session;
        post({ type: 'phase', phase: 'paused' }, s.re);
        // Paused between steps: a safe moment to save, so closing the tab now loses nothing.
        s.schedule?.pause(performance.now());
        await checkpoint(s);
        await postPlots(s, 'forced');
      }
      break;
    case 'resume':
      if (session?.run) {
        session.schedule?.resume(performance.now());
        session.run.resume();
        post({ type: 'phase', phase: 'training' }, session.re);
      }
      break;
    case 'stop':
      // The run ends after its current step and answers its own request with 'done'.
      session?.run?.stop();
      starting.forEach((t) => (t.stopped = true));
      break;
    case 'setParam':
      session?.program.setParam(msg.nodeId, msg.name, msg.value);
      if (session && msg.markers) session.markers = msg.markers;
      break;
    case 'setLearningRate':
      session?.run?.setLearningRate(msg.learningRate);
      if (session && msg.markers) session.markers = msg.markers;
      break;
    case 'export':
      return exportModel(msg.doc, re);
    case 'import':
      return inTurn(() => importModel(msg));
    case 'openData':
      return openData(msg);
  }
  post({ type: 'ack' }, re);
}

scope.addEventListener('message', (e: MessageEvent) => {
  const msg = readToWorker(e.data);
  if (!msg) return;
  handle(msg).catch((err: unknown) => {
    if (msg.type === 'start' && session?.re === msg.id) session.run = null;
    post({ type: 'error', message: errorText(err) }, msg.id);
  });
});
