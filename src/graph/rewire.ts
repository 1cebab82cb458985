// Rewiring gestures as single edits: each function returns one event (a batch where it takes
// several steps, so it undoes in one), or the reason it cannot be done. Pure, like the reducer.
import { nodeType } from '../../nodes';
import { defaultParams, type DatasetInfo, type NodeDefinition, type PortKind, type PortSpec, type ProblemFix } from '../../nodes/define';
import { connectionProblem } from './analyze';
import type { GraphDocument, GraphEdge, GraphNode, Shape } from './document';
import { createNode, reduce, sameEdge, type GraphEvent, type Position } from './events';

export type EditResult = { ok: true; event: GraphEvent } | { ok: false; problem: string };

const defOf = (doc: GraphDocument, id: string): NodeDefinition | undefined => {
  const n = doc.nodes.find((x) => x.id === id);
  return n ? nodeType(n.type) : undefined;
};
const inputSpec = (doc: GraphDocument, ref: { node: string; port: string }) => defOf(doc, ref.node)?.inputs.find((p) => p.name === ref.port);
const into = (doc: GraphDocument, ref: { node: string; port: string }) => doc.edges.filter((e) => e.to.node === ref.node && e.to.port === ref.port);

/** Apply events one after another and check each new wire against the graph as it is by then. */
function checked(doc: GraphDocument, events: GraphEvent[]): EditResult {
  let d = doc;
  for (const ev of events) {
    if (ev.type === 'connect') {
      const problem = connectionProblem(d, ev.edge);
      if (problem) return { ok: false, problem };
    }
    d = reduce(d, ev);
  }
  return { ok: true, event: events.length === 1 ? events[0] : { type: 'batch', events } };
}

/**
 * A new wire, replacing the one already in a single input (as ComfyUI and Blender do). `moving`: the
 * wire whose end the user dragged off an input, which the new one replaces.
 */
export function wireEdit(doc: GraphDocument, edge: GraphEdge, moving?: GraphEdge): EditResult {
  if (moving && sameEdge(moving, edge)) return { ok: false, problem: '' };
  const events: GraphEvent[] = [];
  if (moving) events.push({ type: 'disconnect', edge: moving });
  const spec = inputSpec(doc, edge.to);
  if (spec && !spec.multiple) for (const old of into(doc, edge.to)) if (!moving || !sameEdge(old, moving)) events.push({ type: 'disconnect', edge: old });
  events.push({ type: 'connect', edge });
  return checked(doc, events);
}

/** The first port of `ports` of this kind. */
const firstOfKind = (ports: PortSpec[], kind: PortKind) => ports.find((p) => p.kind === kind);

/** Put a node (already in the graph, with those ports free) on a wire: from → node → to. */
export function insertOnWire(doc: GraphDocument, nodeId: string, wire: GraphEdge): EditResult {
  const def = defOf(doc, nodeId);
  const fromSpec = defOf(doc, wire.from.node)?.outputs.find((p) => p.name === wire.from.port);
  const toSpec = inputSpec(doc, wire.to);
  if (!def || !fromSpec || !toSpec) return { ok: false, problem: 'That wire or node is not in the graph.' };
  if (wire.from.node === nodeId || wire.to.node === nodeId) return { ok: false, problem: '' };
  const inp = firstOfKind(def.inputs, fromSpec.kind);
  const out = firstOfKind(def.outputs, toSpec.kind);
  if (!inp || !out) return { ok: false, problem: `${def.label} has no ${fromSpec.kind} input and ${toSpec.kind} output to put on this wire.` };
  if (into(doc, { node: nodeId, port: inp.name }).length) return { ok: false, problem: `"${inp.label}" of ${def.label} already has a wire.` };
  return checked(doc, [
    { type: 'disconnect', edge: wire },
    { type: 'connect', edge: { from: wire.from, to: { node: nodeId, port: inp.name } } },
    { type: 'connect', edge: { from: { node: nodeId, port: out.name }, to: wire.to } },
  ]);
}

/**
 * Take a node out of the flow and join its neighbours: what fed its first input of a kind now feeds
 * what its first output of that kind fed. Its other wires go. The node stays in the graph.
 */
export function takeOut(doc: GraphDocument, nodeId: string): EditResult {
  const def = defOf(doc, nodeId);
  if (!def) return { ok: false, problem: 'No such node.' };
  const touching = doc.edges.filter((e) => e.from.node === nodeId || e.to.node === nodeId);
  if (!touching.length) return { ok: false, problem: '' };
  const events: GraphEvent[] = touching.map((edge) => ({ type: 'disconnect', edge }));
  for (const out of def.outputs) {
    const inp = firstOfKind(def.inputs, out.kind);
    if (!inp) continue;
    const sources = touching.filter((e) => e.to.node === nodeId && e.to.port === inp.name);
    const targets = touching.filter((e) => e.from.node === nodeId && e.from.port === out.name);
    for (const s of sources) for (const t of targets) events.push({ type: 'connect', edge: { from: s.from, to: t.to } });
  }
  return checked(doc, events);
}

