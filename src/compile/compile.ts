// compile(doc, tf): builds each node's layer or op once and returns a Program that runs the
// forward pass on real tensors — for training (the losses), and for any sub-graph with an
// injected value (encode: images → μ; decode: latent points → images) for the plots.
import { nodeType } from '../../nodes';
import type { BuildContext, BuiltNode, NamedVariable, NodeDefinition, Tensor, Tf } from '../../nodes/define';
import { nodesWithRole, roleOf } from '../../nodes/roles';
import { fastConv2dTranspose } from './transposed-conv';
import { nodeRandomness } from './seeds';
import { analyze, listFor, resolveParams, upstreamOf, type Analysis, type Diagnostic } from '../graph/analyze';
import { blockingDiagnostics, lossTerms, type LossTerm } from '../graph/loss-terms';
import { datasetInfo } from '../graph/datasets';
import { describeDiagnostic } from '../graph/parse';
import { portKey, type GraphDocument, type GraphNode, type Params, type ParamValue, type PortRef, type TrainingSettings } from '../graph/document';
import { memoryProblem, type MemoryLimit } from '../graph/memory';
import type * as tfjs from '@tensorflow/tfjs';
import { backprop, canBackprop, type Gradients } from './backprop';
import { filterGradient } from './conv-gradient';
import { convBiasActivation, convWeightGrad } from '../gpu/conv-kernels';
import { fusedOps } from './fused-ops';

export class CompileError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(describeDiagnostic).join('\n'));
  }
}

export { blockingDiagnostics, type LossTerm };

/** A number charted beside the losses but not minimised (accuracy). */
export interface MetricTerm extends LossTerm {
  format: 'percent' | 'number';
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
  /** Every metric node whose inputs can be computed from a batch, in run order. */
  metrics: MetricTerm[];
  /** The trainable variables, in run order: hand these to the optimizer explicitly. */
  variables: tfjs.Variable[];
  /** Non-trainable state (moving averages), in run order: saved and rolled back with the weights. */
  state: tfjs.Variable[];
  latent: LatentPorts;
  /**
   * The total loss, each term and each metric, from one forward pass in training mode. Call inside a
   * tidy or minimize.
   */
  losses(batch: Batch): { total: tfjs.Scalar; terms: tfjs.Scalar[]; metrics: tfjs.Scalar[] };
  /** Every Dataset node's image (and label) ports fed with this batch. */
  feeds(batch: Batch): Map<string, Tensor>;
  /** Runs only what the targets need; `feeds` overrides port values (keys `node.port`). */
  run(feeds: Map<string, Tensor>, targets: PortRef[], training?: boolean): Tensor[];
  encode(images: tfjs.Tensor4D): tfjs.Tensor2D;
  decode(points: tfjs.Tensor2D): tfjs.Tensor4D;
  /** Changes a live param (β) in place; it takes effect at the next step. */
  setParam(nodeId: string, name: string, value: ParamValue): void;
  /**
   * The fast step's losses, metrics and gradients (no global tape, fused kernels); null when a node
   * on the training path keeps state and has no fast step (see canBackprop). Call inside a tidy;
   * `one` is a kept scalar 1.
   */
  fastGradients(batch: Batch, one: tfjs.Scalar): Gradients | null;
  /** Weights and state named `nodeId/kernel`, `nodeId/moving_mean`, for saving and loading. */
  namedWeights(): NamedVariable[];
  dispose(): void;
}

/**
 * Why this graph cannot train on this backend at these settings (the memory estimate against the
 * backend's limit, naming the biggest nodes), or null. Checked before compile allocates a weight;
 * a graph with blocking diagnostics is left to compile, which names those instead.
 */
export function tooBigToTrain(doc: GraphDocument, settings: Partial<TrainingSettings>, limit: MemoryLimit): string | null {
  const training = { ...doc.training, ...settings };
  // Training never takes a batch larger than the images it has.
  if (training.limit > 0) training.batchSize = Math.min(training.batchSize, training.limit);
  const runDoc = { ...doc, training };
  const analysis = analyze(runDoc);
  return blockingDiagnostics(runDoc, analysis).length ? null : memoryProblem(runDoc, analysis, limit);
}

