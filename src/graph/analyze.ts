// analyze(doc): the pure derivation of everything the canvas shows about a graph —
// the order to run it in, every output shape, parameter counts per node and per model part,
// and diagnostics that name the node and port and say how to fix the problem.
import { nodeType } from '../../nodes';
import { defaultParams, paramProblem, product, type NodeDefinition, type PortSpec } from '../../nodes/define';
import { hasRole } from '../../nodes/roles';
import { datasetInfo } from './datasets';
import { nodeMemory, type NodeMemory } from './memory';
import type { GraphDocument, GraphEdge, GraphNode, Params, Shape } from './document';
import { quoted } from './describe';
import type { Diagnostic, ParseResult } from './parse';

export type { Diagnostic } from './parse';

export interface NodeAnalysis {
  /** Shape of each connected input (first wire of a multi-input port). */
  inputs: Record<string, Shape>;
  /** Every wire's shape per input port, in the wires' order (their order in the document's edges). */
  wires: Record<string, Shape[]>;
  /** Shape of each output port; empty when the node has a problem or an upstream one. */
  outputs: Record<string, Shape>;
  /** Trainable parameters; 0 where `known` is false. */
  params: number;
  /** Parameters kept but not trained (BatchNormalization's moving mean and variance). */
  nonTrainable: number;
  /** False when a problem on this node or above it leaves its shapes and parameter count unknown. */
  known: boolean;
  /** What training it takes at the document's batch size and optimizer (see nodeMemory); absent where unknown. */
  memory?: NodeMemory;
}

export type PartName = 'encoder' | 'decoder' | 'model';
export interface ModelPart {
  name: PartName;
  /** Trainable parameters: the sum over the layers whose count is known. */
  params: number;
  nonTrainable: number;
  /** The layer nodes in it, in run order. */
  nodes: string[];
  /** How many of those have an unknown parameter count (a problem on or above them): the total is then unknown. */
  unknown: number;
}

export interface Analysis {
  /** Node ids in an order where every node comes after its inputs (nodes in a cycle are left out). */
  order: string[];
  nodes: Record<string, NodeAnalysis>;
  parts: ModelPart[];
  diagnostics: Diagnostic[];
  /** Training memory in bytes, summed over the nodes whose shapes are known, at `batchSize`. */
  memory: { total: number; batchSize: number; unknown: number };
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

const nodeName = (n: GraphNode, def: NodeDefinition) => (n.label !== undefined ? quoted(n.label) : `${def.label} ${quoted(n.id)}`);

/** Every node reachable from `starts` by following `next` (starts included). */
export function reachable(starts: string[], next: (id: string) => string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...starts];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    // One by one: spreading a node's wires into push() overflows the stack on a file with 260,000 of them.
    for (const n of next(id)) stack.push(n);
  }
  return seen;
}

/** The nodes that feed `starts`, directly or not (starts included). */
export function upstreamOf(doc: GraphDocument, starts: string[]): Set<string> {
  const into = new Map<string, string[]>();
  for (const e of doc.edges) listFor(into, e.to.node).push(e.from.node);
  return reachable(starts, (id) => into.get(id) ?? []);
}

/** The list kept under `key`, made on first use (no copying per item: big files stay linear). */
export function listFor<K, V>(map: Map<K, V[]>, key: K): V[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}

/** Does a path of wires lead from node a to node b? */
function reaches(doc: GraphDocument, a: string, b: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of doc.edges) listFor(next, e.from.node).push(e.to.node);
  return reachable([a], (id) => next.get(id) ?? []).has(b);
}

