// The Rete adapter. Rete is a view of the graph document:
//  - user gestures on the canvas (wire, unwire, drag) become store actions;
//  - the view is patched from the document by `sync`, which diffs the two.
// Wires are vetoed in the `connectioncreate` pipe with connectionProblem(), and the reason is shown.
import type { Pinia } from 'pinia';
import { NodeEditor } from 'rete';
import { AreaExtensions, AreaPlugin } from 'rete-area-plugin';
import { ClassicFlow, ConnectionPlugin } from 'rete-connection-plugin';
import { ContextMenuPlugin, type ContextMenuExtra } from 'rete-context-menu-plugin';
import { MinimapPlugin, type MinimapExtra } from 'rete-minimap-plugin';
import { Presets as VuePresets, VuePlugin, type VueArea2D } from 'rete-vue-plugin';
import { createApp, watch } from 'vue';
import { categories, nodeType, nodeTypes } from '../../nodes';
import { connectionProblem } from '../graph/analyze';
import type { GraphDocument } from '../graph/document';
import { edgeId, sameEdge, type Position } from '../graph/events';
import { useGraphStore } from '../stores/graphStore';
import { useUiStore } from '../stores/uiStore';
import NodeView from './NodeView.vue';
import SocketView from './SocketView.vue';
import { connectionEdge, NODE_WIDTH, viewConnection, ViewNode, type Schemes } from './view-node';

type AreaExtra = VueArea2D<Schemes> | ContextMenuExtra | MinimapExtra;

export interface EditorHandle {
  zoomToFit(): Promise<void>;
  arrange(): Promise<void>;
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

  const editor = new NodeEditor<Schemes>();
  const area = new AreaPlugin<Schemes, AreaExtra>(container);
  const connection = new ConnectionPlugin<Schemes, AreaExtra>();
  const render = new VuePlugin<Schemes, AreaExtra>({ setup: (context) => createApp(context).use(pinia) });
  const minimap = new MinimapPlugin<Schemes>({ boundViewport: true });
  const selector = AreaExtensions.selector();
  const selectable = AreaExtensions.selectableNodes(area, selector, { accumulating: AreaExtensions.accumulateOnCtrl() });

  let menuPoint: Position = [0, 0];
  const contextMenu = new ContextMenuPlugin<Schemes>({
    items(context) {
      menuPoint = [area.area.pointer.x, area.area.pointer.y];
      if (context === 'root')
        return {
          searchBar: true,
          list: categories.map((cat) => ({
            label: CATEGORY_TITLES[cat],
            key: cat,
            handler: () => undefined,
            subitems: nodeTypes
              .filter((d) => d.category === cat)
              .map((d) => ({ label: d.label, key: d.type, handler: () => void addAt(d.type, menuPoint) })),
          })),
        };
      if (!(context instanceof ViewNode)) return { searchBar: false, list: [] };
      const targets = () => (ui.selection.includes(context.id) ? ui.selection : [context.id]);
      return {
        searchBar: false,
        list: [
          { label: 'Delete', key: 'delete', handler: () => void graph.removeNodes(targets()) },
          { label: 'Duplicate', key: 'duplicate', handler: () => void select(graph.duplicate(targets())) },
        ],
      };
    },
  });

  render.addPreset(
    VuePresets.classic.setup({
      customize: {
        node: () => NodeView,
        socket: () => SocketView,
      },
    }),
  );
  render.addPreset(VuePresets.contextMenu.setup({ delay: 300 }));
  render.addPreset(VuePresets.minimap.setup({ size: 150 }));
  connection.addPreset(() => new ClassicFlow());

  editor.use(area);
  area.use(connection);
  area.use(render);
  area.use(contextMenu);
  area.use(minimap);
  AreaExtensions.simpleNodesOrder(area);

  const docNow = (): GraphDocument => graph.doc;

  // --- view → store -------------------------------------------------------
  /** Nodes the sync is creating: their views start at (0, 0) before they reach their place, which is no user's move. */
  const placing = new Set<string>();
  editor.addPipe((context) => {
    if (context.type === 'connectioncreate') {
      const edge = connectionEdge(context.data);
      // The sync is adding a wire the document already has.
      if (docNow().edges.some((e) => sameEdge(e, edge))) return context;
      const problem = connectionProblem(docNow(), edge);
      if (problem) ui.notify('error', problem);
      else graph.connect(edge);
      // Either way Rete does not add it itself: the store changed, and the sync draws the wire.
      return undefined;
    }
    if (context.type === 'connectionremoved') graph.disconnect(connectionEdge(context.data));
    return context;
  });

