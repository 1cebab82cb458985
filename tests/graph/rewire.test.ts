import { describe, expect, it } from 'vitest';
import { nodeTypes } from '../../nodes';
import { presets } from '../../presets';
import { analyze } from '../../src/graph/analyze';
import { DEFAULT_TRAINING, type GraphDocument } from '../../src/graph/document';
import { datasetInfo } from '../../src/graph/datasets';
import { edgeId, reduce } from '../../src/graph/events';
import { addWired, fixEdit, insertOnWire, takeOut, typesForWire, wireEdit, type EditResult } from '../../src/graph/rewire';
import { parse } from '../../src/graph/parse';

function betaVae(): GraphDocument {
  const r = parse(presets.find((p) => p.file === 'beta-vae')!.doc);
  if (!r.ok) throw new Error('preset');
  return r.doc;
}
const run = (doc: GraphDocument, r: EditResult) => {
  if (!r.ok) throw new Error(r.problem);
  expect(['batch', 'connect', 'setParam']).toContain(r.event.type);
  return reduce(doc, r.event);
};
const wiresInto = (doc: GraphDocument, node: string) => doc.edges.filter((e) => e.to.node === node).map(edgeId);

describe('rewiring edits', () => {
  it('a wire into a used single input replaces the old one; a cycle is still refused', () => {
    const doc = betaVae();
    const next = run(doc, wireEdit(doc, { from: { node: 'conv1', port: 'output' }, to: { node: 'flatten', port: 'input' } }));
    expect(wiresInto(next, 'flatten')).toEqual(['conv1.output->flatten.input']);
    expect(analyze(next).nodes.flatten.outputs.output).toEqual([6272]);
    // The Objective takes several: nothing is replaced.
    const more = run(doc, wireEdit(doc, { from: { node: 'kl', port: 'loss' }, to: { node: 'objective', port: 'losses' } }));
    expect(wiresInto(more, 'objective')).toHaveLength(3);
    const cycle = wireEdit(doc, { from: { node: 'flatten', port: 'output' }, to: { node: 'conv1', port: 'input' } });
    expect(cycle.ok).toBe(false);
  });

  it('moves a wire’s end from one input to another', () => {
    const doc = betaVae();
    const moving = { from: { node: 'z_mean', port: 'output' }, to: { node: 'scatter', port: 'mean' } };
    const next = run(doc, wireEdit(doc, { from: moving.from, to: { node: 'grid', port: 'latent' } }, moving));
    expect(wiresInto(next, 'scatter')).toEqual(['data.label->scatter.label']);
    expect(wiresInto(next, 'grid')).toContain('z_mean.output->grid.latent');
    expect(wiresInto(next, 'grid')).not.toContain('sampling.z->grid.latent');
  });

  it('inserts a node on a wire and takes it out again', () => {
    let doc = betaVae();
    doc = reduce(doc, { type: 'removeNodes', ids: ['flatten'] });
    doc = run(doc, wireEdit(doc, { from: { node: 'conv2', port: 'output' }, to: { node: 'dense', port: 'input' } }));
    expect(analyze(doc).diagnostics.some((d) => d.node === 'dense' && d.fix && 'insert' in d.fix)).toBe(true);
    const added = reduce(doc, { type: 'addNode', node: { id: 'f', type: 'flatten', params: {}, position: [0, 0] } });
    const inserted = run(added, insertOnWire(added, 'f', { from: { node: 'conv2', port: 'output' }, to: { node: 'dense', port: 'input' } }));
    expect(analyze(inserted).diagnostics).toEqual([]);
    expect(analyze(inserted).parts[0].params).toBe(69_076);
    const out = run(inserted, takeOut(inserted, 'f'));
    expect(wiresInto(out, 'dense')).toEqual(['conv2.output->dense.input']);
    expect(out.edges.some((e) => e.from.node === 'f' || e.to.node === 'f')).toBe(false);
    // A loss node does not go on a tensor wire.
    const bce = reduce(doc, { type: 'addNode', node: { id: 'b', type: 'bce', params: {}, position: [0, 0] } });
    expect(insertOnWire(bce, 'b', { from: { node: 'conv2', port: 'output' }, to: { node: 'dense', port: 'input' } }).ok).toBe(false);
  });

  it('offers the node types whose input takes the wire’s kind and shape', () => {
    const types = (shape: number[] | null, kind: 'tensor' | 'loss' = 'tensor') => typesForWire(nodeTypes, { side: 'output', kind, shape }, datasetInfo(DEFAULT_TRAINING)).map((o) => o.def.type);
    const image = types([7, 7, 64]);
    expect(image).toContain('flatten');
    expect(image).toContain('conv2d');
    expect(image).not.toContain('dense');
    expect(image).not.toContain('beta-scale');
    const vector = types([3136]);
    expect(vector).toContain('dense');
    expect(vector).not.toContain('conv2d');
    expect(types(null, 'loss').sort()).toEqual(['beta-scale', 'objective']);
    const doc = betaVae();
    const r = addWired(doc, 'flatten', [0, 0], { node: 'conv2', port: 'output', side: 'output' }, 'input');
    expect(r.ok && r.id).toBe('flatten1');
    expect(analyze(run(doc, r)).nodes.flatten1.outputs.output).toEqual([3136]);
  });

  it('applies a diagnostic’s fix: set units upstream to match μ', () => {
    const doc = reduce(betaVae(), { type: 'setParam', id: 'z_log_var', name: 'units', value: 3 });
    const d = analyze(doc).diagnostics.find((x) => x.node === 'sampling' && x.fix)!;
    expect(d.fix!.label).toBe('Set units to 2 to match μ');
    const fixed = run(doc, fixEdit(doc, d.node!, d.port, d.fix!));
    expect(analyze(fixed).diagnostics).toEqual([]);
  });
});
