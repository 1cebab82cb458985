import { describe, expect, it } from 'vitest';
import { analyze, connectionProblem } from '../../src/graph/analyze';
import { parse } from '../../src/graph/parse';
import type { GraphDocument } from '../../src/graph/document';
import { preset } from '../helpers';

const withDoc = (edit: (doc: GraphDocument) => void, name = 'beta-vae') => {
  const doc = preset(name);
  edit(doc);
  return analyze(doc);
};
const node = (doc: GraphDocument, id: string) => doc.nodes.find((n) => n.id === id)!;
const messagesFor = (a: ReturnType<typeof analyze>, id: string) => a.diagnostics.filter((d) => d.node === id).map((d) => d.message);

describe('the β-VAE preset against the tutorial’s Keras summary', () => {
  const a = analyze(preset('beta-vae'));
  const row = (id: string) => [a.nodes[id].outputs.output ?? a.nodes[id].outputs.z, a.nodes[id].params];

  it('has no diagnostics', () => expect(a.diagnostics).toEqual([]));
  it('matches the encoder node by node', () => {
    expect(row('conv1')).toEqual([[14, 14, 32], 320]);
    expect(row('conv2')).toEqual([[7, 7, 64], 18496]);
    expect(row('flatten')).toEqual([[3136], 0]);
    expect(row('dense')).toEqual([[16], 50192]);
    expect(row('z_mean')).toEqual([[2], 34]);
    expect(row('z_log_var')).toEqual([[2], 34]);
    expect(row('sampling')).toEqual([[2], 0]);
  });
  it('matches the decoder node by node', () => {
    expect(row('dec_dense')).toEqual([[3136], 9408]);
    expect(row('reshape')).toEqual([[7, 7, 64], 0]);
    expect(row('deconv1')).toEqual([[14, 14, 64], 36928]);
    expect(row('deconv2')).toEqual([[28, 28, 32], 18464]);
    expect(row('deconv3')).toEqual([[28, 28, 1], 289]);
  });
  it('totals 69,076 for the encoder and 65,089 for the decoder', () => {
    expect(a.parts.map((p) => [p.name, p.params])).toEqual([
      ['encoder', 69076],
      ['decoder', 65089],
    ]);
    expect(a.parts[0].nodes).toEqual(['conv1', 'conv2', 'flatten', 'dense', 'z_mean', 'z_log_var']);
  });
  it('orders every node after its inputs', () => {
    const doc = preset('beta-vae');
    const at = new Map(a.order.map((id, i) => [id, i]));
    expect(a.order).toHaveLength(doc.nodes.length);
    for (const e of doc.edges) expect(at.get(e.from.node)!).toBeLessThan(at.get(e.to.node)!);
  });
});

describe('every preset', () => {
  for (const name of ['beta-vae', 'vae-beta0', 'autoencoder'])
    it(`${name} parses and analyses clean`, () => {
      expect(analyze(preset(name)).diagnostics).toEqual([]);
    });
  it('β = 0 differs from β = 10 only in β', () => {
    const a = preset('beta-vae');
    const b = preset('vae-beta0');
    expect(node(a, 'beta').params.beta).toBe(10);
    expect(node(b, 'beta').params.beta).toBe(0);
    node(b, 'beta').params.beta = 10;
    expect(b.nodes).toEqual(a.nodes);
    expect(b.edges).toEqual(a.edges);
  });
  it('the autoencoder is one model with no Sampling and no KL', () => {
    const doc = preset('autoencoder');
    expect(doc.nodes.some((n) => n.type === 'sampling' || n.type === 'kl')).toBe(false);
    expect(analyze(doc).parts.map((p) => p.name)).toEqual(['model']);
  });
});

