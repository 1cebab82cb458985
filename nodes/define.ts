// The contract every node type fulfils: one small plain object per type, used alike by the
// editor (ports, controls, teaching text), analyze (shapes, params, diagnostics), the compiler
// (build) and the docs. Nothing here imports tfjs at run time: `tf` is handed in by the compiler.
import type * as tfjs from '@tensorflow/tfjs';
import type { Params, ParamValue, Shape } from '../src/graph/document';
import { describeValue } from '../src/graph/describe';
import type { ExportNode, KerasExport, TorchExport } from '../src/export/contract';
import type { Program } from '../src/compile/compile';
import type { FusedOps } from '../src/compile/fused-ops';
import type { ImageSet } from '../src/train/data';
import type { Plot } from '../src/train/plot-types';

export type Tf = typeof tfjs;
export type Tensor = tfjs.Tensor;
export type Category = 'data' | 'layer' | 'latent' | 'loss' | 'output';

/** What flows on a wire. A socket accepts only its own kind. */
export type PortKind = 'tensor' | 'labels' | 'loss';

export interface PortSpec {
  name: string;
  label: string;
  kind: PortKind;
  /** Several wires may end here (the Objective's losses). */
  multiple?: boolean;
  optional?: boolean;
}

interface ParamBase {
  label: string;
  help: string;
  /** May change while training runs, taking effect at the next step (β). */
  live?: boolean;
}
export interface IntParam extends ParamBase { kind: 'int'; default: number; min: number; max: number }
export interface FloatParam extends ParamBase { kind: 'float'; default: number; min: number; max: number; step: number; slider?: boolean }
export interface SelectParam extends ParamBase { kind: 'select'; default: string; options: { value: string; label: string }[] }
export interface BoolParam extends ParamBase { kind: 'bool'; default: boolean }
/** A list of positive ints, such as Reshape's target shape; with `inferOne`, one entry may be −1 (Keras's "infer this one"). */
export interface ShapeParam extends ParamBase { kind: 'shape'; default: number[]; minLength: number; maxLength: number; inferOne?: boolean }
export type ParamSpec = IntParam | FloatParam | SelectParam | BoolParam | ShapeParam;

/**
 * Teaching text that may follow the node's own params (defaults filled in) and its input shapes,
 * so the Keras line of a stride-2 conv says strides=2. A plain string when nothing varies.
 */
export type DocText<P extends Params = Params> = string | ((params: P, inputs: Record<string, Shape>) => string);

export interface NodeDoc<P extends Params = Params> {
  /** What it computes, in a sentence a student understands. */
  summary: string;
  /** The formula, in TeX. */
  formula: DocText<P>;
  /** The Keras equivalent, as code, with the node's own values. */
  keras: DocText<P>;
  /** What the current params mean in practice (e.g. the KL's reduction and the latent size), or null. */
  remark?: (params: P, inputs: Record<string, Shape>) => string | null;
  /** Input and output shapes, as tfjs-layers documents them. */
  shapes: string;
}

/** A doc text for given params (defaults filled in) and input shapes. */
export function docText<P extends Params>(text: DocText<P>, params: P, inputs: Record<string, Shape> = {}): string {
  return typeof text === 'string' ? text : text(params, inputs);
}

/** A value as Python writes it in Keras code: "same", True, (7, 7, 64). */
export function py(value: ParamValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value)) return value.length === 1 ? `(${value[0]},)` : `(${value.join(', ')})`;
  return String(value);
}

/**
 * A fix the editor can apply with one click: insert a node of `insert`'s type on the wire into
 * the problem's port, or set a param — of the node wired into `port` when given, else of this node.
 */
export type ProblemFix = { label: string } & ({ insert: string } | { set: { port?: string; name: string; value: ParamValue } });

/** A problem with a node, with the way to fix it in the message (and, where one click can, in `fix`). */
export interface Problem {
  port?: string;
  message: string;
  fix?: ProblemFix;
}

