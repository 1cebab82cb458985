import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { presets } from '../../presets';
import { analyze } from '../../src/graph/analyze';
import { emptyDocument, type GraphDocument } from '../../src/graph/document';
import { copySelection, createNode, edgeId, freshId, pasteEvent, reduce } from '../../src/graph/events';
import { checkOpenable, openText } from '../../src/graph/open';
import { parse } from '../../src/graph/parse';

function betaVae(): GraphDocument {
  const r = parse(presets.find((p) => p.file === 'beta-vae')!.doc);
  if (!r.ok) throw new Error('preset');
  return r.doc;
}

describe('reduce', () => {
  it('adds a node, and ignores a second node with the same id', () => {
    const doc = emptyDocument();
    const node = createNode(doc, 'dense', [10.4, 20.6])!;
    expect(node).toMatchObject({ id: 'dense1', type: 'dense', params: { units: 32, activation: 'linear', useBias: true }, position: [10, 21] });
    const d1 = reduce(doc, { type: 'addNode', node });
    expect(d1.nodes).toHaveLength(1);
    expect(doc.nodes).toHaveLength(0); // immutable
    expect(reduce(d1, { type: 'addNode', node })).toBe(d1);
  });

  it('removes nodes with the wires that touch them', () => {
    const doc = betaVae();
    const next = reduce(doc, { type: 'removeNodes', ids: ['dense'] });
    expect(next.nodes.find((n) => n.id === 'dense')).toBeUndefined();
    expect(next.edges.some((e) => e.from.node === 'dense' || e.to.node === 'dense')).toBe(false);
    expect(next.edges).toHaveLength(doc.edges.length - 3);
    expect(reduce(doc, { type: 'removeNodes', ids: ['nope'] })).toBe(doc);
  });

  it('connects and disconnects; duplicates and dangling ends change nothing', () => {
    const doc = reduce(betaVae(), { type: 'removeNodes', ids: ['dense'] });
    const edge = { from: { node: 'flatten', port: 'output' }, to: { node: 'z_mean', port: 'input' } };
    const d1 = reduce(doc, { type: 'connect', edge });
    expect(d1.edges).toHaveLength(doc.edges.length + 1);
    expect(reduce(d1, { type: 'connect', edge })).toBe(d1);
    expect(reduce(d1, { type: 'connect', edge: { from: { node: 'ghost', port: 'output' }, to: edge.to } })).toBe(d1);
    const d2 = reduce(d1, { type: 'disconnect', edge });
    expect(d2.edges).toEqual(doc.edges);
    expect(reduce(d2, { type: 'disconnect', edge })).toBe(d2);
  });

  it('moves one node or many', () => {
    const doc = betaVae();
    const d1 = reduce(doc, { type: 'moveNode', id: 'conv1', position: [1, 2] });
    expect(d1.nodes.find((n) => n.id === 'conv1')!.position).toEqual([1, 2]);
    expect(reduce(d1, { type: 'moveNode', id: 'conv1', position: [1, 2] })).toBe(d1);
    const d2 = reduce(d1, { type: 'moveNodes', positions: { conv1: [5, 5], conv2: [6, 6] } });
    expect(d2.nodes.filter((n) => n.id.startsWith('conv')).map((n) => n.position)).toEqual([[5, 5], [6, 6]]);
  });

  it('sets params and labels', () => {
    const doc = betaVae();
    const d1 = reduce(doc, { type: 'setParam', id: 'conv1', name: 'filters', value: 16 });
    expect(d1.nodes.find((n) => n.id === 'conv1')!.params.filters).toBe(16);
    expect(doc.nodes.find((n) => n.id === 'conv1')!.params.filters).toBe(32);
    expect(reduce(d1, { type: 'setParam', id: 'conv1', name: 'filters', value: 16 })).toBe(d1);
    const d2 = reduce(d1, { type: 'setParam', id: 'reshape', name: 'targetShape', value: [7, 7, 64] });
    expect(d2).toBe(d1); // same list, no change
    const d3 = reduce(d1, { type: 'setLabel', id: 'conv1', label: 'first conv' });
    expect(d3.nodes.find((n) => n.id === 'conv1')!.label).toBe('first conv');
    const d4 = reduce(d3, { type: 'setLabel', id: 'conv1', label: '  ' });
    expect('label' in d4.nodes.find((n) => n.id === 'conv1')!).toBe(false);
  });

  it('replaces the document, renames it, changes training settings', () => {
    const doc = betaVae();
    const empty = emptyDocument('x');
    expect(reduce(doc, { type: 'replaceDocument', doc: empty })).toBe(empty);
    expect(reduce(doc, { type: 'rename', name: 'Mine' }).name).toBe('Mine');
    expect(reduce(doc, { type: 'setTraining', settings: { epochs: 3 } }).training.epochs).toBe(3);
  });

  it('the Definition of Done edit: drop Dense(16), wire Flatten into z_mean and z_log_var → encoder 31,364', () => {
    let doc = reduce(betaVae(), { type: 'removeNodes', ids: ['dense'] });
    for (const to of ['z_mean', 'z_log_var'])
      doc = reduce(doc, { type: 'connect', edge: { from: { node: 'flatten', port: 'output' }, to: { node: to, port: 'input' } } });
    const a = analyze(doc);
    expect(a.diagnostics).toEqual([]);
    expect(a.parts.find((p) => p.name === 'encoder')!.params).toBe(320 + 18_496 + 2 * (3136 * 2 + 2));
  });
});

