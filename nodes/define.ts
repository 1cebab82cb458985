// The contract every node type fulfils: one small plain object per type, used alike by the
// editor (ports, controls, teaching text), analyze (shapes, params, diagnostics), the compiler
// (build) and the docs. Nothing here imports tfjs at run time: `tf` is handed in by the compiler.
import type * as tfjs from '@tensorflow/tfjs';
import type { Params, ParamValue, Shape } from '../src/graph/document';
import type { FusedOps } from '../src/compile/fused-ops';

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
/** A list of positive ints, such as Reshape's target shape. */
export interface ShapeParam extends ParamBase { kind: 'shape'; default: number[]; minLength: number; maxLength: number }
export type ParamSpec = IntParam | FloatParam | SelectParam | BoolParam | ShapeParam;

export interface NodeDoc {
  /** What it computes, in a sentence a student understands. */
  summary: string;
  /** The formula, in TeX. */
  formula: string;
  /** The Keras equivalent, as code. */
  keras: string;
  /** Input and output shapes, as tfjs-layers documents them. */
  shapes: string;
}

/** A problem with a node, with the way to fix it in the message. */
export interface Problem {
  port?: string;
  message: string;
}

export type InferResult = { ok: true; outputs: Record<string, Shape> } | { ok: false; problems: Problem[] };

/** What the compiler hands a node when it builds it. */
export interface BuildContext {
  tf: Tf;
  nodeId: string;
  /** Shapes of the connected inputs (per sample; the first wire of a multi-wire port). */
  inputShapes: Record<string, Shape>;
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
  /** Training step (noise in Sampling) or evaluation (Sampling returns μ, so plots are deterministic). */
  training: boolean;
}

/** The built form of a node: a function of tensors, and the layer variables it owns. */
export interface BuiltNode {
  apply(inputs: Record<string, Tensor[]>, ctx: ApplyContext): Record<string, Tensor>;
  /** Trainable weights, named `kernel`, `bias`, ... in Keras's order. */
  weights(): { name: string; variable: tfjs.Variable }[];
  /** Forward with a hand-written backward, for the fast training step (training mode). */
  step?(inputs: Record<string, Tensor[]>): StepPart;
  dispose?(): void;
}

export interface NodeDefinition<P extends Params = Params> {
  type: string;
  label: string;
  category: Category;
  doc: NodeDoc;
  inputs: PortSpec[];
  outputs: PortSpec[];
  params: Record<keyof P & string, ParamSpec>;
  /** Pure. `inputs` holds the shape of each connected input (first wire of a multi-input). */
  inferShape(inputs: Record<string, Shape>, params: P): InferResult;
  /** Number of trainable parameters, given the input shapes. */
  paramCount(inputs: Record<string, Shape>, params: P): number;
  build(ctx: BuildContext, params: P): BuiltNode;
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
export const noWeights = (): { name: string; variable: tfjs.Variable }[] => [];

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
        return `${what} is ${JSON.stringify(value)}; choose one of ${spec.options.map((o) => o.value).join(', ')}.`;
      return null;
    case 'bool':
      return typeof value === 'boolean' ? null : `${what} must be true or false.`;
    case 'shape':
      if (!Array.isArray(value) || value.some((v) => !Number.isInteger(v) || v < 1))
        return `${what} must be a list of positive whole numbers, such as 7, 7, 64.`;
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
