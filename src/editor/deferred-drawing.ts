// Big graphs: Rete mounts a Vue app for every node, socket and wire as it is added (≈ 4 ms a node),
// so a thousand-node graph took seconds to open. Above BIG_GRAPH nodes, a node far outside the view
// is not drawn until the view comes near it, and a wire only once one of its ends is drawn. A pipe
// ahead of the render plugin holds the 'render' signals back; the area keeps the element, and
// `area.update` sends the signal again when the node is due.
import type { AreaPlugin } from 'rete-area-plugin';
import type { Schemes } from './view-node';

/** Above this many nodes, nodes far off screen are drawn only when the view comes near them. */
export const BIG_GRAPH = 150;

type Rect = { x: number; y: number; width: number; height: number };

export interface DeferredDrawing {
  /** Draw the held-back nodes the view has come near, then their wires (call after the view moves). */
  drawNear(): void;
  /** Draw a node now, wherever it is (it is being selected or shown). */
  drawNow(id: string): Promise<void>;
  /** The node is gone. */
  forget(id: string): void;
  /** A wire is gone. */
  forgetWire(id: string): void;
}

/**
 * `nodeCount`: how many nodes the graph has; `place`: a node's rectangle in canvas units (from the
 * document: a node being added is still at (0, 0) in the view when it is drawn); `held`: called
 * for a node held back (so its size can be estimated).
 */
export function deferDrawing<E>(
  area: AreaPlugin<Schemes, E>,
  opts: { nodeCount: () => number; place: (id: string) => Rect | undefined; viewport: () => { width: number; height: number }; held: (id: string) => void },
): DeferredDrawing {
  const drawn = new Set<string>();
  const heldNodes = new Set<string>();
  const heldWires = new Map<string, { source: string; target: string }>();

  /** Is the node within a screen's width or height of the view? */
  function near(id: string): boolean {
    const r = opts.place(id);
    if (!r) return false;
    const { x, y, k } = area.area.transform;
    const { width, height } = opts.viewport();
    const left = -x / k - width / k;
    const top = -y / k - height / k;
    return r.x + r.width >= left && r.x <= left + (3 * width) / k && r.y + r.height >= top && r.y <= top + (3 * height) / k;
  }

  area.addPipe((context) => {
    const signal = context as { type: string; data?: { type?: string; payload?: { id: string; source?: string; target?: string } } };
    if (signal.type !== 'render' || !signal.data?.payload || opts.nodeCount() <= BIG_GRAPH) return context;
    const data = { type: signal.data.type, payload: signal.data.payload };
    if (data.type === 'node') {
      const id = data.payload.id;
      if (drawn.has(id) || near(id)) {
        drawn.add(id);
        heldNodes.delete(id);
        return context;
      }
      heldNodes.add(id);
      opts.held(id);
      return undefined;
    }
    if (data.type === 'connection' && data.payload.source && data.payload.target) {
      const { id, source, target } = data.payload;
      if (drawn.has(source) || drawn.has(target)) {
        heldWires.delete(id);
        return context;
      }
      heldWires.set(id, { source, target });
      return undefined;
    }
    return context;
  });

  async function draw(ids: string[]) {
    for (const id of ids) {
      drawn.add(id);
      heldNodes.delete(id);
      await area.update('node', id);
    }
    const now = new Set(ids);
    for (const [wire, ends] of [...heldWires])
      if (now.has(ends.source) || now.has(ends.target)) {
        heldWires.delete(wire);
        await area.update('connection', wire);
      }
  }

  let drawing = false;
  let again = false;
  function drawNear() {
    if (!heldNodes.size) return;
    if (drawing) {
      again = true;
      return;
    }
    drawing = true;
    requestAnimationFrame(async () => {
      try {
        await draw([...heldNodes].filter(near));
      } finally {
        drawing = false;
        if (again) {
          again = false;
          drawNear();
        }
      }
    });
  }

  return {
    drawNear,
    drawNow: (id) => (heldNodes.has(id) ? draw([id]) : Promise.resolve()),
    forget(id) {
      drawn.delete(id);
      heldNodes.delete(id);
    },
    forgetWire: (id) => void heldWires.delete(id),
  };
}