describe('copy and paste', () => {
  it('copies the chosen nodes with only the wires between them, and pastes with fresh ids', () => {
    const doc = betaVae();
    const clip = copySelection(doc, ['conv1', 'conv2', 'flatten']);
    expect(clip.nodes.map((n) => n.id)).toEqual(['conv1', 'conv2', 'flatten']);
    expect(clip.edges.map(edgeId)).toEqual(['conv1.output->conv2.input', 'conv2.output->flatten.input']);
    const event = pasteEvent(doc, clip, [40, 40]);
    const ids = event.nodes.map((n) => n.id);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(doc.nodes.some((n) => n.id === id)).toBe(false);
    const conv1 = doc.nodes.find((n) => n.id === 'conv1')!.position;
    expect(event.nodes[0].position).toEqual([conv1[0] + 40, conv1[1] + 40]);
    const next = reduce(doc, event);
    expect(next.nodes).toHaveLength(doc.nodes.length + 3);
    expect(next.edges).toHaveLength(doc.edges.length + 2);
    expect(event.edges.every((e) => ids.includes(e.from.node) && ids.includes(e.to.node))).toBe(true);
    // The pasted chain has no input, so its first conv says so; the rest stays quiet.
    const a = analyze(next);
    expect(a.diagnostics.some((d) => d.node === ids[0])).toBe(true);
  });

  it('finds fresh ids', () => {
    const doc = betaVae();
    expect(freshId(doc, 'conv2d')).toBe('conv2d1');
    expect(freshId(doc, 'conv1')).toBe('conv3');
    expect(freshId(doc, 'conv2d-transpose')).toBe('conv2d_transpose1');
  });
});

describe('opening files', () => {
  it('refuses malformed JSON, foreign files, unknown types and unknown ports', () => {
    expect(openText('{ nope').ok).toBe(false);
    expect(openText(JSON.stringify({ format: 'other', version: 1, nodes: [], edges: [] })).ok).toBe(false);
    const doc = emptyDocument();
    doc.nodes.push({ id: 'x', type: 'teleporter', params: {}, position: [0, 0] });
    expect(checkOpenable(doc)).toHaveLength(1);
    const vae = betaVae();
    vae.edges.push({ from: { node: 'conv1', port: 'nope' }, to: { node: 'conv2', port: 'input' } });
    expect(openText(JSON.stringify(vae)).ok).toBe(false);
    expect(openText(JSON.stringify(betaVae())).ok).toBe(true);
  });
});