export interface CompileOptions {
  /**
   * How transposed convs run: 'phases' (stride-1 convs, one per output phase) or tfjs's own kernel.
   * Default: phases on cpu and wasm, where tfjs's kernel is a naive loop; tfjs's on GPUs.
   */
  transposedConv?: 'phases' | 'tfjs';
  /** Seeds the initial weights and Sampling's noise; default: the document's training.seed (the CLI's --seed overrides it). */
  seed?: number;
  /**
   * The fast step's conv weight gradients: 'split' — one split-sum kernel for the filter and the
   * bias (src/gpu/conv-kernels.ts; webgpu only); 'dilated' — the filter's as one dilated conv
   * (conv-gradient.ts) and the bias's as a column sum; 'tfjs' — tfjs's Conv2DBackpropFilter kernel
   * (a naive loop on cpu; 5–25 ms a layer on webgpu at batch 128). Default: split on webgpu
   * (measured on an H100 against the dilated conv, which gives a few workgroups the whole sum),
   * dilated elsewhere.
   */
  filterGradient?: 'split' | 'dilated' | 'tfjs';
  /** The fast step's convs on webgpu: our kernel (src/gpu/conv-kernels.ts, the default) or tfjs's. */
  convKernel?: 'own' | 'tfjs';
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
  const webgpu = tf.getBackend() === 'webgpu';
  const weightGradient = options.filterGradient === 'split' && !webgpu ? 'dilated' : (options.filterGradient ?? (webgpu ? 'split' : 'dilated'));
  const ops = fusedOps(tf);
  const fast: BuildContext['fast'] = {
    ops,
    convWeightGradients: (x, dy, shape, strides, pad, bias) => {
      if (weightGradient === 'split') return convWeightGrad(tf, x, dy, shape, strides, pad, bias);
      const filter =
        weightGradient === 'dilated'
          ? filterGradient(tf, x, dy, shape, strides, pad)
          : (tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat: 'NHWC', dilations: 1, filterShape: shape }) as tfjs.Tensor4D);
      return bias ? [filter, ops.columnSum(dy)] : [filter];
    },
    conv: (x, filter, bias, strides, pad, act, transposed, [oh, ow]) => {
      // Our kernel on webgpu (≈ 3× tfjs's for a one-channel input at batch 1024 on an H100; strided
      // transposed convs by output phase), except for fewer than 16 output channels (it computes
      // 16 at a time).
      const channels = transposed ? filter.shape[2] : filter.shape[3];
      if (webgpu && options.convKernel !== 'tfjs' && channels >= 16) return convBiasActivation(tf, x, filter, bias, strides, pad, act, transposed, [oh, ow]);
      // A conv, bias and activation are one kernel in tfjs (FusedConv2D) except with tanh.
      if (!transposed && act !== 'tanh') return tf.fused.conv2d({ x, filter, strides, pad, bias: bias ?? undefined, activation: act });
      // A transposed conv: tfjs's one kernel where it runs well (fewer dispatches on GPUs), the phases on wasm.
      const transpose = tf.getBackend() === 'wasm' ? conv2dTranspose : tf.conv2dTranspose;
      const y = transposed ? transpose(x, filter, [x.shape[0], oh, ow, filter.shape[2]], strides, pad) : tf.conv2d(x, filter, strides, pad);
      return ops.biasActivation(y, bias, act) as tfjs.Tensor4D;
    },
  };
  const byId = new Map<string, GraphNode>(doc.nodes.map((n) => [n.id, n]));
  const defs = new Map<string, NodeDefinition>();
  const params = new Map<string, Params>();
  const built = new Map<string, BuiltNode>();
  const dataset = datasetInfo(doc.training);
  const diagnosed = new Set(analysis.diagnostics.map((d) => d.node));
  for (const id of analysis.order) {
    const node = byId.get(id)!;
    const def = nodeType(node.type)!;
    defs.set(id, def);
    const p = resolveParams(def, node.params);
    params.set(id, p);
    // Plot nodes draw from evaluators; nodes with problems off the training path are skipped.
    const info = analysis.nodes[id];
    const failed =
      (def.outputs.length > 0 && Object.keys(info.outputs).length === 0) ||
      def.inputs.some((p) => !p.optional && !(p.name in info.inputs)) ||
      diagnosed.has(id);
    if (def.role?.kind === 'plot' || failed) continue;
    const randomness = nodeRandomness(tf, options.seed ?? doc.training.seed, id);
    built.set(id, def.build({ tf, nodeId: id, inputShapes: info.inputs, inputWires: info.wires, dataset, conv2dTranspose, fast, ...randomness }, p));
  }

  const incoming = new Map<string, { port: string; from: PortRef }[]>();
  for (const e of doc.edges) listFor(incoming, e.to.node).push({ port: e.to.port, from: e.from });

  const [{ node: objective, role: objectiveRole }] = nodesWithRole(doc.nodes, 'objective');
  const terms = lossTerms(doc, analysis, objective.id);
  // Metrics whose every input is computed (nothing upstream failed): charted, never minimised.
  const metricIds = analysis.order.filter((id) => roleOf(defs.get(id)!.type)?.kind === 'metric' && built.has(id));
  const metrics: MetricTerm[] = metricIds.map((nodeId) => {
    const node = byId.get(nodeId)!;
    const role = defs.get(nodeId)!.role as { kind: 'metric'; output: string; format: 'percent' | 'number' };
    return { nodeId, label: node.label ?? defs.get(nodeId)!.label, port: role.output, format: role.format };
  });
  const datasets = nodesWithRole(doc.nodes, 'dataset');

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
    for (const { node, role } of datasets) {
      feeds.set(`${node.id}.${role.image}`, batch.image);
      if (batch.label) feeds.set(`${node.id}.${role.label}`, batch.label);
    }
    return feeds;
  };

  const latent = findLatentPorts(doc, analysis);
  const variables = [...built.values()].flatMap((b) => b.weights().map((w) => w.variable));
  const state = [...built.values()].flatMap((b) => (b.state?.() ?? []).map((w) => w.variable));
  const needed = upstreamOf(doc, [objective.id]);
  const metricNeeded = upstreamOf(doc, metricIds);
  const metricPorts = metrics.map((m) => ({ node: m.nodeId, port: m.port }));
  const parts = { order: analysis.order, built, defs, incoming, needed, metricNeeded, metricPorts, objectiveId: objective.id, termIds: terms.map((t) => t.nodeId), variables };
  const fastReady = canBackprop(parts);

  return {
    doc,
    analysis,
    terms,
    metrics,
    variables,
    state,
    latent,
    losses(batch) {
      const targets = [{ node: objective.id, port: objectiveRole.total }, ...[...terms, ...metrics].map((t) => ({ node: t.nodeId, port: t.port }))];
      const [total, ...rest] = run(batchFeeds(batch), targets, true) as tfjs.Scalar[];
      return { total, terms: rest.slice(0, terms.length), metrics: rest.slice(terms.length) };
    },
    feeds: batchFeeds,
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
      return [...built.entries()].flatMap(([id, b]) => [...b.weights(), ...(b.state?.() ?? [])].map((w) => ({ name: `${id}/${w.name}`, variable: w.variable })));
    },
    dispose() {
      for (const b of built.values()) b.dispose?.();
      fast.ops.dispose();
    },
  };
}

