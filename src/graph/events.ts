// Graph edit events and the pure reducer that applies them: doc × event → doc.
// The store dispatches every edit through `reduce`; undo/redo keep the documents it returns.
// Pure and immutable: an event that changes nothing returns the very same document.
import { nodeType } from '../../nodes';
import { defaultParams } from '../../nodes/define';
import type { GraphDocument, GraphEdge, GraphFrame, GraphNode, GraphNote, ParamValue, TrainingSettings } from './document';

export type Position = [number, number];

export type GraphEvent =
  | { type: 'addNode'; node: GraphNode }
  | { type: 'removeNodes'; ids: string[] }
  | { type: 'connect'; edge: GraphEdge }
  | { type: 'disconnect'; edge: GraphEdge }
  | { type: 'moveNode'; id: string; position: Position }
  | { type: 'moveNodes'; positions: Record<string, Position> }
  | { type: 'setParam'; id: string; name: string; value: ParamValue }
  | { type: 'setLabel'; id: string; label: string | undefined }
  | { type: 'rename'; name: string }
  | { type: 'setTraining'; settings: Partial<TrainingSettings> }
  | { type: 'replaceDocument'; doc: GraphDocument }
  | { type: 'paste'; nodes: GraphNode[]; edges: GraphEdge[] }
  | { type: 'addFrame'; frame: GraphFrame }
  | { type: 'updateFrame'; id: string; title?: string; color?: string }
  | { type: 'removeFrame'; id: string }
  | { type: 'addNote'; note: GraphNote; frame?: string }
  | { type: 'setNoteText'; id: string; text: string }
  | { type: 'removeNote'; id: string }
  /** Several events as one edit (one undo step): rewiring gestures. Each applies to the result of the one before. */
  | { type: 'batch'; events: GraphEvent[] };

export const sameEdge = (a: GraphEdge, b: GraphEdge): boolean =>
  a.from.node === b.from.node && a.from.port === b.from.port && a.to.node === b.to.node && a.to.port === b.to.port;

/** A stable id for a wire, used as the Rete connection id. */
export const edgeId = (e: GraphEdge): string => `${e.from.node}.${e.from.port}->${e.to.node}.${e.to.port}`;

const samePosition = (a: Position, b: Position) => a[0] === b[0] && a[1] === b[1];

const sameValue = (a: ParamValue | undefined, b: ParamValue): boolean =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b;

function mapNode(doc: GraphDocument, id: string, f: (n: GraphNode) => GraphNode): GraphDocument {
  const i = doc.nodes.findIndex((n) => n.id === id);
  if (i < 0) return doc;
  const next = f(doc.nodes[i]);
  if (next === doc.nodes[i]) return doc;
  const nodes = doc.nodes.slice();
  nodes[i] = next;
  return { ...doc, nodes };
}

export function reduce(doc: GraphDocument, event: GraphEvent): GraphDocument {
  switch (event.type) {
    case 'addNode':
      if (doc.nodes.some((n) => n.id === event.node.id)) return doc;
      return { ...doc, nodes: [...doc.nodes, event.node] };
    case 'removeNodes': {
      const ids = new Set(event.ids);
      if (!doc.nodes.some((n) => ids.has(n.id))) return doc;
      return withoutMembers(
        {
          ...doc,
          nodes: doc.nodes.filter((n) => !ids.has(n.id)),
          edges: doc.edges.filter((e) => !ids.has(e.from.node) && !ids.has(e.to.node)),
        },
        ids,
      );
    }
    case 'connect': {
      const ids = new Set(doc.nodes.map((n) => n.id));
      if (!ids.has(event.edge.from.node) || !ids.has(event.edge.to.node)) return doc;
      if (doc.edges.some((e) => sameEdge(e, event.edge))) return doc;
      return { ...doc, edges: [...doc.edges, { from: { ...event.edge.from }, to: { ...event.edge.to } }] };
    }
    case 'disconnect': {
      const edges = doc.edges.filter((e) => !sameEdge(e, event.edge));
      return edges.length === doc.edges.length ? doc : { ...doc, edges };
    }
    case 'moveNode':
      return mapNode(doc, event.id, (n) => (samePosition(n.position, event.position) ? n : { ...n, position: [event.position[0], event.position[1]] }));
    case 'moveNodes': {
      // Nodes and notes alike (a frame moves both).
      let changed = false;
      const move = <T extends { id: string; position: Position }>(n: T): T => {
        const p = event.positions[n.id];
        if (!p || samePosition(n.position, p)) return n;
        changed = true;
        return { ...n, position: [p[0], p[1]] as Position };
      };
      const nodes = doc.nodes.map(move);
      const notes = doc.notes?.map(move);
      return changed ? { ...doc, nodes, ...(notes ? { notes } : {}) } : doc;
    }
    case 'setParam':
      return mapNode(doc, event.id, (n) =>
        sameValue(n.params[event.name], event.value) ? n : { ...n, params: { ...n.params, [event.name]: structuredClone(event.value) } },
      );
    case 'setLabel':
      return mapNode(doc, event.id, (n) => {
        const label = event.label?.trim() ? event.label : undefined;
        if (n.label === label) return n;
        const next: GraphNode = { ...n };
        if (label === undefined) delete next.label;
        else next.label = label;
        return next;
      });
    case 'rename':
      return doc.name === event.name ? doc : { ...doc, name: event.name };
    case 'setTraining':
      return { ...doc, training: { ...doc.training, ...event.settings } };
    case 'replaceDocument':
      return event.doc;
    case 'paste': {
      if (!event.nodes.length) return doc;
      const taken = new Set(doc.nodes.map((n) => n.id));
      if (event.nodes.some((n) => taken.has(n.id))) return doc;
      return { ...doc, nodes: [...doc.nodes, ...event.nodes], edges: [...doc.edges, ...event.edges] };
    }
    case 'addFrame': {
      const f = event.frame;
      const known = new Set([...doc.nodes.map((n) => n.id), ...(doc.notes ?? []).map((n) => n.id)]);
      const members = [...new Set(f.nodes)].filter((id) => known.has(id));
      if (!members.length || doc.frames?.some((x) => x.id === f.id)) return doc;
      // A node belongs to one frame at most: grouping takes it out of its old frame.
      const rest = withoutMembers(doc, new Set(members));
      return { ...rest, frames: [...(rest.frames ?? []), { id: f.id, title: f.title, color: f.color, nodes: members }] };
    }
    case 'updateFrame': {
      const frames = doc.frames ?? [];
      const i = frames.findIndex((f) => f.id === event.id);
      if (i < 0) return doc;
      const f = frames[i];
      const next = { ...f, ...(event.title !== undefined ? { title: event.title } : {}), ...(event.color !== undefined ? { color: event.color } : {}) };
      if (next.title === f.title && next.color === f.color) return doc;
      const copy = frames.slice();
      copy[i] = next;
      return { ...doc, frames: copy };
    }
    case 'removeFrame': {
      const frames = (doc.frames ?? []).filter((f) => f.id !== event.id);
      return frames.length === (doc.frames ?? []).length ? doc : { ...doc, frames };
    }
    case 'addNote':
      if (doc.nodes.some((n) => n.id === event.note.id) || doc.notes?.some((n) => n.id === event.note.id)) return doc;
      return {
        ...doc,
        notes: [...(doc.notes ?? []), { ...event.note, position: [event.note.position[0], event.note.position[1]] }],
        ...(doc.frames && event.frame ? { frames: doc.frames.map((f) => (f.id === event.frame ? { ...f, nodes: [...f.nodes, event.note.id] } : f)) } : {}),
      };
    case 'setNoteText': {
      const notes = doc.notes ?? [];
      const i = notes.findIndex((n) => n.id === event.id);
      if (i < 0 || notes[i].text === event.text) return doc;
      const copy = notes.slice();
      copy[i] = { ...notes[i], text: event.text };
      return { ...doc, notes: copy };
    }
    case 'removeNote': {
      const notes = (doc.notes ?? []).filter((n) => n.id !== event.id);
      if (notes.length === (doc.notes ?? []).length) return doc;
      return withoutMembers({ ...doc, notes }, new Set([event.id]));
    }
    case 'batch':
      return event.events.reduce(reduce, doc);
  }
}