export type InferResult = { ok: true; outputs: Record<string, Shape> } | { ok: false; problems: Problem[] };

/** What a dataset gives each sample: its image shape and class names (see src/train/datasets.ts). */
export interface DatasetInfo {
  name: string;
  /** [height, width, channels] */
  shape: Shape;
  classNames: readonly string[];
}

/** What inferShape sees beyond the first wire of each port. */
export interface InferContext {
  /**
   * Every wire's shape, per port, in the wires' order: the order of the edges into that port in the
   * document's `edges` list (the first listed is wire 1). Single-wire ports hold one shape.
   */
  wires: Record<string, Shape[]>;
  /** The name (label, else id) of the node at the other end of each wire, as `wires` orders them (for messages). */
  from?: Record<string, string[]>;
  /** The dataset the graph trains on (the Dataset node's output shape comes from it). */
  dataset: DatasetInfo;
}

/** Everything a plot node needs to draw itself (in the worker, the CLI or a test). */
export interface PlotContext {
  tf: Tf;
  program: Program;
  nodeId: string;
  test: ImageSet;
  classNames: readonly string[];
}

/**
 * What a node is to the rest of the system, declared here so that nothing outside nodes/ tests a type
 * string. Port names refer to the node's own ports.
 */
export type NodeRole =
  /** Its outputs are fed by the training loop: a batch of images and their integer labels. */
  | { kind: 'dataset'; image: string; label: string }
  /** Sums the losses wired into `losses`; its value (not a port on the canvas) is `total`. */
  | { kind: 'objective'; losses: string; total: string }
  /**
   * A loss term (its `loss`-kind outputs are charted by its label). `prediction` is what it compares
   * with the data (the decoder's output, for the plots), `mean`/`logVar` a latent distribution it reads.
   */
  | { kind: 'loss'; prediction?: string; mean?: string; logVar?: string }
  /** A number charted like a loss term but never summed into the objective (accuracy). */
  | { kind: 'metric'; output: string; format: 'percent' | 'number' }
  /** Draws z from N(μ, σ²): which ports are μ, log σ² and z. Splits the model into encoder and decoder. */
  | { kind: 'latent-sampler'; mean: string; logVar: string; z: string }
  /** An output node that draws a plot. */
  | { kind: 'plot'; plot: PlotRole };

export interface PlotRole {
  /**
   * Which input ports carry what: `latent` is where latent points are injected and `decoded` what
   * the decoder makes of them; `mean` the encoder's μ; `original`/`reconstruction` images.
   */
  reads: { latent?: string; decoded?: string; mean?: string; original?: string; reconstruction?: string };
  /** Shown with the latent metrics (k-NN accuracy, μ per dimension) beside it. */
  latentMetrics?: boolean;
  /** How many images one draw runs through the model (the plot schedule's cost guess). */
  images(params: Params): number;
  /** Draws it; tensors made here are disposed here. */
  compute(ctx: PlotContext, params: Params): Promise<Plot>;
}

/** What the compiler hands a node when it builds it. */
export interface BuildContext {
  tf: Tf;
  nodeId: string;
  /** Shapes of the connected inputs (per sample; the first wire of a multi-wire port). */
  inputShapes: Record<string, Shape>;
  /** A new seed at each call, from training.seed and the node's id: the noise a node draws (Sampling's ε). */
  nextSeed(): number;
  /** Keras's default kernel initializer (Glorot uniform), seeded the same way: the same seed, the same weights. */
  kernelInitializer(): ReturnType<Tf['initializers']['glorotUniform']>;
  /** Every wire's shape per port, in the document's order (see InferContext.wires). */
  inputWires: Record<string, Shape[]>;
  dataset: DatasetInfo;
  /** tf.conv2dTranspose, or a faster equivalent the compiler picks for the backend. */
  conv2dTranspose: (
    x: tfjs.Tensor4D,
    filter: tfjs.Tensor4D,
    outShape: [number, number, number, number],
    strides: number,
    pad: 'same' | 'valid',
  ) => tfjs.Tensor4D;
  /** The fast training step's fused ops (and the conv gradients the compiler picked); absent: no fast step. */
  fast?: FastContext;
}