export function analyze(doc: GraphDocument): Analysis {
  const diagnostics: Diagnostic[] = [];
  const defs = new Map<string, NodeDefinition>();
  const resolved = new Map<string, Params>();
  // Nodes whose params were rejected: their shapes are never inferred (inferShape may assume valid params).
  const badParams = new Set<string>();

  for (const node of doc.nodes) {
    const def = nodeType(node.type);
    if (!def) {
      diagnostics.push({ node: node.id, message: `Unknown node type ${quoted(node.type)}; delete this node or replace it with one from the palette.` });
      continue;
    }
    defs.set(node.id, def);
    const params = resolveParams(def, node.params);
    resolved.set(node.id, params);
    for (const [name, spec] of Object.entries(def.params)) {
      const problem = paramProblem(name, spec, params[name]);
      if (problem) {
        diagnostics.push({ node: node.id, message: problem });
        badParams.add(node.id);
      }
    }
    for (const name of Object.keys(node.params))
      if (!Object.hasOwn(def.params, name)) diagnostics.push({ node: node.id, message: `${def.label} has no param ${quoted(name)}; remove it from the file.` });
  }

  const objectives = doc.nodes.filter((n) => hasRole(n.type, 'objective'));
  for (const extra of objectives.slice(1))
    diagnostics.push({ node: extra.id, message: 'A graph has one Objective and this is a second one; delete it, or wire its losses into the first.' });

  // Valid wires, indexed by their target; bad ones are reported and left out.
  const incoming = new Map<string, GraphEdge[]>();
  const outgoing = new Map<string, GraphEdge[]>();
  const wires = new Map<string, { edge: GraphEdge; label: string; count: number }>();
  for (const edge of doc.edges) {
    const fromDef = defs.get(edge.from.node);
    const toDef = defs.get(edge.to.node);
    if (!fromDef || !toDef) continue;
    const out = fromDef.outputs.find((p) => p.name === edge.from.port);
    const inp = toDef.inputs.find((p) => p.name === edge.to.port);
    if (!out) {
      diagnostics.push({ node: edge.from.node, port: edge.from.port, message: `${fromDef.label} has no output ${quoted(edge.from.port)}; its outputs are ${portList(fromDef.outputs)}.` });
      continue;
    }
    if (!inp) {
      diagnostics.push({ node: edge.to.node, port: edge.to.port, message: `${toDef.label} has no input ${quoted(edge.to.port)}; its inputs are ${portList(toDef.inputs)}.` });
      continue;
    }
    const kind = wireKindProblem(out, inp, toDef);
    if (kind) {
      diagnostics.push({ node: edge.to.node, port: edge.to.port, message: kind });
      continue;
    }
    // The same wire twice would count its value twice (a doubled loss): report it and keep one.
    const key = JSON.stringify([edge.from.node, out.name, edge.to.node, inp.name]);
    const seen = wires.get(key);
    if (seen) {
      seen.count++;
      continue;
    }
    wires.set(key, { edge, label: inp.label, count: 1 });
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

  for (const { edge, label, count } of wires.values())
    if (count > 1)
      diagnostics.push({ node: edge.to.node, port: edge.to.port, message: `The wire from ${quoted(edge.from.node)} into "${label}" is there ${count.toLocaleString('en-US')} times; keep one.` });

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
    // Left over: the nodes on a cycle and those downstream of one. Only the former are told; the fix is there.
    const placed = new Set(order);
    const left = [...defs.keys()].filter((id) => !placed.has(id));
    const next = (id: string) => [...new Set((outgoing.get(id) ?? []).map((e) => e.to.node))].filter((n) => !placed.has(n));
    for (const id of onCycles(left, next))
      diagnostics.push({ node: id, message: 'This node is on a cycle: its output flows back into its input. Delete one of the wires in the loop.' });
  }

  // No prototype: a node id can never meet an inherited name.
  const nodes: Record<string, NodeAnalysis> = Object.create(null) as Record<string, NodeAnalysis>;
  const dataset = datasetInfo(doc.training);
  const labels = new Map(doc.nodes.map((n) => [n.id, n.label ?? n.id]));
  for (const id of order) {
    const def = defs.get(id)!;
    const inputs: Record<string, Shape> = {};
    const wires: Record<string, Shape[]> = {};
    const from: Record<string, string[]> = {};
    let upstreamBroken = false;
    for (const e of incoming.get(id) ?? []) {
      const shape = nodes[e.from.node]?.outputs[e.from.port];
      if (!shape) upstreamBroken = true;
      else {
        if (!(e.to.port in inputs)) inputs[e.to.port] = shape;
        (wires[e.to.port] ??= []).push(shape);
        (from[e.to.port] ??= []).push(labels.get(e.from.node) ?? e.from.node);
      }
    }
    const result: NodeAnalysis = { inputs, wires, outputs: {}, params: 0, nonTrainable: 0, known: false };
    nodes[id] = result;
    // A node downstream of a problem stays quiet: the fix belongs upstream.
    if (upstreamBroken || badParams.has(id)) continue;
    const params = resolved.get(id)!;
    const inferred = def.inferShape(inputs, params, { wires, from, dataset });
    if (!inferred.ok) {
      for (const p of inferred.problems) diagnostics.push({ node: id, ...(p.port ? { port: p.port } : {}), message: p.message, ...(p.fix ? { fix: p.fix } : {}) });
      continue;
    }
    result.outputs = inferred.outputs;
    result.params = def.paramCount(inputs, params);
    result.nonTrainable = def.stateCount?.(inputs, params) ?? 0;
    result.known = true;
    const values = Object.values(inferred.outputs).reduce((sum, shape) => sum + product(shape), 0);
    result.memory = nodeMemory(result.params, values, doc.training.batchSize, doc.training.optimizer, result.nonTrainable);
  }
  const memory = { total: 0, batchSize: doc.training.batchSize, unknown: 0 };
  for (const id of order) {
    const m = nodes[id].memory;
    if (m) memory.total += m.total;
    else memory.unknown++;
  }

  if (doc.nodes.length && !objectives.length)
    diagnostics.push({ message: 'There is no Objective, so training has nothing to minimise; add one from the palette and wire the losses into it.' });

  return { order, nodes, parts: modelParts(doc, order, defs, incoming, outgoing, nodes), diagnostics, memory };
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
    const known = ids.filter((id) => nodes[id].known);
    const sum = (count: (id: string) => number) => known.reduce((total, id) => total + count(id), 0);
    return { name, params: sum((id) => nodes[id].params), nonTrainable: sum((id) => nodes[id].nonTrainable), nodes: ids, unknown: ids.length - known.length };
  };
  const samplers = doc.nodes.filter((n) => hasRole(n.type, 'latent-sampler') && defs.has(n.id)).map((n) => n.id);
  if (!samplers.length) return [part('model', new Set(order))];
  const up = (id: string) => (incoming.get(id) ?? []).map((e) => e.from.node);
  const down = (id: string) => (outgoing.get(id) ?? []).map((e) => e.to.node);
  const encoder = reachable(samplers.flatMap(up), up);
  const decoder = reachable(samplers.flatMap(down), down);
  return [part('encoder', encoder), part('decoder', decoder)];
}

