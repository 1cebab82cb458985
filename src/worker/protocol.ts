// The typed messages between the page and the training worker, both ways.
// Plain data only (structured-clone safe): the graph document goes in, numbers and pixels come out.
// Nothing here imports tfjs: the page imports this file, and the page never loads tfjs.
import type { CustomData, DatasetName, GraphDocument, ParamValue, TrainingSettings } from '../graph/document';
import type { EpochReport, StepReport, TrainResult } from '../train/train';
import type { LatentMetrics, Plot } from '../train/plot-types';

export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** What the page asks for: a backend by name (`?backend=`), or the automatic choice. */
export type BackendRequest = BackendName | 'auto';

/** The `?backend=` URL parameter, or 'auto' when absent or not a backend's name. */
export function backendFromQuery(search: string): BackendRequest {
  const value = new URLSearchParams(search).get('backend');
  return (BACKENDS as readonly string[]).includes(value ?? '') ? (value as BackendName) : 'auto';
}

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter such as SwiftShader: correct, but slow. */
  isFallbackAdapter: boolean;
}

export interface BackendInfo {
  name: BackendName;
  requested: BackendRequest;
  /** The WebGPU adapter, when one was found (even if WebGPU was then skipped). */
  adapter: AdapterInfo | null;
  /** The backends tried before this one, and why each was not used. */
  skipped: { name: BackendName; reason: string }[];
  /** Whether the conv filter gradient is computed as a forward conv (needed on wasm). */
  fastConvGradients: boolean;
  /** Advice to show: "a fallback adapter; wasm is likely faster". */
  advice: string | null;
  /** The backend to offer instead, with the advice. */
  suggest: BackendName | null;
  /** The conv-gradient self-test, when one ran: how long it took. */
  selfTestMs: number | null;
  /** Why this backend: "wasm: 0.8 s/step vs webgl 2.1 s/step", "your choice", … */
  reason?: string;
  /** The measured trial that decided the automatic choice, fastest first (when two or more qualified). */
  trial?: BackendTrial[];
}

/** A backend's time for the trial step (a small conv net's forward and backward pass). */
export interface BackendTrial {
  name: BackendName;
  msPerStep: number;
}

export interface MemoryInfo {
  numTensors: number;
  numBytes: number;
  /** Bytes held on the GPU (WebGL reports it), when the backend says. */
  numBytesInGPU: number | null;
}

/** The saved weights, in tfjs's format (model.json's content and weights.bin). */
export interface ModelFiles {
  json: unknown;
  weights: ArrayBuffer;
}

export type RunSettings = Pick<TrainingSettings, 'dataset' | 'optimizer' | 'learningRate' | 'batchSize' | 'epochs' | 'seed' | 'limit'>;

/** A mark on the loss chart where β or the learning rate changed; saved with the weights. */
export interface Marker {
  /** The first step the change applies to. */
  step: number;
  text: string;
  kind: 'param' | 'learning-rate';
}

// ---- page → worker ----------------------------------------------------------------------------

/** What the page asks of the worker. Sent as a ToWorker, with a request id. */
export type Command =
  | {
      type: 'start';
      doc: GraphDocument;
      settings: RunSettings;
      backend: BackendRequest;
      /** Base URL of the app (import.meta.env.BASE_URL), for the data files. */
      baseUrl: string;
      /** Continue from the weights saved for this graph, when there are some. */
      resume: boolean;
      /** Stop after this many steps (tests). */
      maxSteps?: number;
      /** Save the weights to this browser's storage (default true; false for compare runs, which must not overwrite the graph's own). */
      persist?: boolean;
      /** The chart's markers so far, saved with the weights. */
      markers?: Marker[];
    }
  | { type: 'pause' }
  | { type: 'resume' }
  /** Stop the run, or the run being started. */
  | { type: 'stop' }
  /** A live param (β) changed in the editor; takes effect at the next step. `markers`: the chart's markers now. */
  | { type: 'setParam'; nodeId: string; name: string; value: ParamValue; markers?: Marker[] }
  | { type: 'setLearningRate'; learningRate: number; markers?: Marker[] }
  /** Reply with 'model': the weights saved for this graph. */
  | { type: 'export'; doc: GraphDocument }
  /** Check these weights against the graph and keep them as its saved weights. */
  | { type: 'import'; doc: GraphDocument; files: ModelFiles; backend: BackendRequest }
  /** Reply with 'plots' for this graph: from the session when it is this graph's, else from its saved weights (nothing when it has none). */
  | { type: 'plots'; doc: GraphDocument; dataset: DatasetName; backend: BackendRequest; baseUrl: string }
  /** Reply with 'image': test image `index` of the dataset (a scatter point's image, on hover). */
  | { type: 'image'; dataset: DatasetName; index: number; baseUrl: string }
  /** The user's own images (IDX files, a zip, or a folder's PNGs with their paths): reply 'ownData' or 'ownDataError'. They stay in this browser. */
  | { type: 'openData'; name: string; files: { path: string; file: Blob }[] };

/**
 * A command with its request id (a positive integer, new for each request). The worker answers
 * every request exactly once with a final message (see FINAL) carrying the id as `re`; the
 * messages a request causes on the way (a run's steps, phases, plots) carry it too.
 */
export type ToWorker = Command & { id: number };

// ---- worker → page ----------------------------------------------------------------------------

export type Phase = 'starting' | 'loading-data' | 'compiling' | 'training' | 'paused' | 'saving';

