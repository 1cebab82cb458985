// Where each socket is, for drawing wires: a replacement for rete-render-utils' DOMSocketPosition,
// which measured every socket as it appeared (a forced layout each: quadratic when a graph opens)
// and scanned every socket and every wire listener on each lookup and each node move.
// Here a socket's place in its node is measured once per node type (every node of a type lays its
// ports out alike: a fixed title, then one fixed-height row per port), in batches at the next
// frame; positions and listeners are indexed by node, and a node's move notifies only its own wires.
// Nodes off screen are then never laid out just to draw their wires (they use content-visibility).
import type { BaseSchemes, Scope } from 'rete';
import { BaseAreaPlugin, type AreaPlugin } from 'rete-area-plugin';

type Side = 'input' | 'output';
type Position = { x: number; y: number };
type OnChange = (p: Position) => void;

interface SocketEntry {
  nodeId: string;
  side: Side;
  key: string;
  element: HTMLElement;
  /** Centre relative to the node's corner, in canvas units; null until measured. */
  offset: Position | null;
}

/** The wire leaves a socket this far outside its centre, as Rete's classic preset draws it. */
const OUTSET = 12;

export class BatchedSocketPositions<S extends BaseSchemes> {
  private area: AreaPlugin<S, never> | null = null;
  private readonly byNode = new Map<string, Map<string, SocketEntry>>();
  private readonly byElement = new Map<Element, SocketEntry>();
  private readonly listeners = new Map<string, Set<{ side: Side; key: string; change: OnChange }>>();
  private readonly pending = new Set<SocketEntry>();
  private scheduled = false;
  /** Socket centres relative to the node's corner, by node type, side and port. */
  private readonly offsets = new Map<string, Position>();

  /** `typeOf`: a node's type, whose sockets all sit alike. */
  constructor(private readonly typeOf: (nodeId: string) => string | undefined) {}

  attach(scope: Scope<never, [unknown]>): void {
    if (this.area || !scope.hasParent()) return;
    // The scope is the render plugin's; the area plugin is above it.
    const area = scope.parentScope(BaseAreaPlugin) as unknown as AreaPlugin<S, never>;
    this.area = area;
    area.addPipe((context) => {
      const c = context as { type: string; data: { type?: string; id?: string; nodeId?: string; side?: Side; key?: string; element?: HTMLElement } };
      if (c.type === 'rendered' && c.data.type === 'socket' && c.data.element && c.data.nodeId && c.data.side && c.data.key) this.add(c.data.nodeId, c.data.side, c.data.key, c.data.element);
      else if (c.type === 'unmount' && c.data.element) this.remove(c.data.element);
      else if (c.type === 'nodetranslated' && c.data.id) this.notify(c.data.id);
      else if (c.type === 'noderesized' && c.data.id) this.remeasure(c.data.id);
      return context;
    });
  }

  /** Measure a node's sockets again. */
  remeasure(nodeId: string): void {
    for (const entry of this.byNode.get(nodeId)?.values() ?? []) {
      this.offsets.delete(this.typeKey(entry));
      entry.offset = null;
      this.pending.add(entry);
    }
    this.schedule();
  }

  private typeKey(e: SocketEntry) {
    return `${this.typeOf(e.nodeId) ?? `#${e.nodeId}`}|${e.side}|${e.key}`;
  }

  listen(nodeId: string, side: Side, key: string, change: OnChange): () => void {
    const l = { side, key, change };
    let set = this.listeners.get(nodeId);
    if (!set) this.listeners.set(nodeId, (set = new Set()));
    set.add(l);
    const p = this.position(nodeId, side, key);
    if (p) change(p);
    return () => {
      set!.delete(l);
      if (!set!.size) this.listeners.delete(nodeId);
    };
  }

  private add(nodeId: string, side: Side, key: string, element: HTMLElement) {
    const old = this.byElement.get(element);
    if (old) this.remove(element);
    const entry: SocketEntry = { nodeId, side, key, element, offset: null };
    entry.offset = this.offsets.get(this.typeKey(entry)) ?? null;
    let sockets = this.byNode.get(nodeId);
    if (!sockets) this.byNode.set(nodeId, (sockets = new Map()));
    sockets.set(`${side}:${key}`, entry);
    this.byElement.set(element, entry);
    if (entry.offset) this.notify(nodeId);
    else {
      this.pending.add(entry);
      this.schedule();
    }
  }

  private remove(element: Element) {
    const entry = this.byElement.get(element);
    if (!entry) return;
    this.byElement.delete(element);
    this.pending.delete(entry);
    const sockets = this.byNode.get(entry.nodeId);
    if (sockets?.get(`${entry.side}:${entry.key}`) === entry) sockets.delete(`${entry.side}:${entry.key}`);
    if (sockets && !sockets.size) this.byNode.delete(entry.nodeId);
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current task's DOM work (a graph opening adds many nodes in one go), before painting.
    requestAnimationFrame(() => this.flush());
  }

  private flush() {
    this.scheduled = false;
    const area = this.area;
    if (!area) return;
    const k = area.area.transform.k || 1;
    const nodes = new Set<string>();
    // All reads together: one layout for the whole batch.
    const measured: [SocketEntry, Position][] = [];
    const known = new Map<string, Position>();
    for (const entry of this.pending) {
      const type = this.typeKey(entry);
      const same = known.get(type) ?? this.offsets.get(type);
      if (same) {
        measured.push([entry, same]);
        continue;
      }
      const view = area.nodeViews.get(entry.nodeId);
      if (!view || !entry.element.isConnected) continue;
      const s = entry.element.getBoundingClientRect();
      const n = view.element.getBoundingClientRect();
      if (!s.width && !s.height) continue;
      const offset = { x: (s.left + s.width / 2 - n.left) / k + OUTSET * (entry.side === 'input' ? -1 : 1), y: (s.top + s.height / 2 - n.top) / k };
      known.set(type, offset);
      measured.push([entry, offset]);
    }
    this.pending.clear();
    const newTypes = [...known.keys()].filter((t) => !this.offsets.has(t));
    for (const [type, offset] of known) this.offsets.set(type, offset);
    // Nodes not drawn (far off screen in a big graph) take their type's offsets: their wires appear now.
    if (newTypes.length) for (const id of this.listeners.keys()) if (!this.byNode.has(id)) nodes.add(id);
    for (const [entry, offset] of measured) {
      entry.offset = offset;
      nodes.add(entry.nodeId);
    }
    for (const id of nodes) this.notify(id);
  }

  private position(nodeId: string, side: Side, key: string): Position | null {
    const entry = this.byNode.get(nodeId)?.get(`${side}:${key}`);
    const view = this.area?.nodeViews.get(nodeId);
    // A node not drawn yet has no socket elements; its type's offsets say where they will be.
    const offset = entry?.offset ?? this.offsets.get(`${this.typeOf(nodeId) ?? `#${nodeId}`}|${side}|${key}`);
    if (!offset || !view) return null;
    return { x: view.position.x + offset.x, y: view.position.y + offset.y };
  }

  private notify(nodeId: string) {
    const set = this.listeners.get(nodeId);
    if (!set) return;
    for (const l of set) {
      const p = this.position(nodeId, l.side, l.key);
      if (p) l.change(p);
    }
  }
}
