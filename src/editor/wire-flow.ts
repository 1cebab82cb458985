// How a wire is drawn with the mouse (replaces rete-connection-plugin's ClassicFlow):
//  - press on a socket and drag: a wire follows the pointer; release on a socket to wire it
//    (into an input that has one already, the new wire replaces it);
//  - press on an input that has a wire and drag: that wire's end comes along, to another input
//    (moved) or to empty canvas (removed);
//  - release on empty canvas with a new wire: the editor offers the node search;
//  - a click on a socket (release where it was pressed) changes nothing.
import type { BaseSchemes } from 'rete';
import { Flow, type Context, type PickParams, type SocketData } from 'rete-connection-plugin';
import type { GraphEdge } from '../graph/document';

export interface WireGestures {
  /** The wire already in this input, if any. */
  existing(input: { node: string; port: string }): GraphEdge | undefined;
  /** Released on another socket: make this wire (`moving`: the wire whose end was dragged). */
  wire(edge: GraphEdge, moving: GraphEdge | undefined): void;
  /** Released on no socket. */
  released(from: SocketData, moving: GraphEdge | undefined): void;
}

export class WireFlow<S extends BaseSchemes, K extends unknown[]> extends Flow<S, K> {
  private picked: SocketData | undefined;
  private pressed: SocketData | undefined;
  private moving: GraphEdge | undefined;

  constructor(private readonly gestures: WireGestures) {
    super();
  }

  getPickedSocket(): SocketData | undefined {
    return this.picked;
  }

  async pick({ socket, event }: PickParams, context: Context<S, K>): Promise<void> {
    if (event === 'down') {
      this.pressed = socket;
      this.moving = undefined;
      if (socket.side === 'input') {
        const wire = this.gestures.existing({ node: socket.nodeId, port: socket.key });
        const source = wire && [...context.socketsCache.values()].find((d) => d.nodeId === wire.from.node && d.side === 'output' && d.key === wire.from.port);
        if (wire && source) {
          // The pseudo wire is drawn from this wire's output, as if its end had been lifted.
          this.picked = source;
          this.moving = wire;
          return;
        }
      }
      this.picked = socket;
      return;
    }
    const { picked, pressed, moving } = this;
    this.reset();
    if (!picked || !pressed || socket.element === pressed.element) return;
    const end = moving ? pressed : picked;
    if (end.side === socket.side && !moving) return;
    const [out, inp] = picked.side === 'output' ? [picked, socket] : [socket, picked];
    if (out.side !== 'output' || inp.side !== 'input') return;
    this.gestures.wire({ from: { node: out.nodeId, port: out.key }, to: { node: inp.nodeId, port: inp.key } }, moving);
  }

  drop(): void {
    const { picked, moving } = this;
    this.reset();
    if (picked) this.gestures.released(picked, moving);
  }

  private reset() {
    this.picked = undefined;
    this.pressed = undefined;
    this.moving = undefined;
  }
}
