// compile(doc, tf): builds each node's layer or op once and returns a Program that runs the
// forward pass on real tensors — for training (the losses), and for any sub-graph with an
// injected value (encode: images → μ; decode: latent points → images) for the plots.
import { nodeType } from '../../nodes';
import type { BuildContext, BuiltNode, NodeDefinition, Tensor, Tf } from '../../nodes/define';
import { fastConv2dTranspose } from './transposed-conv';
import { analyze, resolveParams, upstreamOf, type Analysis, type Diagnostic } from '../graph/analyze';
import { describeDiagnostic } from '../graph/parse';
import { portKey, type GraphDocument, type GraphNode, type Params, type ParamValue, type PortRef } from '../graph/document';
import type * as tfjs from '@tensorflow/tfjs';
import { backprop, canBackprop, type Gradients } from './backprop';
import { filterGradient } from './conv-gradient';
import { fusedOps } from './fused-ops';

export class CompileError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(describeDiagnostic).join('\n'));
  }
}

export interface LossTerm {
  nodeId: string;
  /** The node's label, as metrics and charts name the term. */
  label: string;
}

export interface Batch {
  image: tfjs.Tensor4D;
  label?: tfjs.Tensor1D;
}

/** Where the plots read and inject values; null when the graph has no such port. */
export interface LatentPorts {
  /** μ: what the scatter plots. */
  mean: PortRef | null;
  /** Where a latent point is injected (Sampling's z, or the bottleneck). */
  latent: PortRef | null;
  /** The decoder's image output. */
  decoded: PortRef | null;
  latentDims: number;
}

export interface Program {
  doc: GraphDocument;
  analysis: Analysis;
  /** Every loss node that feeds the Objective (BCE, KL, β-scale...), in run order. */
  terms: LossTerm[];
  /** The trainable variables, in run order: hand these to the optimizer explicitly. */
  variables: tfjs.Variable[];
  latent: LatentPorts;
  /** The total loss and each term, from one forward pass in training mode. Call inside a tidy or minimize. */
  losses(batch: Batch): { total: tfjs.Scalar; terms: tfjs.Scalar[] };
  /** Runs only what the targets need; `feeds` overrides port values (keys `node.port`). */
  run(feeds: Map<string, Tensor>, targets: PortRef[], training?: boolean): Tensor[];
  encode(images: tfjs.Tensor4D): tfjs.Tensor2D;
  decode(points: tfjs.Tensor2D): tfjs.Tensor4D;
  /** Changes a live param (β) in place; it takes effect at the next step. */
  setParam(nodeId: string, name: string, value: ParamValue): void;
  /**
   * The fast step's losses and gradients (no tape, fused kernels); null when a node on the training
   * path has no fast step. Call inside a tidy; `one` is a kept scalar 1.
   */
  fastGradients(batch: Batch, one: tfjs.Scalar): Gradients | null;
  /** Weights named `nodeId/kernel`, for saving and loading. */
  namedWeights(): { name: string; variable: tfjs.Variable }[];
  dispose(): void;
}

/** Diagnostics that stop training: those on nodes the Objective needs, and graph-wide ones. */
export function blockingDiagnostics(doc: GraphDocument, analysis: Analysis): Diagnostic[] {
  const needed = upstreamOf(doc, doc.nodes.filter((n) => n.type === 'objective').map((n) => n.id));
  return analysis.diagnostics.filter((d) => !d.node || needed.has(d.node) || !doc.nodes.some((n) => n.id === d.node));
}

export interface CompileOptions {
  /**
   * How transposed convs run: 'phases' (stride-1 convs, one per output phase) or tfjs's own kernel.
   * Default: phases on cpu and wasm, where tfjs's kernel is a naive loop; tfjs's on GPUs.
   */
  transposedConv?: 'phases' | 'tfjs';
  /**
   * The fast step's conv filter gradient: tfjs's Conv2DBackpropFilter kernel, or the same as one
   * dilated conv (conv-gradient.ts). Default: dilated (tfjs's kernel is a naive loop on cpu and
   * takes 5–25 ms a layer on webgpu at batch 128, where the dilated conv takes under 1 ms).
   */
  filterGradient?: 'tfjs' | 'dilated';
}

