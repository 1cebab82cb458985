// The graph document — the single source of truth — and every edit to it.
// Edits are events run through the pure reducer; undo/redo keep whole (immutable) documents;
// every change is saved to localStorage; shapes, params and diagnostics are a computed analyze(doc).
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { nodeType } from '../../nodes';
import { paramProblem } from '../../nodes/define';
import { presets } from '../../presets';
import { analyze, connectionProblem, type Analysis, type Diagnostic as NodeDiagnostic, type NodeAnalysis } from '../graph/analyze';
import { emptyDocument, FRAME_COLORS, type GraphDocument, type GraphEdge, type ParamValue } from '../graph/document';
import { copySelection, createNode, freshId, pasteEvent, reduce, type Clip, type GraphEvent, type Position } from '../graph/events';
import { openText, openValue } from '../graph/open';
import { addWired, fixEdit, insertOnWire, takeOut, wireEdit, type EditResult } from '../graph/rewire';
import type { ProblemFix } from '../../nodes/define';
import type { Diagnostic } from '../graph/parse';

export const AUTOSAVE_KEY = 'wirelab.graph';
export const DEFAULT_PRESET = 'beta-vae';
const UNDO_LIMIT = 200;
/** Edits with the same gesture key this close together are one undo step (a slider drag, a node drag). */
const COALESCE_MS = 1500;

function storage(): Storage | null {
  try {
    return typeof globalThis.localStorage === 'undefined' ? null : globalThis.localStorage;
  } catch {
    return null;
  }
}

export function presetDocument(file: string): GraphDocument {
  const preset = presets.find((p) => p.file === file);
  if (!preset) throw new Error(`No preset "${file}".`);
  const result = openValue(preset.doc);
  if (!result.ok) throw new Error(`Preset "${file}" is broken: ${result.diagnostics.map((d) => d.message).join(' ')}`);
  return result.doc;
}

/** The autosaved graph, or the β-VAE on a first visit (or when the saved one cannot be read). */
function initialDocument(): GraphDocument {
  const saved = storage()?.getItem(AUTOSAVE_KEY);
  if (saved) {
    const result = openText(saved);
    if (result.ok) return result.doc;
  }
  return presetDocument(DEFAULT_PRESET);
}

/** Whether two analyses of a node show the same thing (then the node's view keeps its old one). */
const sameNodeAnalysis = (a: NodeAnalysis, b: NodeAnalysis) =>
  a.params === b.params &&
  a.nonTrainable === b.nonTrainable &&
  a.known === b.known &&
  a.memory?.total === b.memory?.total &&
  JSON.stringify(a.wires) === JSON.stringify(b.wires) &&
  JSON.stringify(a.outputs) === JSON.stringify(b.outputs);

/** Decides whether an edit may go ahead: true, or false / the reason it may not (the training store refuses structural edits while a run is on). */
export type EditGuard = (current: GraphDocument, next: GraphDocument) => boolean | string;

export type OpenResult = { ok: true } | { ok: false; diagnostics: Diagnostic[] };

