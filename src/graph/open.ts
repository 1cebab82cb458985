// Opening a graph file: parse, then refuse what the editor could not show
// (unknown node types, wires to ports a node does not have). Shape problems are fine:
// a graph being edited may be half-wired, and the canvas explains them.
import { nodeType } from '../../nodes';
import { allProblems } from './analyze';
import { quoted } from './describe';
import type { GraphDocument } from './document';
import { parse, parseText, type Diagnostic, type ParseResult } from './parse';

export function checkOpenable(doc: GraphDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  const types = new Map(doc.nodes.map((n) => [n.id, n.type]));
  for (const n of doc.nodes)
    if (!nodeType(n.type)) out.push({ node: n.id, message: `Node ${quoted(n.id)} has an unknown type ${quoted(n.type)}; this file was made for something else, or a newer Wirelab.` });
  doc.edges.forEach((e, i) => {
    const from = nodeType(types.get(e.from.node) ?? '');
    const to = nodeType(types.get(e.to.node) ?? '');
    if (from && !from.outputs.some((p) => p.name === e.from.port))
      out.push({ node: e.from.node, message: `edges[${i}]: ${from.label} has no output ${quoted(e.from.port)}.` });
    if (to && !to.inputs.some((p) => p.name === e.to.port)) out.push({ node: e.to.node, message: `edges[${i}]: ${to.label} has no input ${quoted(e.to.port)}.` });
  });
  return out;
}

/** A file that cannot open says everything wrong with it at once: structure, and the analysis of what did parse. */
function openable(result: ParseResult): ParseResult {
  if (!result.ok) return { ok: false, diagnostics: allProblems(result) };
  const problems = checkOpenable(result.doc);
  return problems.length ? { ok: false, diagnostics: allProblems({ ok: false, diagnostics: problems, partial: result.doc }) } : result;
}

/** JSON text → a document the editor can show, or what is wrong with it. */
export const openText = (text: string): ParseResult => openable(parseText(text));
export const openValue = (value: unknown): ParseResult => openable(parse(value));
