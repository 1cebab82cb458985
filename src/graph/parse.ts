// unknown → GraphDocument, or the list of what is wrong. Never throws on user data.
// Structural checks only; whether the graph makes sense (shapes, wiring) is analyze's job.
import type { ProblemFix } from '../../nodes/define';
import { DEFAULT_TRAINING, FRAME_COLORS, GRAPH_FORMAT, GRAPH_VERSION, TRAINING_LIMITS, type GraphDocument, type GraphEdge, type GraphFrame, type GraphNode, type GraphNote, type NumericSetting, type ParamValue, type TrainingSettings } from './document';
import { describeValue, oneLine, quoted, safeText } from './describe';

export interface Diagnostic {
  node?: string;
  port?: string;
  message: string;
  /** A one-click fix (see ProblemFix in nodes/define.ts). */
  fix?: ProblemFix;
}

/** One line per diagnostic, as the CLI prints it: `node <id>: <message>`, the id escaped and bounded. */
export const describeDiagnostic = (d: Diagnostic): string => oneLine(d.node ? `node ${safeText(d.node)}: ${d.message}` : d.message);

/**
 * A file with structural problems still yields `partial`: the document made of the parts that did
 * parse (malformed nodes and wires left out, training settings at their defaults), so that its
 * semantic problems can be reported in the same breath (see `allProblems` in analyze).
 */
export type ParseResult = { ok: true; doc: GraphDocument } | { ok: false; diagnostics: Diagnostic[]; partial?: GraphDocument };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isParamValue = (v: unknown): v is ParamValue =>
  typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
/** Names an object inherits (`__proto__`, `constructor`, ...): never an id, so no lookup can mistake one for a node. */
export const isReservedName = (name: string): boolean => name === '__proto__' || Object.hasOwn(Object.prototype, name);

/** Parse JSON text (a leading byte-order mark is fine), reporting a syntax error as a diagnostic. */
export function parseText(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    return { ok: false, diagnostics: [{ message: `The file is not valid JSON: ${safeText(String((e as Error).message), 200)}` }] };
  }
  return parse(value);
}

/** Why this "version" cannot be read, or null. */
function versionProblem(v: unknown): string | null {
  const readable = (n: number) => Number.isInteger(n) && n >= 1 && n <= GRAPH_VERSION;
  if (typeof v === 'number' && readable(v)) return null;
  const versions = `versions 1 to ${GRAPH_VERSION}`;
  if (v === undefined) return `"version" is missing; a Wirelab graph says "version": ${GRAPH_VERSION}.`;
  if (typeof v === 'string' && readable(Number(v))) return `"version" must be the number ${Number(v)}, not the text ${describeValue(v)}; remove the quotes (this Wirelab reads ${versions}).`;
  if (typeof v === 'number' && Number.isInteger(v) && v > GRAPH_VERSION) return `This graph is version ${v}, made by a newer Wirelab; this Wirelab reads ${versions}.`;
  return `"version" is ${describeValue(v)}; this Wirelab reads ${versions}, given as a number.`;
}

/**
 * The migration chain: MIGRATIONS[n] turns a version-n document into a version n+1 one, as plain
 * JSON, before it is checked. One small step per version, so every saved file keeps opening.
 */
type Json = Record<string, unknown>;

const MIGRATIONS: Record<number, (doc: Json) => Json> = {
  // 1 → 2: several wires may end at one port, in the order of `edges` (version 1 allowed that only
  // on the Objective, where order does not matter); `training.dataset` may be 'custom' with
  // `training.custom`; optional frames and notes. Nothing in a version-1 file changes meaning.
  1: (doc) => ({ ...doc, version: 2 }),
};

/** Brings an older document up to GRAPH_VERSION, or says why it cannot. */
export function migrate(value: Record<string, unknown>): { doc: Record<string, unknown> } | { problem: string } {
  const problem = versionProblem(value.version);
  if (problem) return { problem };
  let doc = value;
  while ((doc.version as number) < GRAPH_VERSION) doc = MIGRATIONS[doc.version as number](doc);
  return { doc };
}

