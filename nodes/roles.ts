// Finding nodes by what they declare they are (their role), never by their type string.
import type { GraphNode } from '../src/graph/document';
import type { NodeRole } from './define';
import { nodeType } from './index';

export type RoleKind = NodeRole['kind'];
export type RoleOf<K extends RoleKind> = Extract<NodeRole, { kind: K }>;

/** The role a node type declares, if any. */
export const roleOf = (type: string): NodeRole | undefined => nodeType(type)?.role;

/** Does a node of this type have this role? */
export const hasRole = (type: string, kind: RoleKind): boolean => roleOf(type)?.kind === kind;

/** The document's nodes with this role, in document order, each with its role's details. */
export function nodesWithRole<K extends RoleKind>(nodes: readonly GraphNode[], kind: K): { node: GraphNode; role: RoleOf<K> }[] {
  const out: { node: GraphNode; role: RoleOf<K> }[] = [];
  for (const node of nodes) {
    const role = roleOf(node.type);
    if (role?.kind === kind) out.push({ node, role: role as RoleOf<K> });
  }
  return out;
}