/** Can a node of this type take a `kind` wire carrying `shape` (null: not known) into `port`? */
function accepts(def: NodeDefinition, port: PortSpec, shape: Shape | null, dataset: DatasetInfo): boolean {
  if (!shape) return true;
  const params = defaultParams(def);
  const shapes: Record<string, Shape> = { [port.name]: shape };
  // One wire per port, as the search would make it.
  const ctx = () => ({ wires: Object.fromEntries(Object.entries(shapes).map(([k, v]) => [k, [v]])), dataset });
  const first = def.inferShape(shapes, params, ctx());
  if (first.ok) return true;
  // Ports still unwired may be what it complains about; wire them the same (μ with log σ², target with prediction).
  if (first.problems.every((p) => p.port && p.port !== port.name)) return true;
  for (const other of def.inputs) if (other.kind === port.kind && !(other.name in shapes)) shapes[other.name] = shape;
  const second = def.inferShape(shapes, params, ctx());
  return second.ok || second.problems.every((p) => p.port && p.port !== port.name && !(p.port in shapes));
}

/** The node types a wire dragged off a port can go into, each with the port it would use. */
export function typesForWire(
  types: readonly NodeDefinition[],
  from: { side: 'output' | 'input'; kind: PortKind; shape: Shape | null },
  dataset: DatasetInfo,
): { def: NodeDefinition; port: string }[] {
  const out: { def: NodeDefinition; port: string }[] = [];
  for (const def of types) {
    if (from.side === 'output') {
      const port = def.inputs.find((p) => p.kind === from.kind && accepts(def, p, from.shape, dataset));
      if (port) out.push({ def, port: port.name });
    } else {
      const port = def.outputs.find((p) => p.kind === from.kind);
      if (port) out.push({ def, port: port.name });
    }
  }
  return out;
}

/** Add a node of `type` at `position`, wired to the port the wire was dragged from. */
export function addWired(doc: GraphDocument, type: string, position: Position, from: { node: string; port: string; side: 'output' | 'input' }, port: string): EditResult & { id?: string } {
  const node = createNode(doc, type, position);
  if (!node) return { ok: false, problem: `Unknown node type "${type}".` };
  const edge: GraphEdge = from.side === 'output' ? { from: { node: from.node, port: from.port }, to: { node: node.id, port } } : { from: { node: node.id, port }, to: { node: from.node, port: from.port } };
  const added = reduce(doc, { type: 'addNode', node });
  const wire = wireEdit(added, edge);
  if (!wire.ok) return wire;
  return { ok: true, event: { type: 'batch', events: [{ type: 'addNode', node }, wire.event] }, id: node.id };
}

/** The edit a diagnostic's one-click fix makes, on node `nodeId`. */
export function fixEdit(doc: GraphDocument, nodeId: string, port: string | undefined, fix: ProblemFix): EditResult {
  if ('insert' in fix) {
    const wire = port ? into(doc, { node: nodeId, port })[0] : undefined;
    const target = doc.nodes.find((n) => n.id === nodeId);
    const source = wire && doc.nodes.find((n) => n.id === wire.from.node);
    if (!wire || !target || !source) return { ok: false, problem: 'There is no wire to put it on.' };
    // Halfway along the wire, a little below, so it does not land on either end.
    const at: Position = [Math.round((source.position[0] + target.position[0]) / 2), Math.round(Math.max(source.position[1], target.position[1]) + 60)];
    const node = createNode(doc, fix.insert, at);
    if (!node) return { ok: false, problem: `Unknown node type "${fix.insert}".` };
    const added = reduce(doc, { type: 'addNode', node });
    const insert = insertOnWire(added, node.id, wire);
    if (!insert.ok) return insert;
    return { ok: true, event: { type: 'batch', events: [{ type: 'addNode', node }, insert.event] } };
  }
  const targetId = fix.set.port ? into(doc, { node: nodeId, port: fix.set.port })[0]?.from.node : nodeId;
  const target: GraphNode | undefined = doc.nodes.find((n) => n.id === targetId);
  if (!target || !nodeType(target.type)?.params[fix.set.name]) return { ok: false, problem: 'This fix does not apply to the node wired there.' };
  return { ok: true, event: { type: 'setParam', id: target.id, name: fix.set.name, value: fix.set.value } };
}

/** Whether a fix can be applied here (a "set units" fix needs a node with units upstream). */
export const fixApplies = (doc: GraphDocument, nodeId: string, port: string | undefined, fix: ProblemFix): boolean => fixEdit(doc, nodeId, port, fix).ok;
