// The shared skeleton of every export: which nodes the training needs, their Python names, the
// model parts (as the summary splits them) with the values that cross their borders, and an order
// to compute it all in — the parts as whole calls, everything else (Sampling, losses) between them.
import { nodeType, type NodeDefinition } from '../../nodes';
import { analyze, resolveParams, upstreamOf, type Analysis, type PartName } from '../graph/analyze';
import { portKey, type GraphDocument, type PortRef, type Shape } from '../graph/document';
import { describeDiagnostic } from '../graph/parse';
import { blockingDiagnostics, lossTerms, type LossTerm } from '../graph/loss-terms';
import type { ExportNode } from './contract';

export interface PartPlan {
  name: PartName;
  /** Encoder, Decoder, Model: the Python class. */
  className: string;
  params: number;
  /** Its layer nodes, in run order. */
  nodes: string[];
  /** Values from outside the part that its nodes read, and its values that others read; in run order. */
  inputs: PortRef[];
  outputs: PortRef[];
}

export type Step = { part: PartPlan } | { node: string };

export interface ExportPlan {
  doc: GraphDocument;
  analysis: Analysis;
  parts: PartPlan[];
  /** The forward pass that training runs, up to the Objective. */
  steps: Step[];
  /** Layer nodes the training needs that belong to no part (kept by the training module itself). */
  loose: string[];
  /** The dataset node's image port: the input of it all; shape per sample, channels last. */
  image: { ref: PortRef; shape: Shape };
  /** The dataset node's label port, when a loss or metric reads the integer labels (a classifier). */
  label: PortRef | null;
  objective: string;
  terms: LossTerm[];
  /** Numbers computed beside the losses and printed, never minimised (accuracy), by their labels. */
  metrics: (LossTerm & { format: 'percent' | 'number' })[];
  def(id: string): NodeDefinition;
  /** The node's Python name. */
  name(id: string): string;
  /** The Python variable that holds a port's value. */
  value(ref: PortRef): string;
  /** The node as its exporters see it (inputs as the Python variables wired in). */
  exportNode(id: string): ExportNode;
}

export class ExportError extends Error {}

// Words Python or the generated code already uses, and nn.Module's own attributes.
const RESERVED = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield ' +
    'self torch nn F np tf keras layers ops os sys json math gzip struct time argparse dist args data_dir print input id type sum min max len list dict range object ' +
    'training forward train eval to cuda cpu parameters modules children apply state_dict load_state_dict half float double zero_grad buffers ' +
    'encoder decoder model total terms images optimizer step metrics trackers sampling_noise'
  ).split(' '),
);

/** A safe, unique Python identifier for each node id. */
function pythonNames(ids: string[]): Map<string, string> {
  const used = new Set<string>();
  const names = new Map<string, string>();
  for (const id of ids) {
    let base = id.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, 'n') || 'node';
    if (RESERVED.has(base)) base += '_';
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    names.set(id, name);
  }
  return names;
}

const capitalise = (s: string) => s[0].toUpperCase() + s.slice(1);

