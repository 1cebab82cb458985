// The Keras-style summary, shared by `cli summary` and anything else that prints one.
import { nodeType } from '../../nodes';
import type { Analysis } from '../graph/analyze';
import type { GraphDocument } from '../graph/document';
import { countText, quoted, safeText } from '../graph/describe';
import { formatDiagnostics } from './args';

export interface SummaryJson {
  /** params: null where a layer's count is unknown. */
  parts: { name: string; params: number | null }[];
  nodes: { id: string; type: string; outputShapes: Record<string, (number | null)[]>; params: number | null }[];
  diagnostics: { node?: string; port?: string; message: string }[];
}

export function summaryJson(doc: GraphDocument, analysis: Analysis): SummaryJson {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  return {
    parts: analysis.parts.map((p) => ({ name: p.name, params: p.unknown ? null : p.params })),
    nodes: analysis.order.map((id) => ({
      id,
      type: byId.get(id)!.type,
      outputShapes: Object.fromEntries(Object.entries(analysis.nodes[id].outputs).map(([port, s]) => [port, [null, ...s]])),
      params: analysis.nodes[id].known ? analysis.nodes[id].params : null,
    })),
    diagnostics: analysis.diagnostics,
  };
}

const kerasShape = (s: number[]) => (s.every((d) => Number.isSafeInteger(d) && d > 0) ? `(None${s.map((d) => `, ${d}`).join('')})` : '?');

export function summaryText(doc: GraphDocument, analysis: Analysis): string {
  const byId = new Map(doc.nodes.map((node) => [node.id, node]));
  const lines: string[] = [`Graph: ${quoted(doc.name)}`];
  const rule = (c: string) => c.repeat(72);
  for (const part of analysis.parts) {
    lines.push('', `Model: "${part.name}"`, rule('_'), `${'Layer (type)'.padEnd(34)}${'Output Shape'.padEnd(26)}Param #`, rule('='));
    for (const id of part.nodes) {
      const node = byId.get(id)!;
      const def = nodeType(node.type)!;
      const info = analysis.nodes[id];
      const shapes = info.known ? Object.values(info.outputs).map(kerasShape).join(' ') : '?';
      lines.push(`${`${safeText(node.label ?? id, 40)} (${def.label})`.padEnd(34)}${shapes.padEnd(26)}${info.known ? countText(info.params) : '?'}`);
    }
    lines.push(rule('='), `Total params: ${part.unknown ? '?' : countText(part.params)}`, rule('_'));
  }
  if (analysis.diagnostics.length) {
    lines.push('', 'Problems:');
    lines.push(formatDiagnostics(analysis.diagnostics));
  }
  return lines.join('\n');
}