export interface FastContext {
  ops: FusedOps;
  /** A conv's filter gradient: tfjs's kernel or the dilated-conv form, as the compiler picked for the backend. */
  convFilterGradient(x: tfjs.Tensor4D, dy: tfjs.Tensor4D, filterShape: [number, number, number, number], strides: number, pad: 'same' | 'valid'): tfjs.Tensor4D;
  /** The fast step's transposed conv (and a conv's input gradient): tfjs's one kernel, or the phases on wasm, where that kernel is a naive loop. */
  conv2dTranspose: BuildContext['conv2dTranspose'];
}

/**
 * A node's part in the fast training step: its forward outputs, and how to go back. `backward`
 * gets the gradient of the loss for each output that has one, and the input ports whose gradient
 * is wanted; it returns those (one per wire) and its weights' gradients in `weights()` order.
 */
export interface StepPart {
  outputs: Record<string, Tensor>;
  backward(grads: Record<string, Tensor | undefined>, wanted: ReadonlySet<string>): StepGrads;
}
export interface StepGrads {
  inputs: Record<string, (Tensor | undefined)[]>;
  weights: Tensor[];
}
/** No gradient reached this node. */
export const noGrads = (): StepGrads => ({ inputs: {}, weights: [] });

export interface ApplyContext {
  /**
   * Training step (noise in Sampling, Dropout drops, BatchNormalization uses the batch's statistics
   * and updates its moving ones) or inference (Sampling returns μ, so plots are deterministic).
   */
  training: boolean;
}

export type NamedVariable = { name: string; variable: tfjs.Variable };

/** The built form of a node: a function of tensors, and the layer variables it owns. */
export interface BuiltNode {
  /** `inputs[port]` holds one tensor per wire, in the wires' order. */
  apply(inputs: Record<string, Tensor[]>, ctx: ApplyContext): Record<string, Tensor>;
  /** Trainable weights, named `kernel`, `bias`, ... in Keras's order. */
  weights(): NamedVariable[];
  /**
   * State that is not trained but kept with the weights (BatchNormalization's moving_mean and
   * moving_variance): saved, loaded and restored on a NaN rollback like the weights.
   */
  state?(): NamedVariable[];
  /** Forward with a hand-written backward, for the fast training step (training mode). */
  step?(inputs: Record<string, Tensor[]>): StepPart;
  dispose?(): void;
}

export interface NodeDefinition<P extends Params = Params> {
  type: string;
  label: string;
  category: Category;
  doc: NodeDoc<P>;
  inputs: PortSpec[];
  outputs: PortSpec[];
  params: Record<keyof P & string, ParamSpec>;
  /** What it is to the rest of the system, where it is more than a layer (see NodeRole). */
  role?: NodeRole;
  /**
   * Pure. `inputs` holds the shape of each connected input (first wire of a multi-input); `ctx.wires`
   * every wire's, in order.
   */
  inferShape(inputs: Record<string, Shape>, params: P, ctx: InferContext): InferResult;
  /** Number of trainable parameters, given the input shapes (Keras's "Trainable params"). */
  paramCount(inputs: Record<string, Shape>, params: P): number;
  /** Parameters kept but not trained (Keras's "Non-trainable params"); 0 when left out. */
  stateCount?(inputs: Record<string, Shape>, params: P): number;
  build(ctx: BuildContext, params: P): BuiltNode;
  /** The node as PyTorch code (src/export/torch.ts); a node without it cannot be exported yet. */
  toTorch?(node: ExportNode): TorchExport;
  /** The node as Keras code, and as a tfjs-layers layer where one exists (src/export/keras.ts). */
  toKeras?(node: ExportNode): KerasExport;
}