export function parse(input: unknown): ParseResult {
  const out: Diagnostic[] = [];
  if (!isObject(input)) return { ok: false, diagnostics: [{ message: `A Wirelab graph is a JSON object; this file holds ${describeValue(input)}.` }] };
  if (input.format !== GRAPH_FORMAT) out.push({ message: `This is not a Wirelab graph: "format" must be "${GRAPH_FORMAT}", got ${describeValue(input.format)}.` });
  const migrated = migrate(input);
  if ('problem' in migrated) out.push({ message: migrated.problem });
  const value = 'doc' in migrated ? migrated.doc : input;
  const name = typeof value.name === 'string' ? value.name : 'Untitled';

  const nodes: GraphNode[] = [];
  const ids = new Set<string>();
  // Ids of nodes left out as malformed: wires to them are not reported again as dangling.
  const malformed = new Set<string>();
  if (!Array.isArray(value.nodes)) out.push({ message: `"nodes" must be a list of nodes, got ${describeValue(value.nodes)}.` });
  else
    value.nodes.forEach((n: unknown, i: number) => {
      if (!isObject(n) || typeof n.id !== 'string' || n.id === '' || typeof n.type !== 'string') {
        out.push({ message: `nodes[${i}] needs a string "id" and "type".` });
        if (isObject(n) && typeof n.id === 'string') malformed.add(n.id);
        return;
      }
      const id = n.id;
      if (isReservedName(id)) {
        out.push({ message: `nodes[${i}] has the id ${quoted(id)}, a name reserved by JavaScript; rename the node.` });
        malformed.add(id);
        return;
      }
      if (ids.has(id)) {
        out.push({ node: id, message: `Two nodes share the id ${quoted(id)}; ids must be unique.` });
        return;
      }
      ids.add(id);
      const problems = out.length;
      const params: Record<string, ParamValue> = {};
      if (n.params !== undefined && !isObject(n.params))
        out.push({ node: id, message: `"params" must be an object of named values${Array.isArray(n.params) ? ', not a list' : ''}, got ${describeValue(n.params)}.` });
      else
        for (const [k, v] of Object.entries(n.params ?? {})) {
          // defineProperty: a param named __proto__ stays a plain (reported) name, never the object's prototype.
          if (isParamValue(v)) Object.defineProperty(params, k, { value: v, enumerable: true, writable: true, configurable: true });
          else out.push({ node: id, message: `Param ${quoted(k)} must be a number, string, true/false or list of numbers, got ${describeValue(v)}.` });
        }
      if (out.length > problems) {
        malformed.add(id);
        return;
      }
      const pos = n.position;
      const position: [number, number] =
        Array.isArray(pos) && pos.length === 2 && pos.every((x) => typeof x === 'number' && Number.isFinite(x)) ? [pos[0], pos[1]] : [0, 0];
      const node: GraphNode = { id, type: n.type, params, position };
      if (typeof n.label === 'string') node.label = n.label;
      nodes.push(node);
    });

  const edges: GraphEdge[] = [];
  const isRef = (r: unknown): r is { node: string; port: string } => isObject(r) && typeof r.node === 'string' && typeof r.port === 'string';
  if (!Array.isArray(value.edges)) out.push({ message: `"edges" must be a list of wires, got ${describeValue(value.edges)}.` });
  else
    value.edges.forEach((e: unknown, i: number) => {
      if (!isObject(e) || !isRef(e.from) || !isRef(e.to)) {
        out.push({ message: `edges[${i}] needs "from" and "to", each {node, port}.` });
        return;
      }
      for (const end of [e.from, e.to])
        if (!ids.has(end.node) && !malformed.has(end.node)) out.push({ message: `edges[${i}] refers to a node ${quoted(end.node)} that does not exist.` });
      edges.push({ from: { node: e.from.node, port: e.from.port }, to: { node: e.to.node, port: e.to.port } });
    });

  const training = parseTraining(value.training, out);
  const notes = parseNotes(value.notes, ids, out);
  const frames = parseFrames(value.frames, ids, out);
  const doc: GraphDocument = { format: GRAPH_FORMAT, version: GRAPH_VERSION, name, nodes, edges, training };
  if (frames) doc.frames = frames;
  if (notes) doc.notes = notes;
  if (out.length) return { ok: false, diagnostics: out, partial: doc };
  return { ok: true, doc };
}

const isPosition = (p: unknown): p is [number, number] => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number' && Number.isFinite(x));

/** Notes share the id space of nodes (a frame lists both). Adds their ids to `ids`. */
function parseNotes(v: unknown, ids: Set<string>, out: Diagnostic[]): GraphNote[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    out.push({ message: `"notes" must be a list of notes, got ${describeValue(v)}.` });
    return undefined;
  }
  const notes: GraphNote[] = [];
  v.forEach((n: unknown, i: number) => {
    if (!isObject(n) || typeof n.id !== 'string' || n.id === '' || typeof n.text !== 'string' || !isPosition(n.position)) {
      out.push({ message: `notes[${i}] needs a string "id", a string "text" and a "position" [x, y].` });
      return;
    }
    if (ids.has(n.id)) out.push({ message: `notes[${i}]: the id ${quoted(n.id)} is already used by a node or note.` });
    ids.add(n.id);
    notes.push({ id: n.id, text: n.text, position: [n.position[0], n.position[1]] });
  });
  return notes;
}