  area.addPipe((context) => {
    if (context.type === 'nodetranslated' && !placing.has(context.data.id)) {
      const node = docNow().nodes.find((n) => n.id === context.data.id);
      const p = context.data.position;
      if (node && (Math.abs(node.position[0] - p.x) > 0.5 || Math.abs(node.position[1] - p.y) > 0.5))
        graph.moveNode(node.id, [Math.round(p.x), Math.round(p.y)], 'drag');
    }
    if (context.type === 'nodedragged') graph.endGesture();
    if (context.type === 'nodepicked' || context.type === 'pointerup') queueMicrotask(readSelection);
    if (context.type === 'rendered' && context.data.type === 'node') measure(context.data.payload.id);
    return context;
  });

  function readSelection() {
    const ids = [...selector.entities.values()].filter((e) => e.label === 'node').map((e) => e.id);
    ui.setSelection(ids.filter((id) => editor.getNode(id)));
  }

  function measure(id: string) {
    const view = area.nodeViews.get(id);
    const node = editor.getNode(id);
    const el = view?.element.firstElementChild;
    if (!node || !(el instanceof HTMLElement)) return;
    if (el.offsetWidth) node.width = el.offsetWidth;
    if (el.offsetHeight) node.height = el.offsetHeight;
  }

  // --- store → view -------------------------------------------------------
  async function sync(doc: GraphDocument) {
    const wanted = new Map(doc.edges.map((e) => [edgeId(e), e]));
    for (const c of editor.getConnections()) if (!wanted.has(c.id)) await editor.removeConnection(c.id);
    const ids = new Set(doc.nodes.map((n) => n.id));
    for (const n of editor.getNodes()) if (!ids.has(n.id)) {
      await selector.remove({ label: 'node', id: n.id });
      await editor.removeNode(n.id);
    }
    for (const n of doc.nodes) {
      const view = editor.getNode(n.id);
      if (!view) {
        const def = nodeType(n.type);
        if (!def) continue;
        placing.add(n.id);
        try {
          await editor.addNode(new ViewNode(n.id, def));
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
    for (const [id, e] of wanted) {
      if (editor.getConnection(id)) continue;
      const source = editor.getNode(e.from.node);
      const target = editor.getNode(e.to.node);
      if (!source?.outputs[e.from.port] || !target?.inputs[e.to.port]) continue;
      await editor.addConnection(viewConnection(e, source, target));
    }
    readSelection();
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
    for (const id of ids) if (editor.getNode(id)) await selectable.select(id, true);
    readSelection();
  }

  async function addAt(type: string, p: Position) {
    const id = graph.addNode(type, p);
    if (id) await select([id]);
  }

  async function zoomToFit() {
    await requestSync();
    editor.getNodes().forEach((n) => measure(n.id));
    const nodes = editor.getNodes();
    if (nodes.length) await AreaExtensions.zoomAt(area, nodes, { scale: 0.9 });
  }

  let arranger: { layout(): Promise<Record<string, Position>> } | null = null;
  async function loadArranger() {
    // elkjs is large: load it when first asked for.
    const { AutoArrangePlugin, Presets: ArrangePresets, ArrangeAppliers } = await import('rete-auto-arrange-plugin');
    // Computes the layout only; the positions go to the document as one undoable edit, and the sync moves the view.
    class DocumentApplier extends ArrangeAppliers.Applier<Schemes, AreaExtra> {
      async apply(): Promise<void> {}
    }
    const plugin = new AutoArrangePlugin<Schemes, AreaExtra>();
    plugin.addPreset(ArrangePresets.classic.setup());
    area.use(plugin);
    return {
      async layout() {
        const result = await plugin.layout({
          applier: new DocumentApplier(),
          options: { 'elk.direction': 'RIGHT', 'elk.spacing.nodeNode': '40', 'elk.layered.spacing.nodeNodeBetweenLayers': '60' },
        });
        const positions: Record<string, Position> = {};
        for (const child of result.result.children ?? []) positions[child.id] = [Math.round(child.x ?? 0), Math.round(child.y ?? 0)];
        return positions;
      },
    };
  }

  async function arrange() {
    await requestSync();
    editor.getNodes().forEach((n) => measure(n.id));
    arranger ??= await loadArranger();
    graph.moveNodes(await arranger.layout());
    await zoomToFit();
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

  return {
    zoomToFit,
    arrange,
    centre,
    toArea,
    select,
    synced: () => requestSync(),
    destroy() {
      stop();
      area.destroy();
    },
  };
}
