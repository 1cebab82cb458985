// What a node type's exporters receive and return. Each node type keeps its own `toTorch` and
// `toKeras` beside its definition (nodes/*.ts); the generators in this folder only stitch them together.
import type { Params, Shape } from '../graph/document';

/** One node as the exporters see it. Shapes are per sample and Keras's (channels last), as the summary prints them. */
export interface ExportNode {
  /** The node's Python name (its id, made a safe identifier); a module or layer is `self.<name>` / `name="<name>"`. */
  name: string;
  params: Params;
  /** The Python expression of each wired input, per port, in wire order. */
  inputs: Record<string, string[]>;
  inputShapes: Record<string, Shape>;
  outputShapes: Record<string, Shape>;
}

export interface TorchExport {
  /** The nn.Module built in `__init__` and kept as `self.<name>`; none for ops without weights. */
  module?: string;
  /** A Python expression per output port. Images are channels-first (N, C, H, W) inside PyTorch. */
  outputs: Record<string, string>;
  /** How our saved weights (Keras layouts, `<node>/kernel`) become the module's parameters: `permute` takes ours to PyTorch's. */
  weights?: { name: string; torch: string; permute?: number[] }[];
  /** Why the line looks the way it does (asymmetric padding, a crop), shown beside it. */
  comment?: string;
  /** Python definitions (classes, functions) the expression uses, by name; the generator writes each once. */
  helpers?: Record<string, string>;
}

/** A Keras layer as tfjs-layers serialises it (`modelTopology`), when tfjs-layers has that layer. */
export interface KerasLayerConfig {
  className: string;
  config: Record<string, unknown>;
}

export interface KerasExport {
  /** A Python expression per output port (channels last, as in Keras): a layer call, or `ops` maths for losses. */
  outputs: Record<string, string>;
  /** The layer for a tfjs LayersModel; absent when tfjs-layers cannot express the node (custom layers, losses). */
  layer?: KerasLayerConfig;
  /** The layer's weights in Keras's order (kernel, bias): the names ours have after `<node>/`; same layouts. */
  weights?: string[];
  /** A layer kept by the training model (`self.<name> = <module>`) when the node sits outside the parts (Sampling). */
  module?: string;
  /** Python definitions the expression uses, by name, written once (e.g. the Sampling layer). */
  helpers?: Record<string, string>;
}

/** A JSON value as a Python expression (a raw string: JSON escapes every quote and backslash in its strings). */
export const pyJson = (value: unknown): string => `json.loads(r"""${JSON.stringify(value)}""")`;

/** A float as Python writes it: 10 → 10.0. */
export function pyFloat(x: number): string {
  const s = String(x);
  return /[.eE]/.test(s) || !Number.isFinite(x) ? s : `${s}.0`;
}

/** A Python tuple literal: (7, 7, 64), (2,). */
export const pyTuple = (xs: readonly (number | string)[]): string => (xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(', ')})`);

/** Is this per-sample shape an image (height, width, channels)? Such tensors are channels-first in PyTorch. */
export const isImage = (shape: Shape | undefined): boolean => shape?.length === 3;
