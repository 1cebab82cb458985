// unknown → GraphDocument, or the list of what is wrong. Never throws on user data.
// Structural checks only; whether the graph makes sense (shapes, wiring) is analyze's job.
import { DEFAULT_TRAINING, GRAPH_FORMAT, GRAPH_VERSION, type GraphDocument, type GraphEdge, type GraphNode, type ParamValue, type TrainingSettings } from './document';

export interface Diagnostic {
  node?: string;
  port?: string;
  message: string;
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

/**
 * The migration chain: MIGRATIONS[n] turns a version-n document into a version n+1 one, as plain
 * JSON, before it is checked. One small step per version, so every saved file keeps opening.
 */
const MIGRATIONS: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>> = {
  // 1 → 2: several wires may end at one port, in the order of `edges` (version 1 allowed that only
  // on the Objective, where order does not matter); `training.dataset` may be 'custom' with
  // `training.custom`. Nothing in a version-1 file changes meaning.
  1: (doc) => ({ ...doc, version: 2 }),
};

/** Brings an older document up to GRAPH_VERSION, or says why it cannot. */
export function migrate(value: Record<string, unknown>): { doc: Record<string, unknown> } | { problem: string } {
  let doc = value;
  if (typeof doc.version !== 'number' || !Number.isInteger(doc.version) || doc.version < 1 || doc.version > GRAPH_VERSION)
    return { problem: `Graph version ${JSON.stringify(doc.version ?? null)} is not supported; this Wirelab reads versions 1 to ${GRAPH_VERSION}.` };
  while ((doc.version as number) < GRAPH_VERSION) doc = MIGRATIONS[doc.version as number](doc);
  return { doc };
}

export function parse(input: unknown): ParseResult {
  const out: Diagnostic[] = [];
  if (!isObject(input)) return { ok: false, diagnostics: [{ message: 'A Wirelab graph is a JSON object; this file holds something else.' }] };
  if (input.format !== GRAPH_FORMAT)
    out.push({ message: `This is not a Wirelab graph: "format" must be "${GRAPH_FORMAT}", got ${JSON.stringify(input.format ?? null)}.` });
  const migrated = migrate(input);
  if ('problem' in migrated) out.push({ message: migrated.problem });
  const value = 'doc' in migrated ? migrated.doc : input;
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
  if (out.length) return { ok: false, diagnostics: out };
  return { ok: true, doc: { format: GRAPH_FORMAT, version: GRAPH_VERSION, name, nodes, edges, training } };
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
    if (t.dataset === 'fashion-mnist' || t.dataset === 'mnist' || t.dataset === 'custom') s.dataset = t.dataset;
    else out.push({ message: `training.dataset must be fashion-mnist, mnist or custom, got ${JSON.stringify(t.dataset)}.` });
  }
  if (t.custom !== undefined) {
    const c = t.custom;
    const shapeOk = isObject(c) && Array.isArray(c.shape) && c.shape.length === 3 && c.shape.every((d) => Number.isInteger(d) && (d as number) >= 1);
    if (isObject(c) && shapeOk && Array.isArray(c.classNames) && c.classNames.length > 0 && c.classNames.every((x) => typeof x === 'string'))
      s.custom = { name: typeof c.name === 'string' ? c.name : 'own images', shape: c.shape as number[], classNames: c.classNames as string[] };
    else out.push({ message: 'training.custom must be {name, shape: [height, width, channels], classNames: [at least one name]}.' });
  }
  if (s.dataset === 'custom' && !s.custom) out.push({ message: 'training.dataset is custom but training.custom does not describe the images; open your images again.' });
  return s;
}
