// analyze(doc): the pure derivation of everything the canvas shows about a graph —
// the order to run it in, every output shape, parameter counts per node and per model part,
// and diagnostics that name the node and port and say how to fix the problem.
import { nodeType } from '../../nodes';
import { defaultParams, paramProblem, type NodeDefinition, type PortSpec } from '../../nodes/define';
import type { GraphDocument, GraphEdge, GraphNode, Params, Shape } from './document';
import type { Diagnostic } from './parse';

export type { Diagnostic } from './parse';

export interface NodeAnalysis {
  /** Shape of each connected input (first wire of a multi-input port). */
  inputs: Record<string, Shape>;
  /** Shape of each output port; empty when the node has a problem or an upstream one. */
  outputs: Record<string, Shape>;
  params: number;
}

export type PartName = 'encoder' | 'decoder' | 'model';
export interface ModelPart {
  name: PartName;
  params: number;
  /** The layer nodes in it, in run order. */
  nodes: string[];
}

export interface Analysis {
  /** Node ids in an order where every node comes after its inputs (nodes in a cycle are left out). */
  order: string[];
  nodes: Record<string, NodeAnalysis>;
  parts: ModelPart[];
  diagnostics: Diagnostic[];
}

/** The node's params with defaults filled in for those the document leaves out. */
export function resolveParams(def: NodeDefinition, params: Params): Params {
  return { ...defaultParams(def), ...params };
}

const portList = (ports: PortSpec[]) => (ports.length ? ports.map((p) => p.name).join(', ') : 'none');

/** Why a wire cannot be made, or null when it can. Used by the editor before it adds one. */
export function connectionProblem(doc: GraphDocument, edge: GraphEdge): string | null {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const from = byId.get(edge.from.node);
  const to = byId.get(edge.to.node);
  if (!from || !to) return 'Both ends of a wire must be nodes in the graph.';
  const fromDef = nodeType(from.type);
  const toDef = nodeType(to.type);
  if (!fromDef || !toDef) return 'One end of this wire is a node of an unknown type.';
  const out = fromDef.outputs.find((p) => p.name === edge.from.port);
  const inp = toDef.inputs.find((p) => p.name === edge.to.port);
  if (!out || !inp) return 'This wire names a port the node does not have.';
  const kindProblem = wireKindProblem(out, inp, toDef);
  if (kindProblem) return kindProblem;
  if (!inp.multiple && doc.edges.some((e) => e.to.node === to.id && e.to.port === inp.name))
    return `"${inp.label}" of ${nodeName(to, toDef)} already has a wire; delete it first, or wire into another node.`;
  if (edge.from.node === edge.to.node || reaches(doc, edge.to.node, edge.from.node))
    return `This wire would make a cycle (${nodeName(to, toDef)} already feeds ${nodeName(from, fromDef)}); data must flow one way.`;
  return null;
}

function wireKindProblem(out: PortSpec, inp: PortSpec, toDef: NodeDefinition): string | null {
  if (out.kind === inp.kind) return null;
  if (out.kind === 'loss') return `A loss cannot feed the ${inp.kind} port "${inp.label}" of ${toDef.label}; wire it into a β-scale or the Objective.`;
  if (inp.kind === 'loss') return `"${inp.label}" of ${toDef.label} takes a loss; a ${out.kind} port cannot feed it. Wire BCE or KL divergence into it.`;
  return `A ${out.kind} port cannot feed the ${inp.kind} port "${inp.label}" of ${toDef.label}.`;
}

const nodeName = (n: GraphNode, def: NodeDefinition) => n.label ?? `${def.label} "${n.id}"`;

/** Every node reachable from `starts` by following `next` (starts included). */
export function reachable(starts: string[], next: (id: string) => string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...starts];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...next(id));
  }
  return seen;
}

/** The nodes that feed `starts`, directly or not (starts included). */
export function upstreamOf(doc: GraphDocument, starts: string[]): Set<string> {
  const into = new Map<string, string[]>();
  for (const e of doc.edges) into.set(e.to.node, [...(into.get(e.to.node) ?? []), e.from.node]);
  return reachable(starts, (id) => into.get(id) ?? []);
}

/** Does a path of wires lead from node a to node b? */
function reaches(doc: GraphDocument, a: string, b: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of doc.edges) next.set(e.from.node, [...(next.get(e.from.node) ?? []), e.to.node]);
  return reachable([a], (id) => next.get(id) ?? []).has(b);
}