export function planExport(doc: GraphDocument, exporter: 'toTorch' | 'toKeras'): ExportPlan {
  const analysis = analyze(doc);
  const blocking = blockingDiagnostics(doc, analysis);
  if (blocking.length) throw new ExportError(`Fix the graph first:\n${blocking.map(describeDiagnostic).join('\n')}`);
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const def = (id: string) => nodeType(byId.get(id)!.type)!;
  const objective = analysis.order.find((id) => def(id).role?.kind === 'objective');
  if (!objective) throw new ExportError('There is no Objective: add one and wire the losses into it.');
  // Metrics (accuracy) run beside the losses when everything they read can be computed.
  const diagnosed = new Set(analysis.diagnostics.map((d) => d.node));
  const metricIds = analysis.order.filter((id) => {
    const role = def(id).role;
    if (role?.kind !== 'metric') return false;
    const info = analysis.nodes[id];
    return def(id).inputs.every((p) => p.optional || p.name in info.inputs) && [...upstreamOf(doc, [id])].every((up) => !diagnosed.has(up));
  });
  const needed = upstreamOf(doc, [objective, ...metricIds]);
  const order = analysis.order.filter((id) => needed.has(id));

  const missing = [...new Set(order.filter((id) => def(id).category !== 'data' && !def(id)[exporter]).map((id) => def(id).label))];
  if (missing.length) throw new ExportError(`Cannot export ${missing.join(', ')} yet: ${missing.length > 1 ? 'these node types have' : 'this node type has'} no ${exporter === 'toTorch' ? 'PyTorch' : 'Keras'} exporter.`);
  const datasets = order.filter((id) => def(id).category === 'data');
  if (datasets.length !== 1) throw new ExportError('The export needs exactly one Dataset feeding the losses.');
  const datasetRole = def(datasets[0]).role;
  if (datasetRole?.kind !== 'dataset') throw new ExportError('The Dataset node has no dataset role.');
  const imageRef = { node: datasets[0], port: datasetRole.image };
  const labelRef = { node: datasets[0], port: datasetRole.label };
  const readsLabels = doc.edges.some((e) => needed.has(e.to.node) && e.from.node === labelRef.node && e.from.port === labelRef.port);

  const names = pythonNames(order);
  // A port's variable: the node's name, or name_port when several of its outputs are used.
  const used = new Map<string, Set<string>>();
  for (const e of doc.edges) if (needed.has(e.to.node)) used.set(e.from.node, (used.get(e.from.node) ?? new Set()).add(e.from.port));
  const value = (ref: PortRef) => ((used.get(ref.node)?.size ?? 0) > 1 ? `${names.get(ref.node)}_${ref.port}` : names.get(ref.node)!);

  const incoming = new Map<string, { port: string; from: PortRef }[]>();
  for (const e of doc.edges) if (needed.has(e.to.node)) incoming.set(e.to.node, [...(incoming.get(e.to.node) ?? []), { port: e.to.port, from: e.from }]);

  const member = new Map<string, PartName>();
  const parts: PartPlan[] = [];
  for (const part of analysis.parts) {
    const nodes = part.nodes.filter((id) => needed.has(id));
    if (!nodes.length) continue;
    for (const id of nodes) {
      if (member.has(id)) throw new ExportError('Cannot export a graph whose model parts overlap (several Sampling nodes) yet.');
      member.set(id, part.name);
    }
    const inside = new Set(nodes);
    const inputs = new Map<string, PortRef>();
    for (const id of nodes) for (const { from } of incoming.get(id) ?? []) if (!inside.has(from.node)) inputs.set(portKey(from), from);
    const outputs = new Map<string, PortRef>();
    for (const id of order) {
      if (inside.has(id)) continue;
      for (const { from } of incoming.get(id) ?? []) if (inside.has(from.node)) outputs.set(portKey(from), from);
    }
    const rank = (r: PortRef) => order.indexOf(r.node);
    parts.push({
      name: part.name,
      className: capitalise(part.name),
      params: part.params,
      nodes,
      inputs: [...inputs.values()].sort((a, b) => rank(a) - rank(b)),
      outputs: [...outputs.values()].sort((a, b) => rank(a) - rank(b)),
    });
  }
  const loose = order.filter((id) => def(id).category === 'layer' && !member.has(id));

  // Schedule: a part runs once all its inputs exist, any other node once its own do.
  const ready = new Set<string>([portKey(imageRef), portKey(labelRef)]);
  const steps: Step[] = [];
  const pending: Step[] = [...parts.map((part) => ({ part })), ...order.filter((id) => !member.has(id) && id !== datasets[0]).map((node) => ({ node }))];
  const needs = (s: Step) => ('part' in s ? s.part.inputs : (incoming.get(s.node) ?? []).map((i) => i.from));
  const gives = (s: Step) => ('part' in s ? s.part.outputs : def(s.node).outputs.map((o) => ({ node: s.node, port: o.name })));
  const firstIndex = (s: Step) => order.indexOf('part' in s ? s.part.nodes[0] : s.node);
  pending.sort((a, b) => firstIndex(a) - firstIndex(b));
  while (pending.length) {
    // Among the steps that can run, the model before the losses: encoder, Sampling, decoder, then the losses.
    const can = (s: Step) => needs(s).every((r) => ready.has(portKey(r)));
    const isLoss = (s: Step) => 'node' in s && def(s.node).category === 'loss';
    const first = pending.findIndex((s) => can(s) && !isLoss(s));
    const i = first >= 0 ? first : pending.findIndex(can);
    if (i < 0) throw new ExportError('Cannot export this graph: a model part needs a value that is computed from its own output.');
    const [s] = pending.splice(i, 1);
    steps.push(s);
    for (const r of gives(s)) ready.add(portKey(r));
  }

  const exportNode = (id: string): ExportNode => {
    const inputs: Record<string, string[]> = {};
    for (const { port, from } of incoming.get(id) ?? []) (inputs[port] ??= []).push(value(from));
    return {
      name: names.get(id)!,
      params: resolveParams(def(id), byId.get(id)!.params),
      inputs,
      inputShapes: analysis.nodes[id].inputs,
      outputShapes: analysis.nodes[id].outputs,
    };
  };

  return {
    doc,
    analysis,
    parts,
    steps,
    loose,
    image: { ref: imageRef, shape: analysis.nodes[datasets[0]].outputs[imageRef.port] },
    label: readsLabels ? labelRef : null,
    objective,
    terms: lossTerms(doc, analysis, objective),
    metrics: metricIds.map((nodeId) => {
      const node = byId.get(nodeId)!;
      const role = def(nodeId).role as { kind: 'metric'; output: string; format: 'percent' | 'number' };
      return { nodeId, label: node.label ?? def(nodeId).label, port: role.output, format: role.format };
    }),
    def,
    name: (id) => names.get(id)!,
    value,
    exportNode,
  };
}
