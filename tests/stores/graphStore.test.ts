import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AUTOSAVE_KEY, useGraphStore } from '../../src/stores/graphStore';
import { useUiStore } from '../../src/stores/uiStore';

/** A tiny in-memory localStorage for Node. */
class MemoryStorage implements Storage {
  private data = new Map<string, string>();
  get length() {
    return this.data.size;
  }
  clear() {
    this.data.clear();
  }
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  key(i: number) {
    return [...this.data.keys()][i] ?? null;
  }
  removeItem(k: string) {
    this.data.delete(k);
  }
  setItem(k: string, v: string) {
    this.data.set(k, String(v));
  }
}

let storage: MemoryStorage;
beforeEach(() => {
  storage = new MemoryStorage();
  vi.stubGlobal('localStorage', storage);
  setActivePinia(createPinia());
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const saved = () => JSON.parse(storage.getItem(AUTOSAVE_KEY) ?? 'null');
const encoderTotal = (g: ReturnType<typeof useGraphStore>) => g.analysis.parts.find((p) => p.name === 'encoder')?.params;

describe('graph store', () => {
  it('opens the β-VAE on a first visit', () => {
    const g = useGraphStore();
    expect(g.doc.nodes).toHaveLength(20);
    expect(encoderTotal(g)).toBe(69_076);
    expect(g.canUndo).toBe(false);
  });

  it('autosaves every change (once edits pause, or when the page goes away) and restores it on the next visit', async () => {
    const g = useGraphStore();
    g.setParam('conv1', 'filters', 16);
    g.setParam('conv1', 'filters', 8);
    g.setParam('conv1', 'filters', 16);
    expect(saved().nodes.find((n: { id: string }) => n.id === 'conv1').params.filters).toBe(32);
    await new Promise((r) => setTimeout(r, 150));
    expect(saved().nodes.find((n: { id: string }) => n.id === 'conv1').params.filters).toBe(16);
    setActivePinia(createPinia());
    const again = useGraphStore();
    expect(again.doc.nodes.find((n) => n.id === 'conv1')!.params.filters).toBe(16);
    expect(encoderTotal(again)).toBe(59_700);
  });

  it('falls back to the preset when the saved graph cannot be read', () => {
    storage.setItem(AUTOSAVE_KEY, '{ broken');
    expect(useGraphStore().doc.nodes).toHaveLength(20);
  });

  it('recomputes the analysis on every edit', () => {
    const g = useGraphStore();
    expect(g.analysis.nodes.conv2.params).toBe(18_496);
    g.setParam('conv1', 'filters', 16);
    expect(g.analysis.nodes.conv1.outputs.output).toEqual([14, 14, 16]);
    expect(g.analysis.nodes.conv2.params).toBe(9_280);
    expect(encoderTotal(g)).toBe(59_700);
  });

  it('undoes and redoes adds, deletes, wires, moves and param edits', () => {
    const g = useGraphStore();
    const start = g.doc;
    const id = g.addNode('dense', [0, 0])!;
    expect(g.connect({ from: { node: 'flatten', port: 'output' }, to: { node: id, port: 'input' } })).toBeNull();
    g.endGesture();
    g.moveNode(id, [100, 100]);
    g.endGesture();
    g.setParam(id, 'units', 8);
    g.removeNodes(['conv1']);
    const end = g.doc;
    for (let i = 0; i < 5; i++) expect(g.undo()).toBe(true);
    expect(g.doc).toBe(start);
    expect(g.undo()).toBe(false);
    expect(saved().nodes).toHaveLength(20);
    for (let i = 0; i < 5; i++) expect(g.redo()).toBe(true);
    expect(g.doc).toBe(end);
    expect(g.redo()).toBe(false);
  });

  it('a new edit clears the redo stack', () => {
    const g = useGraphStore();
    g.setParam('conv1', 'filters', 16);
    g.undo();
    expect(g.canRedo).toBe(true);
    g.removeNodes(['dense']);
    expect(g.canRedo).toBe(false);
  });

  it('coalesces a drag into one undo step, and ends it on pointer up', () => {
    const g = useGraphStore();
    const start = g.doc;
    for (let x = 0; x < 20; x++) g.moveNode('conv1', [x, x], 'drag');
    g.moveNode('conv2', [5, 5], 'drag'); // the rest of a multi-selection moves in the same gesture
    g.endGesture();
    g.moveNode('conv1', [50, 50], 'drag');
    g.undo();
    expect(g.doc.nodes.find((n) => n.id === 'conv1')!.position).toEqual([19, 19]);
    g.undo();
    expect(g.doc).toBe(start);
  });

  it('coalesces a slider drag on one param, but not edits of two params', () => {
    const g = useGraphStore();
    for (const b of [2, 3, 4, 5]) g.setParam('beta', 'beta', b);
    g.setParam('conv1', 'filters', 8);
    g.undo();
    expect(g.doc.nodes.find((n) => n.id === 'beta')!.params.beta).toBe(5);
    g.undo();
    expect(g.doc.nodes.find((n) => n.id === 'beta')!.params.beta).toBe(10);
  });

  it('does not coalesce edits far apart in time', () => {
    vi.useFakeTimers();
    const g = useGraphStore();
    g.setParam('beta', 'beta', 2);
    vi.advanceTimersByTime(5000);
    g.setParam('beta', 'beta', 3);
    g.undo();
    expect(g.doc.nodes.find((n) => n.id === 'beta')!.params.beta).toBe(2);
  });

  it('refuses a wire that cannot be made, with the reason, and keeps the existing one', () => {
    const g = useGraphStore();
    const before = g.doc;
    // a loss into a tensor port
    expect(g.connect({ from: { node: 'kl', port: 'loss' }, to: { node: 'dec_dense', port: 'input' } })).toMatch(/loss/i);
    // a second wire into a single input
    expect(g.connect({ from: { node: 'conv1', port: 'output' }, to: { node: 'flatten', port: 'input' } })).toMatch(/already has a wire/);
    // a cycle
    expect(g.connect({ from: { node: 'conv2', port: 'output' }, to: { node: 'conv1', port: 'input' } })).toMatch(/already has a wire|cycle/);
    expect(g.doc).toBe(before);
    expect(g.canUndo).toBe(false);
  });

  it('edits a param from a field only with a value the model can use, else says why and changes nothing', () => {
    const g = useGraphStore();
    const before = g.doc;
    expect(g.editParam('conv1', 'filters', 0)).toMatch(/Filters \(filters\) is 0; set it between 1 and 1024/);
    expect(g.editParam('conv1', 'filters', 2.5)).toMatch(/whole number/);
    expect(g.editParam('conv1', 'filters', Number.NaN)).toMatch(/must be a number/);
    expect(g.editParam('reshape', 'targetShape', [7, -1, -1])).toMatch(/only one −1/);
    expect(g.doc).toBe(before);
    expect(g.editParam('reshape', 'targetShape', [7, 7, -1])).toBeNull();
    expect(g.analysis.nodes.reshape.outputs.output).toEqual([7, 7, 64]);
    // A guard (the training store while a run is on) refuses with its reason.
    g.setEditGuard(() => 'Stop training first: not while it trains.');
    expect(g.editParam('conv1', 'filters', 16)).toBe('Stop training first: not while it trains.');
    expect(g.doc.nodes.find((n) => n.id === 'conv1')!.params.filters).toBe(32);
  });

  it('shows a graph from a link without saving over the autosaved one until an edit', () => {
    const g = useGraphStore();
    g.loadPreset('autoencoder');
    // Autosave waits for edits to pause; flush it as leaving the page would.
    g.flushSave();
    const mine = storage.getItem(AUTOSAVE_KEY);
    const shared = { ...g.doc, name: 'From a link' };
    expect(g.showShared(shared)).toBe(true);
    expect(g.doc.name).toBe('From a link');
    expect(g.fromLink).toBe(true);
    g.flushSave();
    expect(storage.getItem(AUTOSAVE_KEY)).toBe(mine);
    g.rename('Kept');
    expect(g.fromLink).toBe(false);
    g.flushSave();
    expect(saved().name).toBe('Kept');
    // Undo goes back through the link's graph to the user's own.
    g.undo();
    g.undo();
    expect(g.doc.name).toBe(JSON.parse(mine!).name);
    // While a run is on (a guard that refuses), a link changes nothing.
    g.setEditGuard(() => 'Stop training first.');
    expect(g.showShared(shared)).toBe(false);
    expect(g.doc.name).toBe(JSON.parse(mine!).name);
  });

  it('copies a selection and pastes it with its internal wires, shifted a little more each time', () => {
    const g = useGraphStore();
    expect(g.copy(['conv1', 'conv2'])).toBe(2);
    const first = g.paste();
    const second = g.paste();
    expect(first).toHaveLength(2);
    expect(new Set([...first, ...second]).size).toBe(4);
    expect(g.doc.nodes).toHaveLength(24);
    const internal = g.doc.edges.filter((e) => first.includes(e.from.node) && first.includes(e.to.node));
    expect(internal).toHaveLength(1);
    const pos = (id: string) => g.doc.nodes.find((n) => n.id === id)!.position;
    const [x, y] = pos('conv1');
    expect(pos(first[0])).toEqual([x + 40, y + 40]);
    expect(pos(second[0])).toEqual([x + 80, y + 80]);
    g.undo();
    g.undo();
    expect(g.doc.nodes).toHaveLength(20);
    expect(g.copy([])).toBe(0);
  });

  it('duplicates nodes', () => {
    const g = useGraphStore();
    const ids = g.duplicate(['dense']);
    expect(ids).toHaveLength(1);
    expect(g.doc.nodes.find((n) => n.id === ids[0])!.params.units).toBe(16);
  });

  it('opens a file; a malformed or foreign file leaves the graph untouched', () => {
    const g = useGraphStore();
    const before = g.doc;
    const bad = g.openFile('{"format": "something-else"}');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.diagnostics.length).toBeGreaterThan(0);
    expect(g.openFile('not json').ok).toBe(false);
    expect(g.doc).toBe(before);
    expect(saved().nodes).toHaveLength(20);
    g.loadPreset('autoencoder');
    const text = g.serialize();
    g.newDocument();
    expect(g.doc.nodes).toHaveLength(0);
    expect(g.openFile(text).ok).toBe(true);
    expect(g.doc.nodes).toHaveLength(16);
    g.undo();
    expect(g.doc.nodes).toHaveLength(0);
  });

  it('loads each preset', () => {
    const g = useGraphStore();
    for (const file of ['beta-vae', 'vae-beta0', 'autoencoder']) {
      g.loadPreset(file);
      expect(g.analysis.diagnostics).toEqual([]);
    }
  });
});

describe('ui store', () => {
  it('keeps the selection, toggles and remembers the theme, shows messages', () => {
    vi.useFakeTimers();
    const ui = useUiStore();
    expect(ui.theme).toBe('dark');
    ui.setSelection(['a', 'a', 'b']);
    expect(ui.selection).toEqual(['a', 'b']);
    ui.notify('info', 'hello');
    ui.notify('error', 'bad file', ['line 1']);
    expect(ui.messages).toHaveLength(2);
    vi.advanceTimersByTime(10_000);
    expect(ui.messages.map((m) => m.text)).toEqual(['bad file']);
    ui.dismiss(ui.messages[0].id);
    expect(ui.messages).toHaveLength(0);
  });
});
