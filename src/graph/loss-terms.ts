// What training reports: each loss node the Objective needs, named by its label. Shared by the
// compiler (metrics, charts) and the exporters (the scripts print the same names).
import { nodeType } from '../../nodes';
import { nodesWithRole } from '../../nodes/roles';
import { upstreamOf, type Analysis, type Diagnostic } from './analyze';
import type { GraphDocument } from './document';

export interface LossTerm {
  nodeId: string;
  /** The node's label, as metrics and charts name the term. */
  label: string;
  /** The output port that carries it. */
  port: string;
}

/** Every loss node that feeds the Objective, in run order; a label used twice gets its node id. */
export function lossTerms(doc: GraphDocument, analysis: Analysis, objectiveId: string): LossTerm[] {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const needed = upstreamOf(doc, [objectiveId]);
  const labelOf = (id: string) => byId.get(id)!.label ?? nodeType(byId.get(id)!.type)!.label;
  const lossIds = analysis.order.filter((id) => needed.has(id) && nodeType(byId.get(id)!.type)!.outputs.some((o) => o.kind === 'loss'));
  const labels = lossIds.map(labelOf);
  const uses = new Map<string, number>();
  for (const l of labels) uses.set(l, (uses.get(l) ?? 0) + 1);
  return lossIds.map((nodeId, i) => ({
    nodeId,
    label: uses.get(labels[i])! > 1 ? `${labels[i]} (${nodeId})` : labels[i],
    port: nodeType(byId.get(nodeId)!.type)!.outputs.find((o) => o.kind === 'loss')!.name,
  }));
}

/** Diagnostics that stop training: those on nodes the Objective needs, and graph-wide ones. */
export function blockingDiagnostics(doc: GraphDocument, analysis: Analysis): Diagnostic[] {
  const needed = upstreamOf(doc, nodesWithRole(doc.nodes, 'objective').map((o) => o.node.id));
  const ids = new Set(doc.nodes.map((n) => n.id));
  return analysis.diagnostics.filter((d) => !d.node || needed.has(d.node) || !ids.has(d.node));
}