describe('diagnostics name the node and say how to fix it', () => {
  it('Dense fed a 4-D tensor: insert Flatten', () => {
    const a = withDoc((doc) => {
      doc.edges = doc.edges.filter((e) => e.to.node !== 'dense');
      doc.edges.push({ from: { node: 'conv2', port: 'output' }, to: { node: 'dense', port: 'input' } });
    });
    expect(messagesFor(a, 'dense').join()).toMatch(/insert Flatten/);
    expect(a.diagnostics.find((d) => d.node === 'dense')!.port).toBe('input');
  });
  it('Reshape with the wrong element count gives both counts', () => {
    const a = withDoc((doc) => (node(doc, 'reshape').params.targetShape = [7, 7, 32]));
    expect(messagesFor(a, 'reshape').join()).toMatch(/1,568.*3,136/);
  });
  it('BCE target and prediction shapes differ', () => {
    const a = withDoc((doc) => (node(doc, 'deconv3').params.filters = 3));
    expect(messagesFor(a, 'bce').join()).toMatch(/target is \[28, 28, 1\] but prediction is \[28, 28, 3\]/);
  });
  it('KL’s μ and log σ² differ', () => {
    const a = withDoc((doc) => (node(doc, 'z_log_var').params.units = 3));
    expect(messagesFor(a, 'kl').join()).toMatch(/same number of units/);
  });
  it('a cycle', () => {
    const a = withDoc((doc) => {
      doc.edges = doc.edges.filter((e) => e.to.node !== 'conv1');
      doc.edges.push({ from: { node: 'conv2', port: 'output' }, to: { node: 'conv1', port: 'input' } });
    });
    expect(messagesFor(a, 'conv1').join()).toMatch(/cycle/);
    expect(messagesFor(a, 'conv2').join()).toMatch(/cycle/);
  });
  it('a required input left unconnected', () => {
    const a = withDoc((doc) => (doc.edges = doc.edges.filter((e) => e.to.node !== 'conv1')));
    expect(a.diagnostics.find((d) => d.node === 'conv1')).toMatchObject({ port: 'input', message: expect.stringMatching(/needs an input/) });
  });
  it('a loss wired into a tensor port', () => {
    const a = withDoc((doc) => {
      doc.edges = doc.edges.filter((e) => e.to.node !== 'flatten');
      doc.edges.push({ from: { node: 'kl', port: 'loss' }, to: { node: 'flatten', port: 'input' } });
    });
    expect(messagesFor(a, 'flatten').join()).toMatch(/A loss cannot feed.*β-scale or the Objective/);
  });
  it('nothing wired into the Objective', () => {
    const a = withDoc((doc) => (doc.edges = doc.edges.filter((e) => e.to.node !== 'objective')));
    expect(messagesFor(a, 'objective').join()).toMatch(/Nothing is wired into the Objective/);
  });
  it('a param out of range', () => {
    const a = withDoc((doc) => (node(doc, 'conv1').params.strides = 9));
    expect(messagesFor(a, 'conv1').join()).toMatch(/Strides \(strides\) is 9; set it between 1 and 4/);
  });
  it('an unknown node type', () => {
    const a = withDoc((doc) => doc.nodes.push({ id: 'x', type: 'lstm', params: {}, position: [0, 0] }));
    expect(messagesFor(a, 'x').join()).toMatch(/Unknown node type "lstm"/);
  });
  it('an unknown port', () => {
    const a = withDoc((doc) => doc.edges.push({ from: { node: 'conv1', port: 'output' }, to: { node: 'kl', port: 'sigma' } }));
    expect(a.diagnostics.find((d) => d.node === 'kl')).toMatchObject({ port: 'sigma', message: expect.stringMatching(/no input "sigma".*mean, logVar/) });
  });
  it('stays quiet downstream of a problem', () => {
    const a = withDoc((doc) => (node(doc, 'reshape').params.targetShape = [7, 7, 32]));
    expect(a.diagnostics.map((d) => d.node)).toEqual(['reshape']);
  });
});

describe('connectionProblem refuses impossible wires', () => {
  const doc = preset('beta-vae');
  it('a loss into a tensor port', () =>
    expect(connectionProblem(doc, { from: { node: 'bce', port: 'loss' }, to: { node: 'grid', port: 'image' } })).toMatch(/loss cannot feed/));
  it('a second wire into a single input', () =>
    expect(connectionProblem(doc, { from: { node: 'conv1', port: 'output' }, to: { node: 'flatten', port: 'input' } })).toMatch(/already has a wire/));
  it('a cycle', () => {
    const d = structuredClone(doc);
    d.edges = d.edges.filter((e) => e.to.node !== 'conv1');
    expect(connectionProblem(d, { from: { node: 'conv2', port: 'output' }, to: { node: 'conv1', port: 'input' } })).toMatch(/cycle/);
  });
  it('allows a good wire and several losses into the Objective', () => {
    expect(connectionProblem(doc, { from: { node: 'kl', port: 'loss' }, to: { node: 'objective', port: 'losses' } })).toBeNull();
  });
});

describe('parse never throws on user data', () => {
  const bad: unknown[] = [null, 42, 'x', [], {}, { format: 'other' }, { format: 'wirelab.graph', version: 99, nodes: [], edges: [] },
    { format: 'wirelab.graph', version: 1, nodes: [{ id: 1 }], edges: [{}] },
    { format: 'wirelab.graph', version: 1, nodes: [{ id: 'a', type: 'dense', params: [16] }], edges: [] },
    { format: 'wirelab.graph', version: 1, nodes: [], edges: [], training: { batchSize: -1, optimizer: 'lbfgs' } }];
  for (const value of bad)
    it(`reports ${JSON.stringify(value)}`, () => {
      const r = parse(value);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.diagnostics.length).toBeGreaterThan(0);
    });
  it('params are a keyed object, never a positional list', () => {
    const r = parse({ format: 'wirelab.graph', version: 1, nodes: [{ id: 'a', type: 'dense', params: [16] }], edges: [] });
    expect(!r.ok && r.diagnostics[0].message).toMatch(/not a list/);
  });
});