/** Identity helper that keeps each definition's param types while the registry holds them uniformly. */
export function defineNode<P extends Params>(def: NodeDefinition<P>): NodeDefinition {
  return def as unknown as NodeDefinition;
}

export const product = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);
export const formatShape = (shape: Shape): string => (shape.length === 0 ? 'scalar' : shape.join('×'));

export function defaultParams(def: NodeDefinition): Params {
  const out: Params = {};
  for (const [name, spec] of Object.entries(def.params)) out[name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  return out;
}

/** Nodes without trainable weights share this. */
export const noWeights = (): NamedVariable[] => [];

/** Is this value acceptable for this param? A message that says what is allowed, or null. */
export function paramProblem(name: string, spec: ParamSpec, value: ParamValue | undefined): string | null {
  const what = `${spec.label} (${name})`;
  switch (spec.kind) {
    case 'int':
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${what} must be a number; the default is ${spec.default}.`;
      if (spec.kind === 'int' && !Number.isInteger(value)) return `${what} must be a whole number, got ${value}.`;
      if (value < spec.min || value > spec.max) return `${what} is ${value}; set it between ${spec.min} and ${spec.max}.`;
      return null;
    }
    case 'select':
      if (typeof value !== 'string' || !spec.options.some((o) => o.value === value))
        return `${what} is ${describeValue(value)}; choose one of ${spec.options.map((o) => o.value).join(', ')}.`;
      return null;
    case 'bool':
      return typeof value === 'boolean' ? null : `${what} must be true or false.`;
    case 'shape':
      if (!Array.isArray(value) || value.some((v) => !Number.isInteger(v) || (v < 1 && !(spec.inferOne && v === -1))))
        return `${what} must be a list of positive whole numbers, such as 7, 7, 64${spec.inferOne ? ' (one of them may be −1: inferred from the input)' : ''}.`;
      if (value.filter((v) => v === -1).length > 1) return `${what} may have only one −1 (the dimension inferred from the input), got ${value.join(', ')}.`;
      if (value.length < spec.minLength || value.length > spec.maxLength)
        return `${what} needs ${spec.minLength} to ${spec.maxLength} dimensions, got ${value.length}.`;
      return null;
  }
}

// Shared param specs: the same words and defaults on every layer that has them.
export const activationParam = (def: string): SelectParam => ({
  kind: 'select',
  label: 'Activation',
  default: def,
  help: 'Applied to each output value; linear leaves it unchanged.',
  options: ['linear', 'relu', 'sigmoid', 'tanh', 'elu', 'selu', 'softplus', 'softmax', 'swish', 'gelu'].map((v) => ({ value: v, label: v })),
});
export const paddingParam: SelectParam = {
  kind: 'select',
  label: 'Padding',
  default: 'valid',
  help: 'same keeps the size (divided by the stride); valid uses only positions where the kernel fits.',
  options: [
    { value: 'valid', label: 'valid' },
    { value: 'same', label: 'same' },
  ],
};
export const useBiasParam: BoolParam = { kind: 'bool', label: 'Use bias', default: true, help: 'Add a learned constant to each output.' };

/**
 * A tfjs-layers layer as a built node with one input and one output port. The layer is built for
 * the known input shape, then applied eagerly to real tensors; its weights are named as Keras
 * names them (kernel, bias).
 */
export function layerNode(layer: tfjs.layers.Layer, inputShape: Shape): BuiltNode {
  layer.build([null, ...inputShape]);
  return {
    apply: (inputs) => ({ output: layer.apply(inputs.input[0]) as Tensor }),
    weights: () => layer.trainableWeights.map((w) => ({ name: w.originalName.split('/').pop() ?? w.originalName, variable: w.read() as tfjs.Variable })),
    // layer.dispose() refuses layers never called symbolically; their variables are what holds memory.
    dispose: () => layer.weights.forEach((w) => w.dispose()),
  };
}

export const describeShape = (shape: Shape | undefined): string => (shape ? `[${shape.join(', ')}]` : 'nothing');