/**
 * Read from the nodes' roles: μ is what feeds the latent sampler's mean (or a plot's μ); the latent
 * point is the sampler's z (or what feeds a plot's latent input: an autoencoder's bottleneck); the
 * decoded image is what feeds a plot's decoded image or reconstruction (or a loss's prediction).
 */
export function findLatentPorts(doc: GraphDocument, analysis: Analysis): LatentPorts {
  const sourceOf = (nodeId: string, port: string | undefined): PortRef | null =>
    (port && doc.edges.find((e) => e.to.node === nodeId && e.to.port === port)?.from) || null;
  const first = (refs: (PortRef | null)[]): PortRef | null => refs.find((r) => r !== null) ?? null;
  const samplers = nodesWithRole(doc.nodes, 'latent-sampler');
  const plots = nodesWithRole(doc.nodes, 'plot');
  const sampler = samplers[0];
  const latent = sampler ? { node: sampler.node.id, port: sampler.role.z } : first(plots.map(({ node, role }) => sourceOf(node.id, role.plot.reads.latent)));
  const mean = first([...samplers.map(({ node, role }) => sourceOf(node.id, role.mean)), ...plots.map(({ node, role }) => sourceOf(node.id, role.plot.reads.mean))]) ?? latent;
  const decoded = first([
    ...plots.map(({ node, role }) => sourceOf(node.id, role.plot.reads.latent && role.plot.reads.decoded)),
    ...plots.map(({ node, role }) => sourceOf(node.id, role.plot.reads.decoded)),
    ...nodesWithRole(doc.nodes, 'loss').map(({ node, role }) => sourceOf(node.id, role.prediction)),
  ]);
  const shape = latent ? analysis.nodes[latent.node]?.outputs[latent.port] : undefined;
  return { mean, latent, decoded, latentDims: shape?.[0] ?? 0 };
}