/** The document with these ids taken out of every frame; a frame left empty goes too. */
function withoutMembers(doc: GraphDocument, ids: Set<string>): GraphDocument {
  if (!doc.frames?.some((f) => f.nodes.some((id) => ids.has(id)))) return doc;
  const frames = doc.frames
    .map((f) => (f.nodes.some((id) => ids.has(id)) ? { ...f, nodes: f.nodes.filter((id) => !ids.has(id)) } : f))
    .filter((f) => f.nodes.length > 0);
  return { ...doc, frames };
}

/** An id not yet used in the document: `dense1`, `dense2`, ... (`conv2d-transpose` → `conv2d_transpose1`). */
export function freshId(doc: GraphDocument, base: string, taken: Set<string> = new Set()): string {
  const stem = base.replace(/[^A-Za-z0-9_]/g, '_').replace(/\d+$/, '') || 'node';
  // Nodes, notes and frames share one id space (a frame lists nodes and notes).
  const used = new Set([...doc.nodes.map((n) => n.id), ...(doc.notes ?? []).map((n) => n.id), ...(doc.frames ?? []).map((f) => f.id), ...taken]);
  for (let i = 1; ; i++) if (!used.has(`${stem}${i}`)) return `${stem}${i}`;
}

/** A new node of a registered type with Keras's defaults, or null for an unknown type. */
export function createNode(doc: GraphDocument, type: string, position: Position): GraphNode | null {
  const def = nodeType(type);
  if (!def) return null;
  return { id: freshId(doc, type), type, params: defaultParams(def), position: [Math.round(position[0]), Math.round(position[1])] };
}

/** What copy puts on the clipboard: the chosen nodes and only the wires between them. */
export interface Clip {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export function copySelection(doc: GraphDocument, ids: readonly string[]): Clip {
  const chosen = new Set(ids);
  return {
    nodes: structuredClone(doc.nodes.filter((n) => chosen.has(n.id))),
    edges: structuredClone(doc.edges.filter((e) => chosen.has(e.from.node) && chosen.has(e.to.node))),
  };
}

/** A paste event for a clip: fresh ids, the internal wires renamed to match, positions shifted by `offset`. */
export function pasteEvent(doc: GraphDocument, clip: Clip, offset: Position): Extract<GraphEvent, { type: 'paste' }> {
  const rename = new Map<string, string>();
  const taken = new Set<string>();
  for (const n of clip.nodes) {
    const id = freshId(doc, n.id, taken);
    taken.add(id);
    rename.set(n.id, id);
  }
  const nodes = clip.nodes.map((n) => ({ ...structuredClone(n), id: rename.get(n.id)!, position: [n.position[0] + offset[0], n.position[1] + offset[1]] as Position }));
  const edges = clip.edges
    .filter((e) => rename.has(e.from.node) && rename.has(e.to.node))
    .map((e) => ({ from: { node: rename.get(e.from.node)!, port: e.from.port }, to: { node: rename.get(e.to.node)!, port: e.to.port } }));
  return { type: 'paste', nodes, edges };
}
