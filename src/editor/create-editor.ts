// The Rete adapter. Rete is a view of the graph document:
//  - user gestures on the canvas (wire, unwire, drag) become store actions;
//  - the view is patched from the document by `sync`, which diffs the two.
// Wires are drawn by WireFlow (wire-flow.ts) and made by the store (rewire.ts: replace, move, insert,
// take out), which says why when one cannot be made; Rete only ever adds the wires the document has.
import type { Pinia } from 'pinia';
import { NodeEditor } from 'rete';
import { AreaExtensions, AreaPlugin } from 'rete-area-plugin';
import { ConnectionPlugin, type SocketData } from 'rete-connection-plugin';
import { ContextMenuPlugin, type ContextMenuExtra } from 'rete-context-menu-plugin';
import { Presets as VuePresets, VuePlugin, type VueArea2D } from 'rete-vue-plugin';
import { createApp, reactive, shallowRef, watch, type ShallowRef } from 'vue';
import { categories, nodeType, nodeTypes } from '../../nodes';
import type { GraphDocument, GraphEdge } from '../graph/document';
import { edgeId, sameEdge, type Position } from '../graph/events';
import { typesForWire } from '../graph/rewire';
import { datasetInfo } from '../graph/datasets';
import { arrange as arrangeLayout, frameRect, union, type Rect, type Size } from '../graph/layout';
import { useGraphStore } from '../stores/graphStore';
import { useLayoutStore, type ViewTransform } from '../stores/layoutStore';
import { useUiStore } from '../stores/uiStore';
import FramesLayer from './FramesLayer.vue';
import type { SearchOption } from './NodeSearch.vue';
import { deferDrawing } from './deferred-drawing';
import { BatchedSocketPositions } from './socket-positions';
import { WireFlow } from './wire-flow';
import WireView from './WireView.vue';
import NodeView from './NodeView.vue';
import SocketView from './SocketView.vue';
import { connectionEdge, NODE_HEIGHT, NODE_WIDTH, viewConnection, ViewNode, type Schemes } from './view-node';

type AreaExtra = VueArea2D<Schemes> | ContextMenuExtra;

/** The smallest zoom at which a node's title (15 px, styles.css `.node-label`) still reads at ≥ 11 px on screen. */
export const LEGIBLE_ZOOM = 0.75;
/** Room left around the graph when the view fits it, in screen pixels. */
const VIEW_MARGIN = 16;
const NOTE_WIDTH = 220;

/** The node search a wire released on empty canvas opens. */
export interface WireSearch {
  /** Where to show it, in client pixels, and where the node goes, in canvas units. */
  x: number;
  y: number;
  at: Position;
  from: { node: string; port: string; side: 'output' | 'input' };
  title: string;
  options: SearchOption[];
}

export interface EditorHandle {
  /** The open wire search, or null. */
  readonly wireSearch: ShallowRef<WireSearch | null>;
  /** Add the node a wire search offered, wired in; closes the search. */
  pickFromSearch(option: SearchOption): Promise<void>;
  /** Select these nodes and bring them to the middle of the view, at a legible zoom at least. */
  reveal(ids: readonly string[]): Promise<void>;
  /** Zoom to the selected nodes (all of them in view, at most 100 %). */
  zoomToSelection(): Promise<void>;
  /** Select one node, panning only when it is not wholly in view (keyboard navigation). */
  focusNode(id: string): Promise<void>;
  /** Close the open menu or search; false when none was open. */
  closeMenus(): boolean;
  /** Zoom and pan so the whole graph shows, however small. */
  zoomToFit(): Promise<void>;
  /** The view a graph opens with: all of it when it fits at a legible zoom, else its start (top left) at that zoom. */
  firstView(): Promise<void>;
  arrange(): Promise<void>;
  /** Measured node sizes, by id (reactive): the frames and the minimap draw with them. */
  readonly sizes: Readonly<Record<string, Size>>;
  /** Bumped (at most once a frame) when sizes change: for views that redraw all nodes at once. */
  readonly sizesRevision: ShallowRef<number>;
  /** Every node's, note's and frame's rectangle together, in canvas units. */
  contentBounds(): Rect | null;
  /** Canvas units → the container's size in pixels. */
  viewportSize(): { width: number; height: number };
  setView(t: ViewTransform): Promise<void>;
  /** Add a note at a canvas point, inside the frame under it if any. Returns its id. */
  addNote(p: Position): string;
  /** Area coordinates of the view's centre, less half a node, for click-to-add. */
  centre(): Position;
  /** Area coordinates of a client (mouse) point, for drops. */
  toArea(clientX: number, clientY: number): Position;
  select(ids: readonly string[]): Promise<void>;
  /** Resolves when the view shows the current document. */
  synced(): Promise<void>;
  destroy(): void;
}

