// The graph document: the one source of truth. Plain JSON, versioned.
// Everything else (the Rete view, shapes, diagnostics, the compiled model) is derived from it.

/** A tensor shape per sample, without the batch dimension: [28, 28, 1], [2], [] for a scalar loss. */
export type Shape = number[];

export type ParamValue = number | string | boolean | number[];
export type Params = Record<string, ParamValue>;

export interface GraphNode {
  id: string;
  type: string;
  /** Shown instead of the type's label, and names the node's loss term in metrics. */
  label?: string;
  params: Params;
  position: [number, number];
}

export interface PortRef {
  node: string;
  port: string;
}

/**
 * A wire. Where several wires end at one port (Add, Concatenate, the Objective), their order is the
 * order of those edges in the document's `edges` list: wire 1 is listed first.
 */
export interface GraphEdge {
  from: PortRef;
  to: PortRef;
}

export type OptimizerName = 'rmsprop' | 'adam' | 'sgd';
/** A registered dataset (src/graph/datasets.ts), or 'custom': the user's own images, described by `training.custom`. */
export type DatasetName = 'fashion-mnist' | 'mnist' | 'custom';

/** The user's own images as the graph needs to know them; the images stay on the user's machine. */
export interface CustomData {
  /** Where they came from (a file or folder name), for messages. */
  name: string;
  /** [height, width, channels] */
  shape: number[];
  classNames: string[];
}

export interface TrainingSettings {
  dataset: DatasetName;
  optimizer: OptimizerName;
  learningRate: number;
  batchSize: number;
  epochs: number;
  /** Seeds the shuffling, the initial weights and Sampling's noise: the same seed, the same run. */
  seed: number;
  /** Train on the first N images only (0 = all 70,000). */
  limit: number;
  /** Set when dataset is 'custom' (format version 2). */
  custom?: CustomData;
}

/** Frame colours, by name; a file may also give a #rrggbb colour. */
export const FRAME_COLORS = ['blue', 'purple', 'green', 'orange', 'red', 'gray'] as const;

/** A titled, coloured box around some nodes (and notes) that moves them as one. Its rectangle follows its members. */
export interface GraphFrame {
  id: string;
  title: string;
  color: string;
  /** Ids of the nodes and notes inside it; each belongs to one frame at most. */
  nodes: string[];
}

/** A comment on the canvas, for a teacher's remarks. Plain text. */
export interface GraphNote {
  id: string;
  text: string;
  position: [number, number];
}

export interface GraphDocument {
  format: 'wirelab.graph';
  version: 2;
  name: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  training: TrainingSettings;
  /** Version 2; optional, so a document without them means what it meant in version 1. */
  frames?: GraphFrame[];
  notes?: GraphNote[];
}

export const GRAPH_FORMAT = 'wirelab.graph';
export const GRAPH_VERSION = 2;

/** Keras's defaults where one exists (RMSprop lr 0.001), the tutorial's batch and epochs otherwise. */
export const DEFAULT_TRAINING: TrainingSettings = {
  dataset: 'fashion-mnist',
  optimizer: 'rmsprop',
  learningRate: 0.001,
  batchSize: 128,
  epochs: 100,
  seed: 1,
  limit: 0,
};

/** The range of each numeric training setting: what parse, the CLI and the panel accept. */
export const TRAINING_LIMITS = {
  learningRate: { min: 0, max: 10, int: false },
  batchSize: { min: 1, max: 65_536, int: true },
  epochs: { min: 1, max: 100_000, int: true },
  seed: { min: 0, max: 2 ** 32 - 1, int: true },
  /** 0 = every image. */
  limit: { min: 0, max: 10_000_000, int: true },
} as const;
export type NumericSetting = keyof typeof TRAINING_LIMITS;

export function emptyDocument(name = 'Untitled'): GraphDocument {
  return { format: GRAPH_FORMAT, version: GRAPH_VERSION, name, nodes: [], edges: [], training: { ...DEFAULT_TRAINING } };
}

export const portKey = (ref: PortRef): string => `${ref.node}.${ref.port}`;
