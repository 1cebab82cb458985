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
import { loadWeights, saveWeights, type SavedModel } from '../compile/weights';
import type { DatasetName, GraphDocument } from '../graph/document';
import { describeDiagnostic } from '../graph/parse';
import { imageBytes, loadDataset, take, type Dataset } from '../train/data';
import { DataError, openOwnImages, type Inflate } from '../train/own-images';
import { nodeType } from '../../nodes';
import { nodesWithRole } from '../../nodes/roles';
import { resolveParams } from '../graph/analyze';
import type { Plot } from '../train/plot-types';
import { computePlots } from '../train/plots';
import { train, type Losses, type StepReport, type TrainRun } from '../train/train';
import { selectBackend, webgpuDevice } from './backend';
import { PlotSchedule, type PlotReason } from './plot-schedule';
import { readToWorker, type BackendInfo, type BackendName, type BackendRequest, type FromWorker, type MemoryInfo, type ModelFiles, type RunSettings, type SavedProgress, type ToWorker } from './protocol';
import { hasIndexedDb, indexedDbWeights, memoryWeights, weightsKey, type SavedRecord, type WeightsStorage } from './saved-weights';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (message: FromWorker, transfer: Transferable[] = []) => scope.postMessage(message, transfer);
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
    post({ type: 'ownData', info: { name: data.name, shape: [...data.train.shape], classNames: [...data.classNames] }, images: data.train.count + data.test.count });
  } catch (e) {
    post({ type: 'ownDataError', message: e instanceof DataError ? e.message : `Your images could not be opened: ${errorText(e)}` });
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

async function ensureBackend(requested: BackendRequest, exclude: BackendName[] = []): Promise<BackendInfo> {
  if (backend && requested === requestedBackend && !exclude.includes(backend.name)) return backend;
  post({ type: 'phase', phase: 'starting', detail: 'choosing a backend' });
  backend = await selectBackend(tf, { requested, wasmPaths, exclude });
  requestedBackend = requested;
  if (exclude.length) backend = { ...backend, skipped: [...exclude.map((name) => ({ name, reason: 'its device was lost during training' })), ...backend.skipped] };
  post({ type: 'backend', info: backend });
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
  const saved = await saveWeights(tf, s.program);
  const progress: SavedProgress = { key: s.key, steps: s.steps, epochs: s.epochs, losses: s.last, savedAt: Date.now(), backend: backend?.name ?? '?' };
  const record: SavedRecord & { history: Session['history'] } = { progress, files: toFiles(saved), history: s.history };
  try {
    await storage.put(record);
    post({ type: 'saved', progress });
  } catch (e) {
    post({ type: 'notice', level: 'warning', text: `The weights could not be saved in this browser's storage: ${errorText(e)}` });
  }
}

function disposeSession() {
  if (!session) return;
  try {
    session.program.dispose();
  } catch {
    // A lost device cannot free its buffers; nothing to do.
  }
  session = null;
}

async function start(msg: Extract<ToWorker, { type: 'start' }>, exclude: BackendName[] = []): Promise<void> {
  if (session?.run) throw new Error('Training is already running; stop it first.');
  disposeSession();
  const info = await ensureBackend(msg.backend, exclude);
  // Too big to train is said now, naming the nodes, before data loads or a weight is allocated.
  const tooBig = tooBigToTrain(msg.doc, msg.settings, backendMemoryLimit(info.name, { gpu: webgpuDevice(tf)?.limits }));
  if (tooBig) throw new Error(tooBig);

  post({ type: 'phase', phase: 'loading-data', detail: msg.settings.dataset });
  const data = await dataset(msg.settings.dataset, msg.baseUrl);
  const images = take(data.train, msg.settings.limit);

  post({ type: 'phase', phase: 'compiling' });
  const program = compile(msg.doc, tf, { seed: msg.settings.seed });
  const key = weightsKey(msg.doc);
  const s: Session = {
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
  };
  session = s;

  let resumedFrom: SavedProgress | null = null;
  if (msg.resume && msg.persist !== false) {
    const record = (await storage.get(key).catch(() => null)) as (SavedRecord & { history?: Session['history'] }) | null;
    if (record) {
      try {
        loadWeights(tf, program, record.files as unknown as SavedModel);
        resumedFrom = record.progress;
        s.steps = record.progress.steps;
        s.epochs = record.progress.epochs;
        s.last = record.progress.losses;
        s.history = record.history ?? [];
      } catch (e) {
        post({ type: 'notice', level: 'warning', text: `The saved weights could not be used, so training starts afresh: ${errorText(e)}` });
      }
    }
  }

  const batchSize = Math.min(msg.settings.batchSize, images.count);
  const stepsPerEpoch = Math.ceil(images.count / batchSize);
  // Continue the epochs the saved run had left; once all were done, train the full count again.
  const epochs = msg.settings.epochs - (s.epochs % msg.settings.epochs);
  const totalSteps = Math.min(stepsPerEpoch * epochs, msg.maxSteps ?? Infinity);
  const stepOffset = s.steps;
  const epochOffset = s.epochs;
  post({ type: 'started', terms: [...program.terms, ...program.metrics].map((t) => t.label), stepsPerEpoch, totalSteps, images: images.count, resumedFrom });

  let pending: StepReport[] = [];
  let lastPost = 0;
  const flush = () => {
    if (!pending.length) return;
    post({ type: 'steps', steps: pending, memory: memory() });
    pending = [];
    lastPost = performance.now();
  };

  const device = webgpuDevice(tf);
  void device?.lost.then((info) => {
    if (session !== s || !s.run) return;
    s.deviceLost = info.message || info.reason || 'unknown reason';
    s.run.stop();
  });

  post({ type: 'phase', phase: 'training' });
  s.schedule = new PlotSchedule(performance.now());
  const drawnImages = imagesPerDraw(msg.doc);
  s.plottedStep = -1;
  const run = train({
    tf,
    program,
    data: images,
    settings: { ...msg.settings, epochs },
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
      post({ type: 'epoch', report, memory: memory() });
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
    post({ type: 'notice', level: 'warning', text: `The WebGPU device was lost (${reason}). Training continues on another backend from the last saved epoch.` });
    disposeSession();
    await start({ ...msg, resume: true }, ['webgpu']);
    return;
  }
  if (result) {
    post({ type: 'phase', phase: 'saving' });
    await checkpoint(s);
    post({ type: 'done', result: { ...result, steps: s.steps, epochs: s.epochs } });
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
async function postPlots(s: Session, reason: PlotReason): Promise<void> {
  while (plotting) await plotting;
  if (!s.data || session !== s) return;
  if (s.plottedStep === s.steps && (s.plottedMetrics || reason !== 'forced')) {
    // Already drawn at this step: a forced draw says so with an empty message (the page keeps what it has).
    if (reason === 'forced') post({ type: 'plots', plots: [], metrics: null, step: s.steps, key: s.key });
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
      plotBuffers(drawn.plots),
    );
  })();
  plotting = work.catch((e: unknown) => {
    post({ type: 'notice', level: 'warning', text: `The plots could not be drawn: ${errorText(e)}` });
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
    await ensureBackend(msg.backend);
    const program = compile(msg.doc, tf);
    try {
      loadWeights(tf, program, record.files as unknown as SavedModel);
    } catch {
      program.dispose();
      return;
    }
    disposeSession();
    const progress = record.progress;
    session = { doc: msg.doc, key, program, run: null, settings: { ...msg.doc.training }, steps: progress.steps, epochs: progress.epochs, last: progress.losses, history: [], deviceLost: null, data: null };
  }
  const s = session;
  // The current document (β or labels may differ from the session's; the weights are the same).
  s.doc = msg.doc;
  s.data ??= await dataset(msg.dataset, msg.baseUrl);
  await postPlots(s, 'forced');
}

async function sendImage(msg: Extract<ToWorker, { type: 'image' }>): Promise<void> {
  const data = await dataset(msg.dataset, msg.baseUrl);
  if (msg.index >= data.test.count) return;
  const pixels = imageBytes(data.test, msg.index).slice();
  post({ type: 'image', dataset: msg.dataset, index: msg.index, pixels, label: data.test.labels[msg.index], shape: data.test.shape }, [pixels.buffer]);
}

async function exportModel(doc: GraphDocument): Promise<void> {
  const key = weightsKey(doc);
  if (session && session.key === key) {
    post({ type: 'model', files: toFiles(await saveWeights(tf, session.program)) });
    return;
  }
  const record = await storage.get(key);
  post(record ? { type: 'model', files: record.files } : { type: 'model', files: null, message: 'This graph has no trained weights yet: train it first.' });
}

async function importModel(msg: Extract<ToWorker, { type: 'import' }>): Promise<void> {
  if (session?.run) throw new Error('Stop training before loading weights.');
  await ensureBackend(msg.backend);
  const program = compile(msg.doc, tf);
  try {
    const saved = msg.files as unknown as SavedModel;
    if (!saved.json || !Array.isArray(saved.json.weightsManifest)) throw new Error('model.json has no weightsManifest: it is not a tfjs weights file.');
    loadWeights(tf, program, saved);
    const key = weightsKey(msg.doc);
    const progress: SavedProgress = { key, steps: 0, epochs: 0, losses: null, savedAt: Date.now(), backend: backend?.name ?? '?' };
    await storage.put({ progress, files: toFiles(await saveWeights(tf, program)) });
    disposeSession();
    session = { doc: msg.doc, key, program, run: null, settings: msg.doc.training, steps: 0, epochs: 0, last: null, history: [], deviceLost: null, data: null };
    session.plottedStep = -1;
    post({ type: 'imported', ok: true, message: 'Weights loaded: training continues from them, and the plots show them.', progress });
  } catch (e) {
    program.dispose();
    post({ type: 'imported', ok: false, message: errorText(e) });
  }
}

/** Starting, importing and restoring plots replace the session: one at a time, in order. */
let queue: Promise<void> = Promise.resolve();
function inTurn(job: () => Promise<void>): Promise<void> {
  const next = queue.then(job);
  queue = next.catch(() => undefined);
  return next;
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'start':
      return inTurn(() => start(msg));
    case 'plots':
      return inTurn(() => plotsFor(msg));
    case 'image':
      return sendImage(msg);
    case 'pause':
      if (session?.run) {
        session.run.pause();
        post({ type: 'phase', phase: 'paused' });
        // Paused between steps: a safe moment to save, so closing the tab now loses nothing.
        const s = session;
        s.schedule?.pause(performance.now());
        await checkpoint(s);
        await postPlots(s, 'forced');
      }
      return;
    case 'resume':
      if (session?.run) {
        session.schedule?.resume(performance.now());
        session.run.resume();
        post({ type: 'phase', phase: 'training' });
      }
      return;
    case 'stop':
      session?.run?.stop();
      return;
    case 'setParam':
      session?.program.setParam(msg.nodeId, msg.name, msg.value);
      return;
    case 'setLearningRate':
      session?.run?.setLearningRate(msg.learningRate);
      return;
    case 'export':
      return exportModel(msg.doc);
    case 'import':
      return inTurn(() => importModel(msg));
    case 'openData':
      return openData(msg);
  }
}

scope.addEventListener('message', (e: MessageEvent) => {
  const msg = readToWorker(e.data);
  if (!msg) return;
  handle(msg).catch((err: unknown) => {
    if (session) session.run = null;
    post({ type: 'error', message: errorText(err) });
  });
});
