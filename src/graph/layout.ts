// Arrange: a readable layout of a graph for a view of a given width. Pure geometry, no DOM:
// the editor passes the nodes' measured sizes and the width its canvas shows at a legible zoom.
//  - Each frame is laid out on its own, layered left to right (a node one column after its inputs),
//    its columns wrapping into bands below when they would pass the width.
//  - Frames (and the nodes in none, as one group) then fill rows of that width, in the order data flows.
//  - Given the view's size, it tries narrower widths too and keeps the layout the view shows whole at
//    the largest zoom: a model in rows that fits a laptop's screen rather than one long strip.
import type { GraphDocument, GraphFrame } from './document';
import type { Position } from './events';

export interface Size {
  width: number;
  height: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A frame's margin around its members, and the band its title sits in. The view draws frames with the same. */
export const FRAME_PAD = 16;
export const FRAME_HEADER = 42;
const COLUMN_GAP = 26;
const NODE_GAP = 20;
const BAND_GAP = 36;
const GROUP_GAP = 28;

export interface ArrangeOptions {
  /** The width, in canvas units, the layout should not pass (it may when one column is wider). */
  width: number;
  /**
   * The view's size in screen pixels (less its margins). Given, Arrange also tries narrower widths and
   * keeps the layout shown whole at the largest zoom (at most 1), the widest among equals.
   */
  view?: { width: number; height: number };
}

interface Group {
  frame?: GraphFrame;
  nodes: string[];
  notes: string[];
  rank: number;
}

/**
 * New positions for every node and note. `order` is a topological order of the nodes (analyze's);
 * nodes missing from it (on a cycle) come after, in document order.
 */
export function arrange(doc: GraphDocument, order: readonly string[], size: (id: string) => Size, opts: ArrangeOptions): Record<string, Position> {
  const rank = new Map<string, number>();
  for (const id of order) rank.set(id, rank.size);
  for (const n of doc.nodes) if (!rank.has(n.id)) rank.set(n.id, rank.size);
  const nodeIds = new Set(doc.nodes.map((n) => n.id));
  const noteIds = new Set((doc.notes ?? []).map((n) => n.id));

  const inputs = new Map<string, string[]>();
  for (const e of doc.edges) inputs.set(e.to.node, [...(inputs.get(e.to.node) ?? []), e.from.node]);
  // Depth: the longest path from a source. A group comes after the groups that feed its deepest node.
  const depth = new Map<string, number>();
  for (const id of [...rank.keys()]) {
    const ins = (inputs.get(id) ?? []).filter((p) => depth.has(p));
    depth.set(id, ins.length ? 1 + Math.max(...ins.map((p) => depth.get(p)!)) : 0);
  }
  const groupRank = (ids: string[]) => (ids.length ? Math.max(...ids.map((id) => depth.get(id)!)) : Infinity);

  const framed = new Set<string>();
  const groups: Group[] = [];
  for (const frame of doc.frames ?? []) {
    const nodes = frame.nodes.filter((id) => nodeIds.has(id) && !framed.has(id));
    const notes = frame.nodes.filter((id) => noteIds.has(id) && !framed.has(id));
    if (!nodes.length && !notes.length) continue;
    nodes.forEach((id) => framed.add(id));
    notes.forEach((id) => framed.add(id));
    nodes.sort((a, b) => rank.get(a)! - rank.get(b)!);
    groups.push({ frame, nodes, notes, rank: groupRank(nodes) });
  }
  const loose = doc.nodes.map((n) => n.id).filter((id) => !framed.has(id));
  loose.sort((a, b) => rank.get(a)! - rank.get(b)!);
  const looseNotes = [...noteIds].filter((id) => !framed.has(id));
  if (loose.length || looseNotes.length) groups.push({ nodes: loose, notes: looseNotes, rank: groupRank(loose) });
  // Stable: groups of the same rank keep the document's order.
  groups.sort((a, b) => a.rank - b.rank);

  const view = opts.view;
  const widest = pack(groups, inputs, size, opts.width);
  if (!view || view.width <= 0 || view.height <= 0) return widest.positions;
  const zoomOf = (p: Packed) => Math.min(1, view.width / Math.max(1, p.width), view.height / Math.max(1, p.height));
  // The zoom at which `width` fills the view's width: below it, a graph does not read whole, so it
  // keeps the widest layout (rows to scroll down through).
  const least = view.width / opts.width;
  let best = widest;
  let bestZoom = zoomOf(widest);
  // Narrower widths: those the view shows at zooms from `least` up to 100 %; the widest wins among equals.
  for (let k = least + 0.02; k <= 1; k += 0.02) {
    const packed = pack(groups, inputs, size, view.width / k);
    const zoom = zoomOf(packed);
    if (zoom > bestZoom + 1e-3) {
      best = packed;
      bestZoom = zoom;
    }
  }
  return (bestZoom >= least ? best : widest).positions;
}

interface Packed {
  positions: Record<string, Position>;
  width: number;
  height: number;
}

/** Groups in rows no wider than `width` (one group may be wider), each laid out for that width. */
function pack(groups: Group[], inputs: Map<string, string[]>, size: (id: string) => Size, width: number): Packed {
  const positions: Record<string, Position> = {};
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  let right = 0;
  for (const g of groups) {
    const pad = g.frame ? FRAME_PAD : 0;
    const header = g.frame ? FRAME_HEADER : 0;
    const inner = layoutGroup(g, inputs, size, Math.max(1, width - 2 * pad));
    const w = inner.width + 2 * pad;
    const h = inner.height + header + pad;
    if (x > 0 && x + w > width) {
      x = 0;
      y += rowHeight + GROUP_GAP;
      rowHeight = 0;
    }
    for (const [id, p] of Object.entries(inner.positions)) positions[id] = [Math.round(x + pad + p[0]), Math.round(y + header + p[1])];
    right = Math.max(right, x + w);
    x += w + GROUP_GAP;
    rowHeight = Math.max(rowHeight, h);
  }
  return { positions, width: right, height: y + rowHeight };
}

/**
 * One group: columns by layer, wrapped into as few bands as fit `width`, with the columns shared evenly
 * among them (4 + 3 rather than 6 + 1). Positions relative to the group's inner corner.
 */
function layoutGroup(g: Group, inputs: Map<string, string[]>, size: (id: string) => Size, width: number) {
  const members = new Set(g.nodes);
  const layer = new Map<string, number>();
  for (const id of g.nodes) {
    // Nodes come in topological order, so every input inside the group already has its layer.
    const within = (inputs.get(id) ?? []).filter((p) => members.has(p) && layer.has(p));
    layer.set(id, within.length ? 1 + Math.max(...within.map((p) => layer.get(p)!)) : 0);
  }
  let columns: string[][] = [];
  for (const id of g.nodes) (columns[layer.get(id)!] ??= []).push(id);
  columns = columns.filter((c) => c && c.length);
  // Nodes with no wires between them (a frame of plots) stand side by side, not in one tall column.
  if (columns.length === 1) columns = columns[0].map((id) => [id]);
  if (g.notes.length) columns.push([...g.notes]);
  if (!columns.length) return { positions: {}, width: 0, height: 0 };

  const columnWidth = (c: string[]) => Math.max(...c.map((id) => size(id).width));
  const bandWidth = (band: string[][]) => band.reduce((w, c) => w + columnWidth(c), 0) + COLUMN_GAP * (band.length - 1);
  let bands: string[][][] = [columns];
  for (let n = 2; n <= columns.length && bandWidth(bands.reduce((a, b) => (bandWidth(a) >= bandWidth(b) ? a : b))) > width; n++) {
    const per = Math.ceil(columns.length / n);
    bands = [];
    for (let i = 0; i < columns.length; i += per) bands.push(columns.slice(i, i + per));
  }

  const positions: Record<string, Position> = {};
  let bandY = 0;
  let maxWidth = 0;
  for (const band of bands) {
    const heights = band.map((c) => c.reduce((s, id) => s + size(id).height, 0) + NODE_GAP * (c.length - 1));
    const bandHeight = Math.max(...heights);
    let cx = 0;
    band.forEach((c, k) => {
      // A short column sits in the middle of the band, so a chain reads as a straight line.
      let cy = bandY + (bandHeight - heights[k]) / 2;
      for (const id of c) {
        positions[id] = [cx, cy];
        cy += size(id).height + NODE_GAP;
      }
      cx += columnWidth(c) + COLUMN_GAP;
    });
    maxWidth = Math.max(maxWidth, bandWidth(band));
    bandY += bandHeight + BAND_GAP;
  }
  return { positions, width: maxWidth, height: Math.max(0, bandY - BAND_GAP) };
}

/** The rectangle a frame is drawn with: its members' bounds, with the margin and the title band. Null when it has none. */
export function frameRect(frame: GraphFrame, box: (id: string) => Rect | undefined): Rect | null {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const id of frame.nodes) {
    const b = box(id);
    if (!b) continue;
    x0 = Math.min(x0, b.x);
    y0 = Math.min(y0, b.y);
    x1 = Math.max(x1, b.x + b.width);
    y1 = Math.max(y1, b.y + b.height);
  }
  if (x0 === Infinity) return null;
  return { x: x0 - FRAME_PAD, y: y0 - FRAME_HEADER, width: x1 - x0 + 2 * FRAME_PAD, height: y1 - y0 + FRAME_HEADER + FRAME_PAD };
}

/** The smallest rectangle around all the given ones. */
export function union(rects: Iterable<Rect>): Rect | null {
  let r: Rect | null = null;
  for (const b of rects) {
    if (!r) r = { ...b };
    else {
      const x1 = Math.max(r.x + r.width, b.x + b.width);
      const y1 = Math.max(r.y + r.height, b.y + b.height);
      r.x = Math.min(r.x, b.x);
      r.y = Math.min(r.y, b.y);
      r.width = x1 - r.x;
      r.height = y1 - r.y;
    }
  }
  return r;
}