export function compile(doc: GraphDocument, tf: Tf, options: CompileOptions = {}): Program {
  const analysis = analyze(doc);
  const blocking = blockingDiagnostics(doc, analysis);
  if (blocking.length) throw new CompileError(blocking);

  // tfjs's transposed-conv kernel is a naive loop on cpu and wasm; a conv2d over dilated input is not.
  const phases = (options.transposedConv ?? (['cpu', 'wasm'].includes(tf.getBackend()) ? 'phases' : 'tfjs')) === 'phases';
  const conv2dTranspose: BuildContext['conv2dTranspose'] = phases
    ? (x, filter, outShape, strides, pad) => fastConv2dTranspose(tf, x, filter, outShape, strides, pad)
    : (x, filter, outShape, strides, pad) => tf.conv2dTranspose(x, filter, outShape, strides, pad);
  const dilated = (options.filterGradient ?? 'dilated') === 'dilated';
  const fast: BuildContext['fast'] = {
    ops: fusedOps(tf),
    convFilterGradient: (x, dy, shape, strides, pad) =>
      dilated ? filterGradient(tf, x, dy, shape, strides, pad) : (tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat: 'NHWC', dilations: 1, filterShape: shape }) as tfjs.Tensor4D),
  };
  const byId = new Map<string, GraphNode>(doc.nodes.map((n) => [n.id, n]));
  const defs = new Map<string, NodeDefinition>();
  const params = new Map<string, Params>();
  const built = new Map<string, BuiltNode>();
  for (const id of analysis.order) {
    const node = byId.get(id)!;
    const def = nodeType(node.type)!;
    defs.set(id, def);
    const p = resolveParams(def, node.params);
    params.set(id, p);
    // Output nodes draw from evaluators; nodes with problems off the training path are skipped.
    const failed = def.outputs.length > 0 && Object.keys(analysis.nodes[id].outputs).length === 0;
    if (def.category === 'output' || failed) continue;
    built.set(id, def.build({ tf, nodeId: id, inputShapes: analysis.nodes[id].inputs, conv2dTranspose, fast }, p));
  }

  const incoming = new Map<string, { port: string; from: PortRef }[]>();
  for (const e of doc.edges) incoming.set(e.to.node, [...(incoming.get(e.to.node) ?? []), { port: e.to.port, from: e.from }]);

  const objective = doc.nodes.find((n) => n.type === 'objective')!;
  const needed = upstreamOf(doc, [objective.id]);
  const labelOf = (id: string) => byId.get(id)!.label ?? defs.get(id)!.label;
  const lossIds = analysis.order.filter((id) => needed.has(id) && defs.get(id)!.outputs.some((o) => o.kind === 'loss'));
  const labels = lossIds.map(labelOf);
  const terms = lossIds.map((nodeId, i) => ({
    nodeId,
    label: labels.indexOf(labels[i]) !== labels.lastIndexOf(labels[i]) ? `${labels[i]} (${nodeId})` : labels[i],
  }));
  const datasetIds = doc.nodes.filter((n) => n.type === 'dataset').map((n) => n.id);

  function run(feeds: Map<string, Tensor>, targets: PortRef[], training = false): Tensor[] {
    const values = new Map(feeds);
    const want = ancestorsUntilFed(targets);
    for (const id of analysis.order) {
      if (!want.has(id) || !built.has(id)) continue;
      const def = defs.get(id)!;
      if (def.outputs.length && def.outputs.every((o) => values.has(`${id}.${o.name}`))) continue;
      const inputs: Record<string, Tensor[]> = {};
      for (const { port, from } of incoming.get(id) ?? []) {
        const v = values.get(portKey(from));
        if (!v) throw new Error(`No value for ${portKey(from)}, needed by ${id}.${port}.`);
        (inputs[port] ??= []).push(v);
      }
      const out = built.get(id)!.apply(inputs, { training });
      for (const [port, t] of Object.entries(out)) values.set(`${id}.${port}`, t);
    }
    return targets.map((t) => {
      const v = values.get(portKey(t));
      if (!v) throw new Error(`Nothing computes ${portKey(t)}.`);
      return v;
    });

    // The nodes between the fed ports and the targets.
    function ancestorsUntilFed(refs: PortRef[]): Set<string> {
      const seen = new Set<string>();
      const stack = refs.filter((r) => !values.has(portKey(r))).map((r) => r.node);
      while (stack.length) {
        const id = stack.pop()!;
        if (seen.has(id)) continue;
        seen.add(id);
        for (const { from } of incoming.get(id) ?? []) if (!values.has(portKey(from))) stack.push(from.node);
      }
      return seen;
    }
  }

  const batchFeeds = (batch: Batch) => {
    const feeds = new Map<string, Tensor>();
    for (const id of datasetIds) {
      feeds.set(`${id}.image`, batch.image);
      if (batch.label) feeds.set(`${id}.label`, batch.label);
    }
    return feeds;
  };

  const latent = findLatentPorts(doc, analysis);
  const variables = [...built.values()].flatMap((b) => b.weights().map((w) => w.variable));
  const parts = { order: analysis.order, built, defs, incoming, needed, objectiveId: objective.id, termIds: terms.map((t) => t.nodeId), variables };
  const fastReady = canBackprop(parts);

  return {
    doc,
    analysis,
    terms,
    variables,
    latent,
    losses(batch) {
      const [total, ...rest] = run(batchFeeds(batch), [{ node: objective.id, port: 'total' }, ...terms.map((t) => ({ node: t.nodeId, port: 'loss' }))], true);
      return { total: total as tfjs.Scalar, terms: rest as tfjs.Scalar[] };
    },
    run,
    encode(images) {
      if (!latent.mean) throw new Error('This graph has no latent mean to encode into.');
      return run(batchFeeds({ image: images }), [latent.mean])[0] as tfjs.Tensor2D;
    },
    decode(points) {
      if (!latent.latent || !latent.decoded) throw new Error('This graph has no decoder to draw latent points with.');
      return run(new Map([[portKey(latent.latent), points]]), [latent.decoded])[0] as tfjs.Tensor4D;
    },
    fastGradients: (batch, one) => (fastReady ? backprop(tf, parts, batchFeeds(batch), one) : null),
    setParam(nodeId, name, value) {
      const p = params.get(nodeId);
      if (!p) throw new Error(`No node ${nodeId}.`);
      p[name] = value;
    },
    namedWeights() {
      return [...built.entries()].flatMap(([id, b]) => b.weights().map((w) => ({ name: `${id}/${w.name}`, variable: w.variable })));
    },
    dispose() {
      for (const b of built.values()) b.dispose?.();
    },
  };
}

/**
 * μ is what feeds Sampling's mean (or the scatter's μ); the latent point is Sampling's z (or what feeds the
 * grid's latent input: an autoencoder's bottleneck); the decoded image is what feeds the grid (or BCE's prediction).
 */
export function findLatentPorts(doc: GraphDocument, analysis: Analysis): LatentPorts {
  const source = (type: string, port: string): PortRef | null => {
    for (const n of doc.nodes) {
      if (n.type !== type) continue;
      const e = doc.edges.find((e) => e.to.node === n.id && e.to.port === port);
      if (e) return e.from;
    }
    return null;
  };
  const sampling = doc.nodes.find((n) => n.type === 'sampling');
  const latent = sampling ? { node: sampling.id, port: 'z' } : source('latent-grid', 'latent');
  const mean = source('sampling', 'mean') ?? source('latent-scatter', 'mean') ?? latent;
  const decoded = source('latent-grid', 'image') ?? source('reconstructions', 'reconstruction') ?? source('bce', 'prediction');
  const shape = latent ? analysis.nodes[latent.node]?.outputs[latent.port] : undefined;
  return { mean, latent, decoded, latentDims: shape?.[0] ?? 0 };
}