export const useGraphStore = defineStore('graph', () => {
  const doc = shallowRef<GraphDocument>(initialDocument());
  const past = shallowRef<GraphDocument[]>([]);
  const future = shallowRef<GraphDocument[]>([]);
  // Each node's analysis object (and list of problems) is kept from the last analysis when nothing
  // in it changed, so an edit redraws only the nodes it affects, not all of them.
  let lastAnalysis: Analysis | null = null;
  const analysis = computed(() => {
    const next = analyze(doc.value);
    const prev = lastAnalysis;
    if (prev) for (const id of Object.keys(next.nodes)) if (prev.nodes[id] && sameNodeAnalysis(prev.nodes[id], next.nodes[id])) next.nodes[id] = prev.nodes[id];
    lastAnalysis = next;
    return next;
  });
  const nodeById = computed(() => new Map(doc.value.nodes.map((n) => [n.id, n])));
  let lastProblems = new Map<string, NodeDiagnostic[]>();
  /** Each node's diagnostics (the graph's own, with no node, are under ''). */
  const problemsByNode = computed(() => {
    const next = new Map<string, NodeDiagnostic[]>();
    for (const d of analysis.value.diagnostics) {
      const key = d.node ?? '';
      const list = next.get(key);
      if (list) list.push(d);
      else next.set(key, [d]);
    }
    for (const [id, list] of next) {
      const old = lastProblems.get(id);
      if (old && JSON.stringify(old) === JSON.stringify(list)) next.set(id, old);
    }
    lastProblems = next;
    return next;
  });
  const canUndo = computed(() => past.value.length > 0);
  const canRedo = computed(() => future.value.length > 0);
  let gesture: { key: string; at: number } | null = null;
  let clipboard: Clip | null = null;
  let pastes = 0;
  let guard: EditGuard | null = null;
  /** Why the guard refused the last edit. */
  let refusal: string | null = null;
  const setEditGuard = (g: EditGuard | null) => {
    guard = g;
  };
  /** Whether the guard lets the document become `next`; when not, the view is redrawn from the unchanged document. */
  function allowed(next: GraphDocument): boolean {
    const verdict = guard ? guard(doc.value, next) : true;
    if (verdict === true) return true;
    refusal = typeof verdict === 'string' ? verdict : 'This edit cannot be made now.';
    doc.value = { ...doc.value };
    return false;
  }

  function save() {
    saveTimer = null;
    try {
      storage()?.setItem(AUTOSAVE_KEY, JSON.stringify(doc.value));
    } catch {
      // Storage full or blocked: the graph still works, it just is not kept.
    }
  }
  // Saved once edits pause (a drag or a typed number makes many), and before the page goes away.
  let saveTimer: ReturnType<typeof setTimeout> | null = null;
  const flushSave = () => {
    if (saveTimer) {
      clearTimeout(saveTimer);
      save();
    }
  };
  if (typeof window !== 'undefined') window.addEventListener('pagehide', flushSave);

  /** A graph opened from a link, shown but not yet saved over the autosaved one (until the first edit). */
  const fromLink = ref(false);

  function setDoc(next: GraphDocument) {
    doc.value = next;
    fromLink.value = false;
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = setTimeout(save, 100);
  }

  /**
   * Show a graph from a shared link. The autosaved graph stays as it was until the user edits; Ctrl+Z
   * goes back to it. False when the guard refuses (a run is on).
   */
  function showShared(next: GraphDocument): boolean {
    if (!allowed(next)) return false;
    // An edit still waiting to be saved is the user's own graph: save it now, not the link's later.
    flushSave();
    past.value = [...past.value.slice(-(UNDO_LIMIT - 1)), doc.value];
    future.value = [];
    gesture = null;
    pastes = 0;
    doc.value = next;
    fromLink.value = true;
    return true;
  }

  /**
   * Apply an edit. Returns false when it changed nothing.
   * `coalesce`: a gesture key; consecutive edits with the same key make one undo step.
   */
  function dispatch(event: GraphEvent, opts: { coalesce?: string } = {}): boolean {
    const next = reduce(doc.value, event);
    if (next === doc.value) return false;
    if (!allowed(next)) return false;
    const now = Date.now();
    const merge = opts.coalesce !== undefined && gesture !== null && gesture.key === opts.coalesce && now - gesture.at < COALESCE_MS && past.value.length > 0;
    if (!merge) past.value = [...past.value.slice(-(UNDO_LIMIT - 1)), doc.value];
    gesture = opts.coalesce !== undefined ? { key: opts.coalesce, at: now } : null;
    future.value = [];
    setDoc(next);
    return true;
  }

  /** Close the current gesture (pointer up): the next edit starts a new undo step. */
  function endGesture() {
    gesture = null;
  }

  function undo(): boolean {
    const prev = past.value[past.value.length - 1];
    if (!prev || !allowed(prev)) return false;
    past.value = past.value.slice(0, -1);
    future.value = [...future.value, doc.value];
    gesture = null;
    setDoc(prev);
    return true;
  }

  function redo(): boolean {
    const next = future.value[future.value.length - 1];
    if (!next || !allowed(next)) return false;
    future.value = future.value.slice(0, -1);
    past.value = [...past.value, doc.value];
    gesture = null;
    setDoc(next);
    return true;
  }

  // The first visit's preset is kept too, so a reload shows what was on screen.
  save();

  // Convenience actions, each one event.
  function addNode(type: string, position: Position): string | null {
    const node = createNode(doc.value, type, position);
    if (!node) return null;
    dispatch({ type: 'addNode', node });
    return node.id;
  }
  const removeNodes = (ids: readonly string[]) => dispatch({ type: 'removeNodes', ids: [...ids] });
  /** Add a wire, or say why it cannot be made (and change nothing). */
  function connect(edge: GraphEdge): string | null {
    const problem = connectionProblem(doc.value, edge);
    if (problem) return problem;
    dispatch({ type: 'connect', edge });
    return null;
  }
  const disconnect = (edge: GraphEdge) => dispatch({ type: 'disconnect', edge });
  const moveNode = (id: string, position: Position, coalesce = `move:${id}`) => dispatch({ type: 'moveNode', id, position }, { coalesce });
  const moveNodes = (positions: Record<string, Position>) => dispatch({ type: 'moveNodes', positions });
  const setParam = (id: string, name: string, value: ParamValue) => dispatch({ type: 'setParam', id, name, value }, { coalesce: `param:${id}:${name}` });
  /**
   * A param edit from a field: made when the model can use the value, else refused with the reason
   * (out of range, not a whole number, a layer setting while training runs) and nothing changes.
   */
  function editParam(id: string, name: string, value: ParamValue): string | null {
    const node = doc.value.nodes.find((n) => n.id === id);
    const spec = node ? nodeType(node.type)?.params[name] : undefined;
    if (!spec) return `Node "${id}" has no param "${name}".`;
    const problem = paramProblem(name, spec, value);
    if (problem) return problem;
    refusal = null;
    setParam(id, name, value);
    return refusal;
  }
  const rename = (name: string) => dispatch({ type: 'rename', name }, { coalesce: 'rename' });
  const setLabel = (id: string, label: string | undefined) => dispatch({ type: 'setLabel', id, label }, { coalesce: `label:${id}` });

  function replaceDocument(next: GraphDocument) {
    pastes = 0;
    return dispatch({ type: 'replaceDocument', doc: next });
  }
  const newDocument = () => replaceDocument(emptyDocument());
  const loadPreset = (file: string) => replaceDocument(presetDocument(file));

  /** Open a file's text. A malformed or foreign file changes nothing and returns its diagnostics. */
  function openFile(text: string): OpenResult {
    const result = openText(text);
    if (!result.ok) return { ok: false, diagnostics: result.diagnostics };
    replaceDocument(result.doc);
    return { ok: true };
  }

  /** The document as the file Save writes. */
  const serialize = () => JSON.stringify(doc.value, null, 2) + '\n';

  function copy(ids: readonly string[]): number {
    const clip = copySelection(doc.value, ids);
    if (!clip.nodes.length) return 0;
    clipboard = clip;
    pastes = 0;
    return clip.nodes.length;
  }

  /** Paste the clipboard with fresh ids, shifted a little further each time. Returns the new ids. */
  function paste(): string[] {
    if (!clipboard) return [];
    pastes++;
    const event = pasteEvent(doc.value, clipboard, [40 * pastes, 40 * pastes]);
    dispatch(event);
    return event.nodes.map((n) => n.id);
  }

  function duplicate(ids: readonly string[]): string[] {
    const clip = copySelection(doc.value, ids);
    if (!clip.nodes.length) return [];
    const event = pasteEvent(doc.value, clip, [40, 40]);
    dispatch(event);
    return event.nodes.map((n) => n.id);
  }

  const hasClipboard = () => clipboard !== null;

  /** Put these nodes (and notes) in a new frame, taking them out of any other. Returns the frame's id, or null. */
  function groupIntoFrame(ids: readonly string[], title = 'Frame'): string | null {
    const id = freshId(doc.value, 'frame');
    const used = new Set((doc.value.frames ?? []).map((f) => f.color));
    const color = FRAME_COLORS.find((c) => !used.has(c)) ?? FRAME_COLORS[0];
    return dispatch({ type: 'addFrame', frame: { id, title, color, nodes: [...ids] } }) ? id : null;
  }
  function takeOutOfFrames(ids: readonly string[]) {
    const out = new Set(ids);
    const events: GraphEvent[] = [];
    for (const f of doc.value.frames ?? []) {
      if (!f.nodes.some((n) => out.has(n))) continue;
      const rest = f.nodes.filter((n) => !out.has(n));
      // A frame is re-made with its remaining members (or removed when none is left).
      events.push({ type: 'removeFrame', id: f.id });
      if (rest.length) events.push({ type: 'addFrame', frame: { ...f, nodes: rest } });
    }
    return events.length ? dispatch({ type: 'batch', events }) : false;
  }
  const updateFrame = (id: string, change: { title?: string; color?: string }) => dispatch({ type: 'updateFrame', id, ...change }, { coalesce: `frame-edit:${id}` });
  const removeFrame = (id: string) => dispatch({ type: 'removeFrame', id });
  function addNote(position: Position, frame?: string, text = ''): string {
    const id = freshId(doc.value, 'note');
    dispatch({ type: 'addNote', note: { id, text, position }, ...(frame ? { frame } : {}) });
    return id;
  }
  const setNoteText = (id: string, text: string) => dispatch({ type: 'setNoteText', id, text }, { coalesce: `note:${id}` });
  const removeNote = (id: string) => dispatch({ type: 'removeNote', id });
  /** Apply a rewiring edit as one undo step; returns why it could not be done, or null. */
  function apply(result: EditResult, coalesce?: string): string | null {
    if (!result.ok) return result.problem;
    dispatch(result.event, coalesce ? { coalesce } : {});
    return null;
  }
  /** Wire, replacing what a single input had; `moving`: the wire the user dragged off an input. */
  const wire = (edge: GraphEdge, moving?: GraphEdge) => apply(wireEdit(doc.value, edge, moving));
  const insertNodeOnWire = (id: string, edge: GraphEdge, coalesce?: string) => apply(insertOnWire(doc.value, id, edge), coalesce);
  const takeOutOfFlow = (id: string, coalesce?: string) => apply(takeOut(doc.value, id), coalesce);
  /** Add a node wired to the port a wire was dragged from. Returns its id, or the problem. */
  function addNodeWired(type: string, position: Position, from: { node: string; port: string; side: 'output' | 'input' }, port: string): { id: string } | { problem: string } {
    const r = addWired(doc.value, type, position, from, port);
    if (!r.ok) return { problem: r.problem };
    dispatch(r.event);
    return { id: r.id! };
  }
  const applyFix = (id: string, port: string | undefined, fix: ProblemFix) => apply(fixEdit(doc.value, id, port, fix));
  /** Move nodes and notes together (a frame drag): one undo step per gesture key. */
  const moveMembers = (positions: Record<string, Position>, gestureKey: string) => dispatch({ type: 'moveNodes', positions }, { coalesce: gestureKey });

  return {
    doc,
    fromLink,
    showShared,
    rename,
    analysis,
    nodeById,
    problemsByNode,
    canUndo,
    canRedo,
    dispatch,
    endGesture,
    undo,
    redo,
    addNode,
    removeNodes,
    connect,
    disconnect,
    moveNode,
    moveNodes,
    setParam,
    editParam,
    setLabel,
    replaceDocument,
    newDocument,
    loadPreset,
    openFile,
    serialize,
    copy,
    paste,
    duplicate,
    hasClipboard,
    setEditGuard,
    groupIntoFrame,
    takeOutOfFrames,
    updateFrame,
    removeFrame,
    addNote,
    setNoteText,
    removeNote,
    moveMembers,
    flushSave,
    wire,
    insertNodeOnWire,
    takeOutOfFlow,
    addNodeWired,
    applyFix,
  };
});
