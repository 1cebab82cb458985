// The Rete-side objects: a node and a wire of the view. They carry ids and sockets only;
// everything a node shows (params, shapes, diagnostics) is read from the graph store.
import { ClassicPreset, type GetSchemes } from 'rete';
import type { NodeDefinition } from '../../nodes/define';
import type { GraphEdge } from '../graph/document';
import { edgeId } from '../graph/events';
import { sockets } from './sockets';

/** A compact node's width (styles.css `.node`), in canvas units. */
export const NODE_WIDTH = 136;
/** A typical compact node's height, for a node not yet measured. */
export const NODE_HEIGHT = 90;

export class ViewNode extends ClassicPreset.Node {
  width = NODE_WIDTH;
  height = NODE_HEIGHT;
  readonly type: string;

  constructor(id: string, def: NodeDefinition) {
    super(def.label);
    this.id = id;
    this.type = def.type;
    def.inputs.forEach((p, index) => {
      // Every input accepts several wires as far as Rete is concerned, so that the connection
      // plugin never silently drops an existing wire: the graph's rules decide, with a message.
      const input = new ClassicPreset.Input(sockets[p.kind], p.label, true);
      input.index = index;
      this.addInput(p.name, input);
    });
    def.outputs.forEach((p, index) => {
      const output = new ClassicPreset.Output(sockets[p.kind], p.label, true);
      output.index = index;
      this.addOutput(p.name, output);
    });
  }
}

export class ViewConnection extends ClassicPreset.Connection<ViewNode, ViewNode> {
  constructor(source: ViewNode, sourceOutput: string, target: ViewNode, targetInput: string) {
    super(source, sourceOutput, target, targetInput);
  }
}

export type Schemes = GetSchemes<ViewNode, ViewConnection>;

export function viewConnection(edge: GraphEdge, source: ViewNode, target: ViewNode): ViewConnection {
  const c = new ViewConnection(source, edge.from.port, target, edge.to.port);
  c.id = edgeId(edge);
  return c;
}

export const connectionEdge = (c: { source: string; sourceOutput: string; target: string; targetInput: string }): GraphEdge => ({
  from: { node: c.source, port: c.sourceOutput },
  to: { node: c.target, port: c.targetInput },
});
