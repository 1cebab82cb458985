// unknown → GraphDocument, or the list of what is wrong. Never throws on user data.
// Structural checks only; whether the graph makes sense (shapes, wiring) is analyze's job.
import type { ProblemFix } from '../../nodes/define';
import { DEFAULT_TRAINING, FRAME_COLORS, GRAPH_FORMAT, GRAPH_VERSION, type GraphDocument, type GraphEdge, type GraphFrame, type GraphNode, type GraphNote, type ParamValue, type TrainingSettings } from './document';

export interface Diagnostic {
  node?: string;
  port?: string;
  message: string;
  /** A one-click fix (see ProblemFix in nodes/define.ts). */
  fix?: ProblemFix;
}

/** One line per diagnostic, as the CLI prints it: `node <id>: <message>`. */
export const describeDiagnostic = (d: Diagnostic): string => (d.node ? `node ${d.node}: ${d.message}` : d.message);

export type ParseResult = { ok: true; doc: GraphDocument } | { ok: false; diagnostics: Diagnostic[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isParamValue = (v: unknown): v is ParamValue =>
  typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));

/** Parse JSON text, reporting a syntax error as a diagnostic. */
export function parseText(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, diagnostics: [{ message: `The file is not valid JSON: ${(e as Error).message}` }] };
  }
  return parse(value);
}

type Json = Record<string, unknown>;

/**
 * Migrations: migrations[n] turns a version-n document into a version n+1 one, one small step each,
 * so that a file saved by any earlier Wirelab opens with the same meaning.
 */
const migrations: Record<number, (doc: Json) => Json> = {
  // Version 2 adds optional frames and notes; a version 1 graph is a version 2 graph without them.
  1: (doc) => ({ ...doc, version: 2 }),
};

/** The document brought up to GRAPH_VERSION, or unchanged when its version is unknown (parse then says so). */
export function migrate(doc: Json): Json {
  let d = doc;
  while (typeof d.version === 'number' && d.version < GRAPH_VERSION && migrations[d.version]) d = migrations[d.version](d);
  return d;
}

export function parse(input: unknown): ParseResult {
  const out: Diagnostic[] = [];
  if (!isObject(input)) return { ok: false, diagnostics: [{ message: 'A Wirelab graph is a JSON object; this file holds something else.' }] };
  if (input.format !== GRAPH_FORMAT)
    out.push({ message: `This is not a Wirelab graph: "format" must be "${GRAPH_FORMAT}", got ${JSON.stringify(input.format ?? null)}.` });
  const value = input.format === GRAPH_FORMAT ? migrate(input) : input;
  if (value.version !== GRAPH_VERSION)
    out.push({
      message:
        typeof value.version === 'number' && value.version > GRAPH_VERSION
          ? `Graph version ${value.version} was made by a newer Wirelab; this one reads versions 1 to ${GRAPH_VERSION}.`
          : `Graph version ${JSON.stringify(value.version ?? null)} is not supported; this Wirelab reads versions 1 to ${GRAPH_VERSION}.`,
    });
  const name = typeof value.name === 'string' ? value.name : 'Untitled';

  const nodes: GraphNode[] = [];
  const ids = new Set<string>();
  if (!Array.isArray(value.nodes)) out.push({ message: '"nodes" must be a list of nodes.' });
  else
    value.nodes.forEach((n: unknown, i: number) => {
      if (!isObject(n) || typeof n.id !== 'string' || n.id === '' || typeof n.type !== 'string') {
        out.push({ message: `nodes[${i}] needs a string "id" and "type".` });
        return;
      }
      if (ids.has(n.id)) out.push({ node: n.id, message: `Two nodes share the id "${n.id}"; ids must be unique.` });
      ids.add(n.id);
      const params: Record<string, ParamValue> = {};
      if (n.params !== undefined && !isObject(n.params)) out.push({ node: n.id, message: '"params" must be an object of named values, not a list.' });
      else
        for (const [k, v] of Object.entries(n.params ?? {})) {
          if (isParamValue(v)) params[k] = v;
          else out.push({ node: n.id, message: `Param "${k}" must be a number, string, true/false or list of numbers.` });
        }
      const pos = n.position;
      const position: [number, number] =
        Array.isArray(pos) && pos.length === 2 && pos.every((x) => typeof x === 'number' && Number.isFinite(x)) ? [pos[0], pos[1]] : [0, 0];
      const node: GraphNode = { id: n.id, type: n.type, params, position };
      if (typeof n.label === 'string') node.label = n.label;
      nodes.push(node);
    });

  const edges: GraphEdge[] = [];
  const isRef = (r: unknown): r is { node: string; port: string } => isObject(r) && typeof r.node === 'string' && typeof r.port === 'string';
  if (!Array.isArray(value.edges)) out.push({ message: '"edges" must be a list of wires.' });
  else
    value.edges.forEach((e: unknown, i: number) => {
      if (!isObject(e) || !isRef(e.from) || !isRef(e.to)) {
        out.push({ message: `edges[${i}] needs "from" and "to", each {node, port}.` });
        return;
      }
      for (const end of [e.from, e.to]) if (!ids.has(end.node)) out.push({ node: end.node, message: `edges[${i}] refers to a node "${end.node}" that does not exist.` });
      edges.push({ from: { node: e.from.node, port: e.from.port }, to: { node: e.to.node, port: e.to.port } });
    });

  const training = parseTraining(value.training, out);
  const notes = parseNotes(value.notes, ids, out);
  const frames = parseFrames(value.frames, ids, out);
  if (out.length) return { ok: false, diagnostics: out };
  const doc: GraphDocument = { format: GRAPH_FORMAT, version: GRAPH_VERSION, name, nodes, edges, training };
  if (frames) doc.frames = frames;
  if (notes) doc.notes = notes;
  return { ok: true, doc };
}