const isColor = (c: unknown): c is string => typeof c === 'string' && ((FRAME_COLORS as readonly string[]).includes(c) || /^#[0-9a-fA-F]{6}$/.test(c));

function parseFrames(v: unknown, ids: Set<string>, out: Diagnostic[]): GraphFrame[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    out.push({ message: `"frames" must be a list of frames, got ${describeValue(v)}.` });
    return undefined;
  }
  const frames: GraphFrame[] = [];
  const member = new Map<string, string>();
  v.forEach((f: unknown, i: number) => {
    if (!isObject(f) || typeof f.id !== 'string' || f.id === '' || typeof f.title !== 'string' || !Array.isArray(f.nodes) || !f.nodes.every((x) => typeof x === 'string')) {
      out.push({ message: `frames[${i}] needs a string "id", a string "title" and "nodes", a list of node ids.` });
      return;
    }
    if (!isColor(f.color)) out.push({ message: `frames[${i}]: "color" must be one of ${FRAME_COLORS.join(', ')} or #rrggbb, got ${describeValue(f.color)}.` });
    // A member that is no node or note (deleted by hand in the file) is left out: a frame only draws a box.
    const members = (f.nodes as string[]).filter((id) => ids.has(id));
    for (const id of members) {
      const other = member.get(id);
      if (other !== undefined && other !== f.id) out.push({ message: `${quoted(id)} is in two frames; a node belongs to one frame at most.` });
      member.set(id, f.id);
    }
    frames.push({ id: f.id, title: f.title, color: isColor(f.color) ? f.color : 'gray', nodes: [...new Set(members)] });
  });
  return frames;
}

function parseTraining(t: unknown, out: Diagnostic[]): TrainingSettings {
  const s: TrainingSettings = { ...DEFAULT_TRAINING };
  if (t === undefined) return s;
  if (!isObject(t)) {
    out.push({ message: `"training" must be an object, got ${describeValue(t)}.` });
    return s;
  }
  for (const key of Object.keys(TRAINING_LIMITS) as NumericSetting[]) {
    const v = t[key];
    if (v === undefined) continue;
    const problem = settingProblem(key, v);
    if (problem) out.push({ message: problem });
    else s[key] = v as number;
  }
  if (t.optimizer !== undefined) {
    if (t.optimizer === 'rmsprop' || t.optimizer === 'adam' || t.optimizer === 'sgd') s.optimizer = t.optimizer;
    else out.push({ message: `training.optimizer must be rmsprop, adam or sgd, got ${describeValue(t.optimizer)}.` });
  }
  if (t.dataset !== undefined) {
    if (t.dataset === 'fashion-mnist' || t.dataset === 'mnist' || t.dataset === 'custom') s.dataset = t.dataset;
    else out.push({ message: `training.dataset must be fashion-mnist, mnist or custom, got ${describeValue(t.dataset)}.` });
  }
  if (t.custom !== undefined) {
    const c = t.custom;
    const shapeOk = isObject(c) && Array.isArray(c.shape) && c.shape.length === 3 && c.shape.every((d) => Number.isInteger(d) && (d as number) >= 1);
    if (isObject(c) && shapeOk && Array.isArray(c.classNames) && c.classNames.length > 0 && c.classNames.every((x) => typeof x === 'string'))
      s.custom = { name: typeof c.name === 'string' ? c.name.slice(0, 200) : 'own images', shape: c.shape as number[], classNames: c.classNames as string[] };
    else out.push({ message: 'training.custom must be {name, shape: [height, width, channels], classNames: [at least one name]}.' });
  }
  if (s.dataset === 'custom' && !s.custom) out.push({ message: 'training.dataset is custom but training.custom does not describe the images; open your images again.' });
  return s;
}

/** Why a value cannot be this training setting (out of its range, not a number), or null. */
export function settingProblem(key: NumericSetting, v: unknown, name = `training.${key}`): string | null {
  const { min, max, int } = TRAINING_LIMITS[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v)))
    return `${name} must be ${int ? 'a whole number' : 'a number'} from ${min} to ${max.toLocaleString('en-US')}, got ${describeValue(v)}.`;
  return null;
}
