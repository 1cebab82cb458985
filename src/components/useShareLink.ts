// Share a graph by link: "Copy link" puts the document, compressed, in the URL's fragment; opening
// such a link shows that graph without saving over the autosaved one until the user edits it.
import { inject, watch } from 'vue';
import { editorKey } from '../editor/editor-key';
import { isShareFragment, openShareFragment, shareFragment } from '../graph/share';
import { useGraphStore } from '../stores/graphStore';
import { useUiStore } from '../stores/uiStore';

/** The page's address without its fragment. */
const pageAddress = () => location.origin + location.pathname + location.search;

export function useShareLink() {
  const graph = useGraphStore();
  const ui = useUiStore();
  const editor = inject(editorKey)!;

  async function copyLink(): Promise<string> {
    const url = pageAddress() + (await shareFragment(graph.doc));
    try {
      await navigator.clipboard.writeText(url);
      ui.notify('info', `Copied a link to “${graph.doc.name}” (${url.length.toLocaleString('en-US')} characters). Whoever opens it sees this graph; their own is kept.`);
    } catch {
      // No clipboard (permission, an insecure page): show the link to copy by hand.
      ui.notify('info', 'Copy this link to share the graph:', [url]);
    }
    return url;
  }

  /** Opens the graph in the page's #graph= fragment, if there is one. */
  async function openFromLocation(): Promise<void> {
    if (!isShareFragment(location.hash)) return;
    const result = await openShareFragment(location.hash);
    if (!result.ok) {
      history.replaceState(null, '', pageAddress());
      ui.notify(
        'error',
        'This link does not open a graph; nothing was opened and your graph is as it was.',
        result.diagnostics.map((d) => (d.node ? `${d.node}: ${d.message}` : d.message)),
      );
      return;
    }
    if (!graph.showShared(result.doc)) return;
    ui.setSelection([]);
    // The link's job is done once the graph is edited (and so saved): a reload then shows the saved graph.
    const stop = watch(
      () => graph.fromLink,
      (shown) => {
        if (shown) return;
        if (isShareFragment(location.hash)) history.replaceState(null, '', pageAddress());
        stop();
      },
    );
    if (editor.value) {
      await editor.value.synced();
      await editor.value.zoomToFit();
    }
    ui.notify('info', `Opened “${result.doc.name}” from a link. Your own graph is kept until you edit this one (Ctrl+Z brings it back).`);
  }

  return { copyLink, openFromLocation };
}