const isPosition = (p: unknown): p is [number, number] => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number' && Number.isFinite(x));

/** Notes share the id space of nodes (a frame lists both). Adds their ids to `ids`. */
function parseNotes(v: unknown, ids: Set<string>, out: Diagnostic[]): GraphNote[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    out.push({ message: '"notes" must be a list of notes.' });
    return undefined;
  }
  const notes: GraphNote[] = [];
  v.forEach((n: unknown, i: number) => {
    if (!isObject(n) || typeof n.id !== 'string' || n.id === '' || typeof n.text !== 'string' || !isPosition(n.position)) {
      out.push({ message: `notes[${i}] needs a string "id", a string "text" and a "position" [x, y].` });
      return;
    }
    if (ids.has(n.id)) out.push({ message: `notes[${i}]: the id "${n.id}" is already used by a node or note.` });
    ids.add(n.id);
    notes.push({ id: n.id, text: n.text, position: [n.position[0], n.position[1]] });
  });
  return notes;
}

const isColor = (c: unknown): c is string => typeof c === 'string' && ((FRAME_COLORS as readonly string[]).includes(c) || /^#[0-9a-fA-F]{6}$/.test(c));

function parseFrames(v: unknown, ids: Set<string>, out: Diagnostic[]): GraphFrame[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    out.push({ message: '"frames" must be a list of frames.' });
    return undefined;
  }
  const frames: GraphFrame[] = [];
  const member = new Map<string, string>();
  v.forEach((f: unknown, i: number) => {
    if (!isObject(f) || typeof f.id !== 'string' || f.id === '' || typeof f.title !== 'string' || !Array.isArray(f.nodes) || !f.nodes.every((x) => typeof x === 'string')) {
      out.push({ message: `frames[${i}] needs a string "id", a string "title" and "nodes", a list of node ids.` });
      return;
    }
    if (!isColor(f.color)) out.push({ message: `frames[${i}]: "color" must be one of ${FRAME_COLORS.join(', ')} or #rrggbb, got ${JSON.stringify(f.color ?? null)}.` });
    for (const id of f.nodes as string[]) {
      if (!ids.has(id)) out.push({ message: `frames[${i}] ("${f.title}") lists "${id}", which is no node or note.` });
      const other = member.get(id);
      if (other !== undefined && other !== f.id) out.push({ message: `"${id}" is in two frames; a node belongs to one frame at most.` });
      member.set(id, f.id);
    }
    frames.push({ id: f.id, title: f.title, color: isColor(f.color) ? f.color : 'gray', nodes: [...new Set(f.nodes as string[])] });
  });
  return frames;
}

function parseTraining(t: unknown, out: Diagnostic[]): TrainingSettings {
  const s: TrainingSettings = { ...DEFAULT_TRAINING };
  if (t === undefined) return s;
  if (!isObject(t)) {
    out.push({ message: '"training" must be an object.' });
    return s;
  }
  const num = (key: 'learningRate' | 'batchSize' | 'epochs' | 'seed' | 'limit', min: number, int: boolean) => {
    const v = t[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (int && !Number.isInteger(v)))
      out.push({ message: `training.${key} must be ${int ? 'a whole number' : 'a number'} ≥ ${min}, got ${JSON.stringify(v)}.` });
    else s[key] = v;
  };
  num('learningRate', 0, false);
  num('batchSize', 1, true);
  num('epochs', 1, true);
  num('seed', 0, true);
  num('limit', 0, true);
  if (t.optimizer !== undefined) {
    if (t.optimizer === 'rmsprop' || t.optimizer === 'adam' || t.optimizer === 'sgd') s.optimizer = t.optimizer;
    else out.push({ message: `training.optimizer must be rmsprop, adam or sgd, got ${JSON.stringify(t.optimizer)}.` });
  }
  if (t.dataset !== undefined) {
    if (t.dataset === 'fashion-mnist' || t.dataset === 'mnist') s.dataset = t.dataset;
    else out.push({ message: `training.dataset must be fashion-mnist or mnist, got ${JSON.stringify(t.dataset)}.` });
  }
  return s;
}
