// The Keras-style summary, shared by `cli summary` and anything else that prints one.
import { nodeType } from '../../nodes';
import type { Analysis } from '../graph/analyze';
import type { GraphDocument } from '../graph/document';
import { describeDiagnostic } from '../graph/parse';

export interface SummaryJson {
  /** params: trainable, nonTrainable: kept but not trained (as Keras splits them). */
  parts: { name: string; params: number; nonTrainable: number }[];
  nodes: { id: string; type: string; outputShapes: Record<string, (number | null)[]>; params: number; nonTrainable: number }[];
  diagnostics: { node?: string; port?: string; message: string }[];
}

export function summaryJson(doc: GraphDocument, analysis: Analysis): SummaryJson {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  return {
    parts: analysis.parts.map((p) => ({ name: p.name, params: p.params, nonTrainable: p.nonTrainable })),
    nodes: analysis.order.map((id) => ({
      id,
      type: byId.get(id)!.type,
      outputShapes: Object.fromEntries(Object.entries(analysis.nodes[id].outputs).map(([port, s]) => [port, [null, ...s]])),
      params: analysis.nodes[id].params,
      nonTrainable: analysis.nodes[id].nonTrainable,
    })),
    diagnostics: analysis.diagnostics,
  };
}

const n = (x: number) => x.toLocaleString('en-US');
const kerasShape = (s: number[]) => `(None${s.map((d) => `, ${d}`).join('')})`;

export function summaryText(doc: GraphDocument, analysis: Analysis): string {
  const byId = new Map(doc.nodes.map((node) => [node.id, node]));
  const lines: string[] = [`Graph: "${doc.name}"`];
  const rule = (c: string) => c.repeat(72);
  for (const part of analysis.parts) {
    lines.push('', `Model: "${part.name}"`, rule('_'), `${'Layer (type)'.padEnd(34)}${'Output Shape'.padEnd(26)}Param #`, rule('='));
    for (const id of part.nodes) {
      const node = byId.get(id)!;
      const def = nodeType(node.type)!;
      const shapes = Object.values(analysis.nodes[id].outputs).map(kerasShape).join(' ');
      // Keras's Param # counts a layer's trainable and non-trainable weights together.
      lines.push(`${`${node.label ?? id} (${def.label})`.padEnd(34)}${shapes.padEnd(26)}${n(analysis.nodes[id].params + analysis.nodes[id].nonTrainable)}`);
    }
    lines.push(
      rule('='),
      `Total params: ${n(part.params + part.nonTrainable)}`,
      `Trainable params: ${n(part.params)}`,
      `Non-trainable params: ${n(part.nonTrainable)}`,
      rule('_'),
    );
  }
  if (analysis.diagnostics.length) {
    lines.push('', 'Problems:');
    for (const d of analysis.diagnostics) lines.push(describeDiagnostic(d));
  }
  return lines.join('\n');
}
