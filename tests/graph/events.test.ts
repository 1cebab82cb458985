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
    expect(event.nodes[0].position).toEqual([300, 40]);
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