describe('frames and notes', () => {
  it('groups nodes into a frame, one frame per node, and removing nodes empties frames', () => {
    const doc = reduce(betaVae(), { type: 'replaceDocument', doc: { ...betaVae(), frames: [] } });
    const d1 = reduce(doc, { type: 'addFrame', frame: { id: 'f1', title: 'Convs', color: 'blue', nodes: ['conv1', 'conv2', 'ghost'] } });
    expect(d1.frames).toEqual([{ id: 'f1', title: 'Convs', color: 'blue', nodes: ['conv1', 'conv2'] }]);
    const d2 = reduce(d1, { type: 'addFrame', frame: { id: 'f2', title: 'Two', color: 'red', nodes: ['conv2', 'flatten'] } });
    expect(d2.frames!.map((f) => f.nodes)).toEqual([['conv1'], ['conv2', 'flatten']]);
    const d3 = reduce(d2, { type: 'removeNodes', ids: ['conv1'] });
    expect(d3.frames!.map((f) => f.id)).toEqual(['f2']);
    expect(reduce(d3, { type: 'updateFrame', id: 'f2', title: 'Renamed' }).frames![0].title).toBe('Renamed');
    expect(reduce(d3, { type: 'removeFrame', id: 'f2' }).frames).toEqual([]);
    expect(analyze(d3).diagnostics).toEqual(analyze(reduce(betaVae(), { type: 'removeNodes', ids: ['conv1'] })).diagnostics);
  });

  it('moves a frame’s nodes and notes together in one event', () => {
    let doc = betaVae();
    doc = reduce(doc, { type: 'addNote', note: { id: 'note1', text: 'Look here', position: [0, 0] }, frame: 'encoder' });
    expect(doc.frames!.find((f) => f.id === 'encoder')!.nodes).toContain('note1');
    const moved = reduce(doc, { type: 'moveNodes', positions: { conv1: [1, 1], note1: [5, 6] } });
    expect(moved.notes![0].position).toEqual([5, 6]);
    expect(moved.nodes.find((n) => n.id === 'conv1')!.position).toEqual([1, 1]);
    expect(reduce(moved, { type: 'setNoteText', id: 'note1', text: 'New' }).notes![0].text).toBe('New');
    const gone = reduce(moved, { type: 'removeNote', id: 'note1' });
    expect(gone.notes).toEqual([]);
    expect(gone.frames!.find((f) => f.id === 'encoder')!.nodes).not.toContain('note1');
    expect(freshId(doc, 'note')).toBe('note2');
    expect(freshId(doc, 'encoder')).toBe('encoder1');
  });

  it('a batch is one edit, applied in order', () => {
    const doc = betaVae();
    const edge = { from: { node: 'conv1', port: 'output' }, to: { node: 'flatten', port: 'input' } };
    const old = { from: { node: 'conv2', port: 'output' }, to: { node: 'flatten', port: 'input' } };
    const next = reduce(doc, { type: 'batch', events: [{ type: 'disconnect', edge: old }, { type: 'connect', edge }] });
    expect(next.edges.filter((e) => e.to.node === 'flatten')).toEqual([edge]);
  });
});

describe('format version 2', () => {
  it('opens a version 1 file with the same meaning, and saves version 2 with frames and notes', () => {
    const v1 = JSON.parse(readFileSync('tests/e2e/fixtures/beta-vae-v1.json', 'utf8')) as { version: number; frames?: unknown };
    expect(v1.version).toBe(1);
    expect(v1.frames).toBeUndefined();
    const r = parse(v1);
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    expect(r.doc.version).toBe(2);
    expect(r.doc.frames).toBeUndefined();
    const now = betaVae();
    expect(r.doc.nodes.map((n) => [n.id, n.type, n.params])).toEqual(now.nodes.map((n) => [n.id, n.type, n.params]));
    expect(r.doc.edges).toEqual(now.edges);
    expect(analyze(r.doc).parts).toEqual(analyze(now).parts);
    const round = parse(JSON.parse(JSON.stringify({ ...now, notes: [{ id: 'n1', text: '<b>x</b>', position: [1, 2] }] })));
    expect(round.ok && round.doc.notes).toEqual([{ id: 'n1', text: '<b>x</b>', position: [1, 2] }]);
    expect(round.ok && round.doc.frames!.map((f) => f.title)).toEqual(now.frames!.map((f) => f.title));
  });

  it('leaves a frame member that is no node or note out (a frame only draws a box)', () => {
    const r = parse({ ...betaVae(), frames: [{ id: 'f', title: 'T', color: 'red', nodes: ['conv1', 'nope'] }] });
    expect(r.ok && r.doc.frames).toEqual([{ id: 'f', title: 'T', color: 'red', nodes: ['conv1'] }]);
  });

  it('refuses a newer version, bad frames and bad notes with a message', () => {
    const base = betaVae();
    const says = (value: unknown, pattern: RegExp) => {
      const r = parse(value);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.diagnostics.map((d) => d.message).join(' ')).toMatch(pattern);
    };
    says({ ...base, version: 3 }, /newer Wirelab/);
    says({ ...base, frames: [{ id: 'f', title: 'T', color: 'url(x)', nodes: ['conv1'] }] }, /color/);
    says({ ...base, frames: [{ id: 'f', title: 'T', color: 'red', nodes: ['conv1'] }, { id: 'g', title: 'U', color: 'red', nodes: ['conv1'] }] }, /two frames/);
    says({ ...base, notes: [{ id: 'conv1', text: 'x', position: [0, 0] }] }, /already used/);
    says({ ...base, notes: [{ id: 'n', text: 3, position: [0, 0] }] }, /notes\[0\]/);
  });
});
