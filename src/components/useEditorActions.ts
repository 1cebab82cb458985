// The editor's commands, shared by the toolbar, the keyboard and the context menu.
import { inject } from 'vue';
import { downloadBlob } from './download';
import { presets } from '../../presets';
import { editorKey } from '../editor/editor-key';
import { edgeId } from '../graph/events';
import { useGraphStore } from '../stores/graphStore';
import { useLayoutStore } from '../stores/layoutStore';
import { useUiStore } from '../stores/uiStore';
import { describeDiagnostic } from '../graph/parse';

export function useEditorActions() {
  const graph = useGraphStore();
  const ui = useUiStore();
  const layout = useLayoutStore();
  const editor = inject(editorKey)!;

  const fit = () => editor.value?.zoomToFit();
  const fileBase = () => graph.doc.name.trim().replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^-+|-+$/g, '') || 'graph';
  const afterReplace = async () => {
    ui.setSelection([]);
    await editor.value?.synced();
    await editor.value?.firstView();
  };

  return {
    undo: () => graph.undo(),
    redo: () => graph.redo(),
    fit,
    async arrange() {
      try {
        await editor.value?.arrange();
      } catch (e) {
        ui.notify('error', `Auto-arrange failed: ${(e as Error).message}`);
      }
    },
    async newGraph() {
      graph.newDocument();
      await afterReplace();
      ui.notify('info', 'A new, empty graph. Ctrl+Z brings the previous one back.');
    },
    async loadPreset(file: string) {
      graph.loadPreset(file);
      await afterReplace();
      const title = presets.find((p) => p.file === file)?.title ?? file;
      ui.notify('info', `Loaded the preset “${title}”.`);
    },
    async openText(text: string, fileName: string) {
      const result = graph.openFile(text);
      if (!result.ok) {
        ui.notify(
          'error',
          `“${fileName}” cannot be opened; the graph was left as it was.`,
          // Bounded and escaped (a file's ids can be anything), and not a flood.
          result.diagnostics.slice(0, 100).map(describeDiagnostic),
        );
        return false;
      }
      await afterReplace();
      ui.notify('info', `Opened “${fileName}”.`);
      return true;
    },
    save() {
      downloadBlob(`${fileBase()}.json`, new Blob([graph.serialize()], { type: 'application/json' }));
    },
    /** Downloads the graph as a PyTorch or Keras script (the exporters load on first use). */
    async exportCode(to: 'pytorch' | 'keras') {
      const name = `${fileBase()}${to === 'keras' ? '-keras' : ''}.py`;
      try {
        const code = to === 'pytorch' ? (await import('../export/torch')).exportTorch(graph.doc) : (await import('../export/keras')).exportKeras(graph.doc);
        downloadBlob(name, new Blob([code], { type: 'text/x-python' }));
        ui.notify('info', `Exported ${name}. Run it: python3 ${name} --data public/data/${graph.doc.training.dataset} --epochs 1`);
      } catch (e) {
        ui.notify('error', `The graph cannot be exported to ${to === 'pytorch' ? 'PyTorch' : 'Keras'}.`, (e as Error).message.split('\n'));
      }
    },
    deleteSelection() {
      const wire = ui.wire && graph.doc.edges.find((e) => edgeId(e) === ui.wire);
      if (wire) {
        graph.disconnect(wire);
        ui.selectWire(null);
      } else if (ui.selection.length) graph.removeNodes(ui.selection);
    },
    copy() {
      const n = graph.copy(ui.selection);
      if (n) ui.notify('info', `Copied ${n} node${n === 1 ? '' : 's'}.`);
    },
    async paste() {
      const ids = graph.paste();
      if (ids.length) await editor.value?.select(ids);
    },
    groupSelection() {
      if (ui.selection.length) graph.groupIntoFrame(ui.selection);
    },
    zoomToSelection: () => editor.value?.zoomToSelection(),
    /** Select the next (or previous) node in the order data flows. */
    async selectNext(step: 1 | -1) {
      const order = [...graph.analysis.order, ...graph.doc.nodes.map((n) => n.id).filter((id) => !graph.analysis.order.includes(id))];
      if (!order.length) return;
      const current = ui.selection.length ? order.indexOf(ui.selection[ui.selection.length - 1]) : -1;
      const next = current < 0 ? (step > 0 ? 0 : order.length - 1) : (current + step + order.length) % order.length;
      await editor.value?.focusNode(order[next]);
    },
    /** Move the selected nodes; presses in a row are one undo step. */
    moveSelection(dx: number, dy: number) {
      const chosen = new Set(ui.selection);
      const positions: Record<string, [number, number]> = {};
      for (const n of graph.doc.nodes) if (chosen.has(n.id)) positions[n.id] = [n.position[0] + dx, n.position[1] + dy];
      if (Object.keys(positions).length) graph.moveMembers(positions, 'keys-move');
    },
    /** Escape: close a menu or the help; else clear the selection. */
    async escape() {
      if (layout.helpOpen) layout.helpOpen = false;
      else if (editor.value?.closeMenus()) return;
      else if (ui.wire) ui.selectWire(null);
      else if (ui.selection.length) await editor.value?.select([]);
    },
    toggleHelp() {
      layout.helpOpen = !layout.helpOpen;
    },
    async selectAll() {
      await editor.value?.select(graph.doc.nodes.map((n) => n.id));
    },
  };
}