export function analyze(doc: GraphDocument): Analysis {
  const diagnostics: Diagnostic[] = [];
  const defs = new Map<string, NodeDefinition>();
  const resolved = new Map<string, Params>();

  for (const node of doc.nodes) {
    const def = nodeType(node.type);
    if (!def) {
      diagnostics.push({ node: node.id, message: `Unknown node type "${node.type}"; delete this node or replace it with one from the palette.` });
      continue;
    }
    defs.set(node.id, def);
    const params = resolveParams(def, node.params);
    resolved.set(node.id, params);
    for (const [name, spec] of Object.entries(def.params)) {
      const problem = paramProblem(name, spec, params[name]);
      if (problem) diagnostics.push({ node: node.id, message: problem });
    }
    for (const name of Object.keys(node.params))
      if (!(name in def.params)) diagnostics.push({ node: node.id, message: `${def.label} has no param "${name}"; remove it from the file.` });
  }

  // Valid wires, indexed by their target; bad ones are reported and left out.
  const incoming = new Map<string, GraphEdge[]>();
  const outgoing = new Map<string, GraphEdge[]>();
  for (const edge of doc.edges) {
    const fromDef = defs.get(edge.from.node);
    const toDef = defs.get(edge.to.node);
    if (!fromDef || !toDef) continue;
    const out = fromDef.outputs.find((p) => p.name === edge.from.port);
    const inp = toDef.inputs.find((p) => p.name === edge.to.port);
    if (!out) {
      diagnostics.push({ node: edge.from.node, port: edge.from.port, message: `${fromDef.label} has no output "${edge.from.port}"; its outputs are ${portList(fromDef.outputs)}.` });
      continue;
    }
    if (!inp) {
      diagnostics.push({ node: edge.to.node, port: edge.to.port, message: `${toDef.label} has no input "${edge.to.port}"; its inputs are ${portList(toDef.inputs)}.` });
      continue;
    }
    const kind = wireKindProblem(out, inp, toDef);
    if (kind) {
      diagnostics.push({ node: edge.to.node, port: edge.to.port, message: kind });
      continue;
    }
    const into = incoming.get(edge.to.node) ?? [];
    if (!inp.multiple && into.some((e) => e.to.port === inp.name)) {
      diagnostics.push({ node: edge.to.node, port: inp.name, message: `"${inp.label}" has more than one wire; keep one.` });
      continue;
    }
    into.push(edge);
    incoming.set(edge.to.node, into);
    const from = outgoing.get(edge.from.node);
    if (from) from.push(edge);
    else outgoing.set(edge.from.node, [edge]);
  }

  // Kahn's algorithm; whatever is left over sits on a cycle.
  const order: string[] = [];
  const indegree = new Map<string, number>();
  for (const id of defs.keys()) indegree.set(id, new Set((incoming.get(id) ?? []).map((e) => e.from.node)).size);
  const ready = [...defs.keys()].filter((id) => indegree.get(id) === 0);
  for (let head = 0; head < ready.length; head++) {
    const id = ready[head];
    order.push(id);
    for (const next of new Set((outgoing.get(id) ?? []).map((e) => e.to.node))) {
      const d = indegree.get(next)! - 1;
      indegree.set(next, d);
      if (d === 0) ready.push(next);
    }
  }
  if (order.length < defs.size) {
    const placed = new Set(order);
    for (const id of defs.keys())
      if (!placed.has(id)) diagnostics.push({ node: id, message: 'This node is on a cycle: its output flows back into its input. Delete one of the wires in the loop.' });
  }

  const nodes: Record<string, NodeAnalysis> = {};
  for (const id of order) {
    const def = defs.get(id)!;
    const inputs: Record<string, Shape> = {};
    let upstreamBroken = false;
    for (const e of incoming.get(id) ?? []) {
      const shape = nodes[e.from.node]?.outputs[e.from.port];
      if (!shape) upstreamBroken = true;
      else if (!(e.to.port in inputs)) inputs[e.to.port] = shape;
    }
    const result: NodeAnalysis = { inputs, outputs: {}, params: 0 };
    nodes[id] = result;
    // A node downstream of a problem stays quiet: the fix belongs upstream.
    if (upstreamBroken) continue;
    const params = resolved.get(id)!;
    const inferred = def.inferShape(inputs, params);
    if (!inferred.ok) {
      for (const p of inferred.problems) diagnostics.push({ node: id, ...(p.port ? { port: p.port } : {}), message: p.message, ...(p.fix ? { fix: p.fix } : {}) });
      continue;
    }
    result.outputs = inferred.outputs;
    result.params = def.paramCount(inputs, params);
  }

  if (doc.nodes.length && !doc.nodes.some((n) => n.type === 'objective'))
    diagnostics.push({ message: 'There is no Objective, so training has nothing to minimise; add one from the palette and wire the losses into it.' });

  return { order, nodes, parts: modelParts(doc, order, defs, incoming, outgoing, nodes), diagnostics };
}

/** The encoder is what feeds Sampling's inputs, the decoder what Sampling's output feeds; no Sampling: one model. */
function modelParts(
  doc: GraphDocument,
  order: string[],
  defs: Map<string, NodeDefinition>,
  incoming: Map<string, GraphEdge[]>,
  outgoing: Map<string, GraphEdge[]>,
  nodes: Record<string, NodeAnalysis>,
): ModelPart[] {
  const isLayer = (id: string) => defs.get(id)?.category === 'layer';
  const part = (name: PartName, members: Set<string>): ModelPart => {
    const ids = order.filter((id) => members.has(id) && isLayer(id));
    return { name, params: ids.reduce((sum, id) => sum + nodes[id].params, 0), nodes: ids };
  };
  const samplers = doc.nodes.filter((n) => n.type === 'sampling' && defs.has(n.id)).map((n) => n.id);
  if (!samplers.length) return [part('model', new Set(order))];
  const up = (id: string) => (incoming.get(id) ?? []).map((e) => e.from.node);
  const down = (id: string) => (outgoing.get(id) ?? []).map((e) => e.to.node);
  const encoder = reachable(samplers.flatMap(up), up);
  const decoder = reachable(samplers.flatMap(down), down);
  return [part('encoder', encoder), part('decoder', decoder)];
}
