// UI state that is not part of the graph: the selection, the theme, and messages (toasts).
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';

export type Theme = 'dark' | 'light';
export type MessageKind = 'error' | 'info';

export interface Message {
  id: number;
  kind: MessageKind;
  text: string;
  /** Further lines, such as a file's diagnostics; shown as text. */
  details: string[];
}

export const THEME_KEY = 'wirelab.theme';

function storage(): Storage | null {
  try {
    return typeof globalThis.localStorage === 'undefined' ? null : globalThis.localStorage;
  } catch {
    return null;
  }
}

export const useUiStore = defineStore('ui', () => {
  const selection = ref<string[]>([]);
  /** The selected wire's id (edgeId), or null; selecting a wire clears the node selection and back. */
  const wire = ref<string | null>(null);
  const saved = storage()?.getItem(THEME_KEY);
  const theme = ref<Theme>(saved === 'light' ? 'light' : 'dark');
  const messages = ref<Message[]>([]);
  /** Nodes whose param controls stay open on the canvas (the node's ▾ button). */
  const pinned = ref<string[]>([]);
  function togglePinned(id: string) {
    pinned.value = pinned.value.includes(id) ? pinned.value.filter((x) => x !== id) : [...pinned.value, id];
  }
  let nextId = 1;
  const timers = new Map<number, ReturnType<typeof setTimeout>>();

  watch(theme, (t) => storage()?.setItem(THEME_KEY, t));

  function toggleTheme() {
    theme.value = theme.value === 'dark' ? 'light' : 'dark';
  }

  function setSelection(ids: readonly string[]) {
    const next = [...new Set(ids)];
    if (next.length) wire.value = null;
    if (next.length === selection.value.length && next.every((id, i) => id === selection.value[i])) return;
    selection.value = next;
  }
  function selectWire(id: string | null) {
    wire.value = id;
  }

  function dismiss(id: number) {
    messages.value = messages.value.filter((m) => m.id !== id);
    const t = timers.get(id);
    if (t) clearTimeout(t);
    timers.delete(id);
  }

  /** Show a message; errors with details stay until closed, the rest fade after a few seconds. */
  function notify(kind: MessageKind, text: string, details: string[] = []): number {
    const id = nextId++;
    messages.value = [...messages.value.slice(-4), { id, kind, text, details }];
    const ms = kind === 'error' ? (details.length ? 0 : 8000) : 4000;
    if (ms) timers.set(id, setTimeout(() => dismiss(id), ms));
    return id;
  }

  return { selection, wire, theme, messages, pinned, togglePinned, toggleTheme, setSelection, selectWire, notify, dismiss };
});