/** What the worker tells the page. Sent as a FromWorker, with the id of the request it belongs to. */
export type Report =
  | { type: 'backend'; info: BackendInfo }
  | { type: 'phase'; phase: Phase; detail?: string }
  /** The run began: the loss terms by label, and the steps it will take. */
  | { type: 'started'; terms: string[]; stepsPerEpoch: number; totalSteps: number; images: number; resumedFrom: SavedProgress | null }
  /** Steps since the last message (sent in bunches, at most a few times a second). */
  | { type: 'steps'; steps: StepReport[]; memory: MemoryInfo }
  | { type: 'epoch'; report: EpochReport; memory: MemoryInfo }
  /** Weights were saved to IndexedDB for this graph. */
  | { type: 'saved'; progress: SavedProgress }
  /** Filled in by the plots (src/train/plots.ts): what the output nodes draw, and latent metrics. */
  | {
      type: 'plots';
      plots: Plot[];
      metrics: LatentMetrics | null;
      step: number;
      /** The weights key of the graph drawn (the page ignores plots of another graph). */
      key?: string;
      /** How long computing these took, and the share of the run's time plotting took so far (0–1). */
      plotMs?: number;
      plotShare?: number;
      /** Output nodes that drew nothing, and why. */
      skipped?: { nodeId: string; reason: string }[];
    }
  /** The user's images are open in the worker: what the document should say about them. */
  | { type: 'ownData'; info: CustomData; images: number }
  | { type: 'ownDataError'; message: string }
  /** A test image, h·w·c bytes (its shape given). */
  | { type: 'image'; dataset: DatasetName; index: number; pixels: Uint8Array; label: number; shape: number[] }
  | { type: 'notice'; level: 'info' | 'warning'; text: string }
  | { type: 'done'; result: TrainResult }
  | { type: 'model'; files: ModelFiles | null; message?: string }
  | { type: 'imported'; ok: boolean; message: string; progress?: SavedProgress }
  /** The final answer to a request that has no other (pause, stop, plots, image, …). */
  | { type: 'ack' }
  | { type: 'error'; message: string };

/** `re`: the id of the request this message belongs to (0: none, such as a worker that failed to load). */
export type FromWorker = Report & { re: number };

/** The messages that end a request: exactly one per request. */
export const FINAL: ReadonlySet<FromWorker['type']> = new Set<FromWorker['type']>(['done', 'model', 'imported', 'ownData', 'ownDataError', 'ack', 'error']);

/** The final answer each command gets (besides 'error'). */
export type ReplyType<K extends Command['type']> = K extends 'start' ? 'done' : K extends 'export' ? 'model' : K extends 'import' ? 'imported' : K extends 'openData' ? 'ownData' | 'ownDataError' : 'ack';
export type Reply<K extends Command['type']> = Extract<FromWorker, { type: ReplyType<K> | 'error' }>;

/** How far the saved weights of a graph got. */
export interface SavedProgress {
  key: string;
  steps: number;
  epochs: number;
  /** The losses of the last step before saving. */
  losses: Record<string, number> | null;
  savedAt: number;
  backend: string;
}

// ---- checks -------------------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const FROM_WORKER_TYPES: ReadonlySet<string> = new Set<FromWorker['type']>([
  'backend',
  'phase',
  'started',
  'steps',
  'epoch',
  'saved',
  'plots',
  'notice',
  'done',
  'model',
  'imported',
  'image',
  'ownData',
  'ownDataError',
  'ack',
  'error',
]);
const TO_WORKER_TYPES: ReadonlySet<string> = new Set<Command['type']>(['start', 'pause', 'resume', 'stop', 'setParam', 'setLearningRate', 'export', 'import', 'plots', 'image', 'openData']);

/** A message from the worker, or null for anything else (a stray message is ignored, not trusted). */
export function readFromWorker(data: unknown): FromWorker | null {
  return isObject(data) && typeof data.type === 'string' && FROM_WORKER_TYPES.has(data.type) && typeof data.re === 'number' ? (data as unknown as FromWorker) : null;
}

/** A message to the worker, or null for anything else. */
export function readToWorker(data: unknown): ToWorker | null {
  if (!isObject(data) || typeof data.type !== 'string' || !TO_WORKER_TYPES.has(data.type)) return null;
  if (!(typeof data.id === 'number' && Number.isInteger(data.id) && data.id > 0)) return null;
  if (data.type === 'setLearningRate' && !(typeof data.learningRate === 'number' && data.learningRate > 0 && Number.isFinite(data.learningRate))) return null;
  if (data.type === 'setParam' && (typeof data.nodeId !== 'string' || typeof data.name !== 'string')) return null;
  if (data.type === 'start' && (!isObject(data.doc) || !isObject(data.settings))) return null;
  if (data.type === 'plots' && !isObject(data.doc)) return null;
  if (data.type === 'image' && !(typeof data.index === 'number' && Number.isInteger(data.index) && data.index >= 0)) return null;
  if (data.type === 'openData' && !(typeof data.name === 'string' && Array.isArray(data.files))) return null;
  return data as unknown as ToWorker;
}

/** What a worker endpoint looks like to the page (a real Worker, or a fake in tests). */
export interface WorkerPort {
  postMessage(message: ToWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
  addEventListener(type: 'error', listener: (e: ErrorEvent) => void): void;
  terminate(): void;
}
