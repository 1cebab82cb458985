// The Keras-style summary, shared by `cli summary` and anything else that prints one.
import { nodeType } from '../../nodes';
import type { Analysis } from '../graph/analyze';
import type { GraphDocument } from '../graph/document';
import { countText, quoted, safeText } from '../graph/describe';
import { formatBytes } from '../graph/memory';
import { formatDiagnostics } from './args';

export interface SummaryJson {
  /** params: trainable, nonTrainable: kept but not trained (as Keras splits them); null where a layer's count is unknown. */
  parts: { name: string; params: number | null; nonTrainable: number | null }[];
  nodes: { id: string; type: string; outputShapes: Record<string, (number | null)[]>; params: number | null; nonTrainable: number | null; memoryBytes: number | null }[];
  /** The training memory estimate in bytes (see src/graph/memory.ts), over the nodes whose shapes are known. */
  memory: { bytes: number; batchSize: number; unknownNodes: number };
  diagnostics: { node?: string; port?: string; message: string }[];
}

export function summaryJson(doc: GraphDocument, analysis: Analysis): SummaryJson {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  return {
    parts: analysis.parts.map((p) => ({ name: p.name, params: p.unknown ? null : p.params, nonTrainable: p.unknown ? null : p.nonTrainable })),
    nodes: analysis.order.map((id) => ({
      id,
      type: byId.get(id)!.type,
      outputShapes: Object.fromEntries(Object.entries(analysis.nodes[id].outputs).map(([port, s]) => [port, [null, ...s]])),
      params: analysis.nodes[id].known ? analysis.nodes[id].params : null,
      nonTrainable: analysis.nodes[id].known ? analysis.nodes[id].nonTrainable : null,
      memoryBytes: analysis.nodes[id].memory?.total ?? null,
    })),
    memory: { bytes: analysis.memory.total, batchSize: analysis.memory.batchSize, unknownNodes: analysis.memory.unknown },
    diagnostics: analysis.diagnostics,
  };
}

const kerasShape = (s: number[]) => (s.every((d) => Number.isSafeInteger(d) && d > 0) ? `(None${s.map((d) => `, ${d}`).join('')})` : '?');

export function summaryText(doc: GraphDocument, analysis: Analysis): string {
  const byId = new Map(doc.nodes.map((node) => [node.id, node]));
  const lines: string[] = [`Graph: ${quoted(doc.name)}`];
  const rule = (c: string) => c.repeat(86);
  for (const part of analysis.parts) {
    lines.push('', `Model: "${part.name}"`, rule('_'), `${'Layer (type)'.padEnd(34)}${'Output Shape'.padEnd(26)}${'Param #'.padEnd(16)}Memory`, rule('='));
    for (const id of part.nodes) {
      const node = byId.get(id)!;
      const def = nodeType(node.type)!;
      const info = analysis.nodes[id];
      const shapes = info.known ? Object.values(info.outputs).map(kerasShape).join(' ') : '?';
      // Keras's Param # counts a layer's trainable and non-trainable weights together.
      const params = info.known ? countText(info.params + info.nonTrainable) : '?';
      lines.push(`${`${safeText(node.label ?? id, 40)} (${def.label})`.padEnd(34)}${shapes.padEnd(26)}${`${params} `.padEnd(16)}${info.memory ? formatBytes(info.memory.total) : '?'}`);
    }
    const count = (n: number) => (part.unknown ? '?' : countText(n));
    lines.push(
      rule('='),
      `Total params: ${count(part.params + part.nonTrainable)}`,
      `Trainable params: ${count(part.params)}`,
      `Non-trainable params: ${count(part.nonTrainable)}`,
      rule('_'),
    );
  }
  const m = analysis.memory;
  lines.push(
    '',
    `Training memory at batch ${m.batchSize} (${doc.training.optimizer}): about ${formatBytes(m.total)}${m.unknown ? ` and more (${m.unknown} node(s) unknown)` : ''}`,
    '  weights, their gradients and optimizer state, and each layer\'s outputs and their gradients for the batch',
  );
  if (analysis.diagnostics.length) {
    lines.push('', 'Problems:');
    lines.push(formatDiagnostics(analysis.diagnostics));
  }
  return lines.join('\n');
}