const CATEGORY_TITLES: Record<(typeof categories)[number], string> = {
  data: 'Data',
  layer: 'Layers',
  latent: 'Latent',
  loss: 'Losses & metrics',
  output: 'Outputs',
};

export async function createEditor(container: HTMLElement, pinia: Pinia): Promise<EditorHandle> {
  const graph = useGraphStore(pinia);
  const ui = useUiStore(pinia);
  const layout = useLayoutStore(pinia);
  const sizes = reactive<Record<string, Size>>({});
  const sizesRevision = shallowRef(0);
  let revisionFrame = 0;
  const sizesChanged = () => {
    if (!revisionFrame) revisionFrame = requestAnimationFrame(() => {
      revisionFrame = 0;
      sizesRevision.value++;
    });
  };

  const editor = new NodeEditor<Schemes>();
  const area = new AreaPlugin<Schemes, AreaExtra>(container);
  const connection = new ConnectionPlugin<Schemes, AreaExtra>();
  const render = new VuePlugin<Schemes, AreaExtra>({ setup: (context) => createApp(context).use(pinia) });
  const selector = AreaExtensions.selector();
  const selectable = AreaExtensions.selectableNodes(area, selector, { accumulating: AreaExtensions.accumulateOnCtrl() });

  let menuPoint: Position = [0, 0];
  const contextMenu = new ContextMenuPlugin<Schemes>({
    items(context) {
      menuPoint = [area.area.pointer.x, area.area.pointer.y];
      if (context === 'root')
        return {
          searchBar: true,
          list: [
            { label: 'Note', key: 'note', handler: () => void addNote(menuPoint) },
            ...categories.map((cat) => ({
              label: CATEGORY_TITLES[cat],
              key: cat,
              handler: () => undefined,
              subitems: nodeTypes
                .filter((d) => d.category === cat)
                .map((d) => ({ label: d.label, key: d.type, handler: () => void addAt(d.type, menuPoint) })),
            })),
          ],
        };
      if (!(context instanceof ViewNode)) return { searchBar: false, list: [] };
      const targets = () => (ui.selection.includes(context.id) ? ui.selection : [context.id]);
      return {
        searchBar: false,
        list: [
          { label: 'Delete', key: 'delete', handler: () => void graph.removeNodes(targets()) },
          { label: 'Duplicate', key: 'duplicate', handler: () => void select(graph.duplicate(targets())) },
          { label: 'Group into a frame', key: 'frame', handler: () => void graph.groupIntoFrame(targets()) },
          {
            label: 'Take out of the flow (Alt+drag)',
            key: 'takeout',
            handler: () => {
              const problem = graph.takeOutOfFlow(context.id);
              if (problem) ui.notify('error', problem);
            },
          },
          ...(graph.doc.frames?.some((f) => f.nodes.includes(context.id))
            ? [{ label: 'Take out of its frame', key: 'unframe', handler: () => void graph.takeOutOfFrames(targets()) }]
            : []),
        ],
      };
    },
  });

  const socketPositions = new BatchedSocketPositions<Schemes>((id) => viewNodes.get(id)?.type);
  render.addPreset(
    VuePresets.classic.setup({
      socketPositionWatcher: socketPositions,
      customize: {
        node: () => NodeView,
        socket: () => SocketView,
        connection: () => WireView,
      },
    }),
  );
  render.addPreset(VuePresets.contextMenu.setup({ delay: 300 }));
  const wireSearch = shallowRef<WireSearch | null>(null);
  connection.addPreset(
    () =>
      new WireFlow<Schemes, never[]>({
        existing: (input) => docNow().edges.find((e) => e.to.node === input.node && e.to.port === input.port),
        wire(edge, moving) {
          const problem = graph.wire(edge, moving);
          if (problem) ui.notify('error', problem);
        },
        released(from, moving) {
          if (moving) {
            if (graph.disconnect(moving)) ui.notify('info', 'Wire removed. Ctrl+Z puts it back.');
            return;
          }
          openWireSearch(from);
        },
      }),
  );

  // Big graphs: nodes far from the view are drawn when it comes near (deferred-drawing.ts). Its pipe
  // must run before the render plugin's, so it is added before the plugins.
  const deferred = deferDrawing(area, {
    nodeCount: () => docNow().nodes.length,
    place(id) {
      const n = graph.nodeById.get(id);
      return n && { x: n.position[0], y: n.position[1], ...(sizes[id] ?? estimateSize(id)) };
    },
    viewport: () => viewportSize(),
    held(id) {
      if (sizes[id]) return;
      sizes[id] = estimateSize(id);
      sizesChanged();
    },
  });

  editor.use(area);
  area.use(connection);
  area.use(render);
  area.use(contextMenu);
  AreaExtensions.simpleNodesOrder(area);

  const docNow = (): GraphDocument => graph.doc;

  // --- view → store -------------------------------------------------------
  /** Nodes the sync is creating: their views start at (0, 0) before they reach their place, which is no user's move. */
  const placing = new Set<string>();
  editor.addPipe((context) => {
    if (context.type === 'connectioncreate') {
      // Only the sync adds wires, those the document has; gestures go through the store (WireFlow).
      const edge = connectionEdge(context.data);
      return docNow().edges.some((e) => sameEdge(e, edge)) ? context : undefined;
    }
    return context;
  });

  // A node drag: Alt held at the press takes the node out of the flow; a drop on a wire puts it there.
  let dragged: { id: string; alt: boolean; moved: boolean } | null = null;
  let altAtPress = false;
  const onPress = (e: PointerEvent) => {
    altAtPress = e.altKey;
  };
  container.addEventListener('pointerdown', onPress, { capture: true });
  area.addPipe((context) => {
    if (context.type === 'pointerdown') ui.selectWire(null);
    if (context.type === 'nodepicked') dragged = { id: context.data.id, alt: altAtPress, moved: false };
    if (context.type === 'nodetranslated' && !placing.has(context.data.id)) {
      const node = docNow().nodes.find((n) => n.id === context.data.id);
      const p = context.data.position;
      if (node && (Math.abs(node.position[0] - p.x) > 0.5 || Math.abs(node.position[1] - p.y) > 0.5)) {
        graph.moveNode(node.id, [Math.round(p.x), Math.round(p.y)], 'drag');
        if (dragged?.id === node.id) dragged.moved = true;
      }
    }
    if (context.type === 'nodedragged') {
      if (dragged?.moved) afterDrag(dragged.id, dragged.alt);
      dragged = null;
      graph.endGesture();
      // Rete never un-picks a node: left picked, any later move of it (by a frame, undo or the keys)
      // would drag the whole selection along.
      selector.release();
    }
    if (context.type === 'nodepicked' || context.type === 'pointerup') queueMicrotask(readSelection);
    if (context.type === 'rendered' && context.data.type === 'node') observe(context.data.payload.id);
    if (context.type === 'zoomed' || context.type === 'translated') {
      layout.setView(area.area.transform);
      deferred.drawNear();
    }
    return context;
  });

  /** The wire under a client point, if any (not one of `nodeId`'s own). */
  function wireAt(clientX: number, clientY: number, nodeId: string): GraphEdge | undefined {
    const byId = new Map(docNow().edges.map((e) => [edgeId(e), e]));
    for (const el of document.elementsFromPoint(clientX, clientY)) {
      const id = el.closest('[data-wire-id]')?.getAttribute('data-wire-id');
      const edge = id ? byId.get(id) : undefined;
      if (edge && edge.from.node !== nodeId && edge.to.node !== nodeId) return edge;
    }
    return undefined;
  }

  function afterDrag(id: string, alt: boolean) {
    // Part of the drag's undo step (same gesture key), so one Ctrl+Z undoes the move and the rewiring.
    if (alt) {
      const problem = graph.takeOutOfFlow(id, 'drag');
      if (problem) ui.notify('error', problem);
      return;
    }
    const rect = container.getBoundingClientRect();
    const { x, y, k } = area.area.transform;
    const px = rect.left + x + area.area.pointer.x * k;
    const py = rect.top + y + area.area.pointer.y * k;
    const wire = wireAt(px, py, id);
    if (!wire) return;
    const free = !docNow().edges.some((e) => e.from.node === id || e.to.node === id);
    if (!free) return;
    const problem = graph.insertNodeOnWire(id, wire, 'drag');
    if (problem) ui.notify('error', problem);
  }

  function openWireSearch(from: SocketData) {
    const side = from.side;
    const def = nodeType(docNow().nodes.find((n) => n.id === from.nodeId)?.type ?? '');
    const port = (side === 'output' ? def?.outputs : def?.inputs)?.find((p) => p.name === from.key);
    if (!def || !port) return;
    const shape = side === 'output' ? graph.analysis.nodes[from.nodeId]?.outputs[from.key] ?? null : null;
    const options = typesForWire(nodeTypes, { side, kind: port.kind, shape }, datasetInfo(docNow().training));
    const rect = container.getBoundingClientRect();
    const { x, y, k } = area.area.transform;
    const at: Position = [area.area.pointer.x, area.area.pointer.y];
    const shapeText = shape ? ` ${shape.length ? shape.join('×') : 'scalar'}` : '';
    wireSearch.value = {
      x: rect.left + x + at[0] * k,
      y: rect.top + y + at[1] * k,
      at: side === 'output' ? [at[0], at[1] - 20] : [at[0] - NODE_WIDTH, at[1] - 20],
      from: { node: from.nodeId, port: from.key, side },
      title: side === 'output' ? `Takes ${port.kind}${shapeText} from ${def.label} "${from.nodeId}"` : `Feeds ${port.kind} into ${def.label} "${from.nodeId}"`,
      options,
    };
  }

  async function pickFromSearch(option: SearchOption) {
    const s = wireSearch.value;
    wireSearch.value = null;
    if (!s) return;
    const r = graph.addNodeWired(option.def.type, s.at, s.from, option.port);
    if ('problem' in r) ui.notify('error', r.problem);
    else await select([r.id]);
  }

  function readSelection() {
    const ids = [...selector.entities.values()].filter((e) => e.label === 'node').map((e) => e.id);
    ui.setSelection(ids.filter((id) => viewNodes.has(id)));
  }

  // Node sizes come from a ResizeObserver: batched, and without forcing a layout per node drawn.
  const observed = new Map<Element, string>();
  const resizes = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const id = observed.get(entry.target);
      const box = entry.borderBoxSize?.[0];
      if (!id || !box || !box.inlineSize) continue;
      const size = { width: Math.round(box.inlineSize), height: Math.round(box.blockSize) };
      const node = viewNodes.get(id);
      if (node) {
        node.width = size.width;
        node.height = size.height;
      }
      const old = sizes[id];
      if (!old || old.width !== size.width || old.height !== size.height) {
        sizes[id] = size;
        sizesChanged();
      }
    }
  });
  function observe(id: string) {
    const el = area.nodeViews.get(id)?.element.firstElementChild;
    if (!el || observed.has(el)) return;
    for (const [other, otherId] of observed) if (otherId === id) {
      resizes.unobserve(other);
      observed.delete(other);
    }
    observed.set(el, id);
    resizes.observe(el);
  }
  function forget(id: string) {
    deferred.forget(id);
    for (const [el, otherId] of observed) if (otherId === id) {
      resizes.unobserve(el);
      observed.delete(el);
    }
    delete sizes[id];
  }
  /** Sizes of the nodes not yet observed (just added), read once, so a layout right after an edit is right. */
  function measureMissing() {
    for (const n of editor.getNodes()) {
      if (sizes[n.id]) continue;
      const el = area.nodeViews.get(n.id)?.element.firstElementChild;
      if (el instanceof HTMLElement && el.offsetWidth) sizes[n.id] = { width: el.offsetWidth, height: el.offsetHeight };
    }
  }

  // Frames and notes: a layer under the nodes, inside the area's moving content.
  const framesHost = document.createElement('div');
  framesHost.className = 'frames-host';
  area.area.content.holder.prepend(framesHost);
  const framesApp = createApp(FramesLayer, { sizes, noteWidth: NOTE_WIDTH }).use(pinia);
  framesApp.mount(framesHost);

  // --- store → view -------------------------------------------------------
  // What the view shows, to patch only what changed: Rete's own lookups scan every node.
  const viewNodes = new Map<string, ViewNode>();
  const viewWires = new Set<string>();
  let shown: GraphDocument | null = null;

  async function sync(doc: GraphDocument) {
    const prev = shown;
    shown = doc;
    // A document replaced by an equal one (an edit refused) redraws everything; otherwise only
    // the nodes whose objects changed (the reducer keeps the others) and the wires, if they changed.
    const full = !prev || (prev !== doc && prev.nodes === doc.nodes && prev.edges === doc.edges);
    const edgesChanged = full || prev.edges !== doc.edges;
    const nodesChanged = full || prev.nodes !== doc.nodes;
    const wanted = edgesChanged || nodesChanged ? new Map(doc.edges.map((e) => [edgeId(e), e])) : null;
    if (wanted)
      for (const id of [...viewWires])
        if (!wanted.has(id)) {
          viewWires.delete(id);
          await editor.removeConnection(id);
        }
    if (nodesChanged) {
      const ids = new Set(doc.nodes.map((n) => n.id));
      for (const id of [...viewNodes.keys()])
        if (!ids.has(id)) {
          await selector.remove({ label: 'node', id });
          forget(id);
          viewNodes.delete(id);
          await editor.removeNode(id);
        }
      const before = full || !prev ? null : new Map(prev.nodes.map((n) => [n.id, n]));
      for (const n of doc.nodes) {
        if (before?.get(n.id) === n && viewNodes.has(n.id)) continue;
        if (!viewNodes.has(n.id)) {
          const def = nodeType(n.type);
          if (!def) continue;
          const view = new ViewNode(n.id, def);
          placing.add(n.id);
          try {
            await editor.addNode(view);
            viewNodes.set(n.id, view);
            await area.translate(n.id, { x: n.position[0], y: n.position[1] });
          } finally {
            placing.delete(n.id);
          }
          continue;
        }
        const at = area.nodeViews.get(n.id)?.position;
        if (at && (Math.abs(at.x - n.position[0]) > 0.5 || Math.abs(at.y - n.position[1]) > 0.5))
          await area.translate(n.id, { x: n.position[0], y: n.position[1] });
      }
    }
    if (wanted)
      for (const [id, e] of wanted) {
        if (viewWires.has(id)) continue;
        const source = viewNodes.get(e.from.node);
        const target = viewNodes.get(e.to.node);
        if (!source?.outputs[e.from.port] || !target?.inputs[e.to.port]) continue;
        viewWires.add(id);
        await editor.addConnection(viewConnection(e, source, target));
      }
    readSelection();
    deferred.drawNear();
  }

  let running: Promise<void> | null = null;
  let again = false;
  function requestSync(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await sync(docNow());
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  }

  const stop = watch(() => graph.doc, () => void requestSync());

  async function select(ids: readonly string[]) {
    await requestSync();
    await selector.unselectAll();
    for (const id of ids) if (viewNodes.has(id)) {
      await deferred.drawNow(id);
      await selectable.select(id, true);
    }
    readSelection();
  }

  async function addAt(type: string, p: Position) {
    const id = graph.addNode(type, p);
    if (id) await select([id]);
  }

  function nodeRect(id: string): Rect | undefined {
    const n = docNow().nodes.find((x) => x.id === id);
    if (n) {
      const size = sizes[id] ?? { width: NODE_WIDTH, height: NODE_HEIGHT };
      return { x: n.position[0], y: n.position[1], ...size };
    }
    const note = docNow().notes?.find((x) => x.id === id);
    return note ? { x: note.position[0], y: note.position[1], width: NOTE_WIDTH, height: 80 } : undefined;
  }

  function contentBounds(): Rect | null {
    const doc = docNow();
    const rects: Rect[] = [];
    for (const n of doc.nodes) rects.push(nodeRect(n.id)!);
    for (const n of doc.notes ?? []) rects.push(nodeRect(n.id)!);
    for (const f of doc.frames ?? []) {
      const r = frameRect(f, nodeRect);
      if (r) rects.push(r);
    }
    return union(rects);
  }

  // The canvas's size, kept by an observer: reading clientWidth right after nodes were added would force a layout.
  let canvasSize = { width: container.clientWidth, height: container.clientHeight };
  const canvasResizes = new ResizeObserver(([entry]) => {
    const box = entry?.contentRect;
    if (box) canvasSize = { width: box.width, height: box.height };
  });
  canvasResizes.observe(container);
  const viewportSize = () => canvasSize;

  /** A compact node's size before it is drawn: its title, a row per port, its line of params. */
  function estimateSize(id: string): Size {
    const def = nodeType(viewNodes.get(id)?.type ?? '');
    const ports = Math.max(def?.inputs.length ?? 1, def?.outputs.length ?? 1);
    const brief = Object.keys(def?.params ?? {}).length || def?.category === 'layer';
    return { width: NODE_WIDTH, height: 34 + ports * 21 + (brief ? 34 : 0) };
  }

  async function setView(t: ViewTransform) {
    area.area.transform.x = t.x;
    area.area.transform.y = t.y;
    await area.area.zoom(t.k, 0, 0);
    layout.setView(area.area.transform);
  }

  /** Fit `r` in the view at a zoom between `min` and 1; when it does not fit at `min`, show its top-left corner. */
  async function show(r: Rect, min: number) {
    const { width: w, height: h } = viewportSize();
    if (!w || !h) return;
    const fit = Math.min((w - 2 * VIEW_MARGIN) / r.width, (h - 2 * VIEW_MARGIN) / r.height, 1);
    const k = Math.max(fit, min);
    const x = r.width * k <= w - 2 * VIEW_MARGIN ? w / 2 - (r.x + r.width / 2) * k : VIEW_MARGIN - r.x * k;
    const y = r.height * k <= h - 2 * VIEW_MARGIN ? h / 2 - (r.y + r.height / 2) * k : VIEW_MARGIN - r.y * k;
    await setView({ x, y, k });
  }

  // Fit and the first view use the sizes measured so far (a node not yet measured counts as a
  // typical one): reading sizes here would force a layout of every node just added.
  async function zoomToFit() {
    await requestSync();
    const r = contentBounds();
    if (r) await show(r, 0.02);
  }

  async function firstView() {
    await requestSync();
    const r = contentBounds();
    if (r) await show(r, LEGIBLE_ZOOM);
  }

  async function zoomToSelection() {
    await requestSync();
    measureMissing();
    const r = union(ui.selection.flatMap((id) => nodeRect(id) ?? []));
    if (r) await show(r, Math.min(LEGIBLE_ZOOM, area.area.transform.k));
  }

  async function reveal(ids: readonly string[]) {
    await select(ids);
    measureMissing();
    const r = union(ids.flatMap((id) => nodeRect(id) ?? []));
    if (!r) return;
    const { width: w, height: h } = viewportSize();
    const k = Math.max(area.area.transform.k, LEGIBLE_ZOOM);
    await setView({ x: w / 2 - (r.x + r.width / 2) * k, y: h / 2 - (r.y + r.height / 2) * k, k });
  }

  async function focusNode(id: string) {
    await select([id]);
    const r = nodeRect(id);
    if (!r) return;
    const { x, y, k } = area.area.transform;
    const { width: w, height: h } = viewportSize();
    const inView = r.x * k + x >= 0 && r.y * k + y >= 0 && (r.x + r.width) * k + x <= w && (r.y + r.height) * k + y <= h;
    if (!inView) await setView({ x: w / 2 - (r.x + r.width / 2) * k, y: h / 2 - (r.y + r.height / 2) * k, k });
  }

  function closeMenus(): boolean {
    let closed = false;
    if (wireSearch.value) {
      wireSearch.value = null;
      closed = true;
    }
    // Rete's context menu lives in an element of the container, hidden on 'unmount'.
    for (const el of container.children)
      if (el instanceof HTMLElement && el.style.display !== 'none' && el.querySelector('[data-testid="context-menu"]')) {
        void area.emit({ type: 'unmount', data: { element: el } });
        closed = true;
      }
    return closed;
  }

  async function arrange() {
    await requestSync();
    measureMissing();
    // At most as wide as the canvas shows at a legible zoom, so a big graph reads row by row, scrolling
    // down only; narrower where that lets the whole graph show at a larger zoom.
    const { width: w, height: h } = viewportSize();
    const view = { width: w - 2 * VIEW_MARGIN, height: h - 2 * VIEW_MARGIN };
    const size = (id: string) => nodeRect(id) ?? { width: NODE_WIDTH, height: NODE_HEIGHT };
    const positions = arrangeLayout(docNow(), graph.analysis.order, size, { width: view.width / LEGIBLE_ZOOM, view });
    graph.moveNodes(positions);
    await firstView();
  }

  function addNote(p: Position): string {
    const inside = docNow().frames?.find((f) => {
      const r = frameRect(f, nodeRect);
      return r && p[0] >= r.x && p[0] <= r.x + r.width && p[1] >= r.y && p[1] <= r.y + r.height;
    });
    return graph.addNote([Math.round(p[0]), Math.round(p[1])], inside?.id);
  }

  function toArea(clientX: number, clientY: number): Position {
    const rect = container.getBoundingClientRect();
    const { x, y, k } = area.area.transform;
    return [(clientX - rect.left - x) / k, (clientY - rect.top - y) / k];
  }

  function centre(): Position {
    const rect = container.getBoundingClientRect();
    const [cx, cy] = toArea(rect.left + rect.width / 2, rect.top + rect.height / 2);
    const origin: Position = [cx - NODE_WIDTH / 2, cy - 80];
    // The first free spot near the centre, so that nodes added one after another do not cover each other.
    const free = (p: Position) => !editor.getNodes().some((n) => {
      const at = area.nodeViews.get(n.id)?.position;
      return at && p[0] < at.x + n.width + 20 && at.x < p[0] + NODE_WIDTH + 20 && p[1] < at.y + n.height + 20 && at.y < p[1] + 160 + 20;
    });
    for (let ring = 0; ring < 6; ring++)
      for (const [dx, dy] of [[0, 0], [1, 0], [-1, 0], [0, 1], [1, 1], [-1, 1], [0, -1], [1, -1], [-1, -1]]) {
        const p: Position = [origin[0] + dx * (NODE_WIDTH + 40) * (ring + 1), origin[1] + dy * 220 * (ring + 1)];
        if ((ring === 0 || dx !== 0 || dy !== 0) && free(p)) return p;
      }
    return origin;
  }

  await requestSync();

  // The one selected node comes to the front, so the drawer with its controls lies over its neighbours.
  const stopFront = watch(
    () => (ui.selection.length === 1 ? ui.selection[0] : null),
    (id) => {
      const view = id ? area.nodeViews.get(id) : undefined;
      if (view && view.element.parentElement) void area.area.content.reorder(view.element, null);
    },
  );

  // Selecting a wire unselects the nodes.
  const stopWire = watch(
    () => ui.wire,
    (w) => {
      if (w) void selector.unselectAll().then(readSelection);
    },
  );

  return {
    wireSearch,
    pickFromSearch,
    reveal,
    zoomToSelection,
    focusNode,
    closeMenus,
    zoomToFit,
    firstView,
    arrange,
    sizes,
    sizesRevision,
    contentBounds,
    viewportSize,
    setView,
    addNote,
    centre,
    toArea,
    select,
    synced: () => requestSync(),
    destroy() {
      stop();
      stopWire();
      stopFront();
      container.removeEventListener('pointerdown', onPress, { capture: true });
      resizes.disconnect();
      canvasResizes.disconnect();
      framesApp.unmount();
      area.destroy();
    },
  };
}
