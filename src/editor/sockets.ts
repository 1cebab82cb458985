// One socket per port kind. A wire joins sockets of the same kind; the graph's
// connectionProblem() gives the reason when it cannot, and the editor shows it.
import { ClassicPreset } from 'rete';
import type { PortKind } from '../../nodes/define';

export class KindSocket extends ClassicPreset.Socket {
  constructor(readonly kind: PortKind) {
    super(kind);
  }
  isCompatibleWith(other: KindSocket): boolean {
    return other.kind === this.kind;
  }
}

export const sockets: Record<PortKind, KindSocket> = {
  tensor: new KindSocket('tensor'),
  labels: new KindSocket('labels'),
  loss: new KindSocket('loss'),
};