/** The nodes on a cycle among `ids` (Tarjan's strongly connected groups of two or more, or a node wired to itself); iterative. */
function onCycles(ids: string[], next: (id: string) => string[]): Set<string> {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const result = new Set<string>();
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; edges: string[]; i: number }[] = [];
    const open = (id: string) => {
      index.set(id, index.size);
      low.set(id, index.get(id)!);
      stack.push(id);
      onStack.add(id);
      work.push({ id, edges: next(id), i: 0 });
    };
    open(root);
    while (work.length) {
      const top = work[work.length - 1];
      if (top.i < top.edges.length) {
        const w = top.edges[top.i++];
        if (!index.has(w)) open(w);
        else if (onStack.has(w)) low.set(top.id, Math.min(low.get(top.id)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].id;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.id)!));
      }
      if (low.get(top.id) !== index.get(top.id)) continue;
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== top.id);
      if (group.length > 1 || top.edges.includes(top.id)) for (const g of group) result.add(g);
    }
  }
  return result;
}

/**
 * Everything wrong with a parse result at once: the structural problems, and the analysis of the
 * parts that did parse (leaving out what wires from a malformed node would make its targets say).
 */
export function allProblems(result: ParseResult): Diagnostic[] {
  if (result.ok) return analyze(result.doc).diagnostics;
  if (!result.partial) return result.diagnostics;
  const doc = result.partial;
  const present = new Set(doc.nodes.map((n) => n.id));
  // Each node is told once: its structural problem, or else what the analysis found.
  const told = new Set(result.diagnostics.flatMap((d) => (d.node ? [d.node] : [])));
  // Nodes fed by a malformed one would only say they miss an input.
  const cutOff = new Set(doc.edges.filter((e) => !present.has(e.from.node) || told.has(e.from.node)).map((e) => e.to.node));
  const semantic = analyze({ ...doc, edges: doc.edges.filter((e) => present.has(e.from.node) && present.has(e.to.node)) }).diagnostics.filter(
    (d) => !d.node || (!cutOff.has(d.node) && !told.has(d.node)),
  );
  return [...result.diagnostics, ...semantic];
}
