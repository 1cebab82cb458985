// Format version 2: version-1 files migrate with the same meaning; several wires into one port keep
// their order (the order of the edges), which analyze, the compiled graph and the weights key all see.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/graph/analyze';
import { emptyDocument, GRAPH_VERSION, type GraphDocument, type GraphEdge } from '../../src/graph/document';
import { migrate, parse } from '../../src/graph/parse';
import { weightsKey } from '../../src/worker/saved-weights';
import { compile } from '../../src/compile/compile';
import { preset, tf } from '../helpers';

const wire = (from: string, fromPort: string, to: string, toPort: string): GraphEdge => ({ from: { node: from, port: fromPort }, to: { node: to, port: toPort } });

/** Dataset → conv a (4 filters) and conv b (2 filters) → Concatenate → Flatten → Dense(10) → softmax CE → Objective. */
function branches(order: 'ab' | 'ba'): GraphDocument {
  const doc = emptyDocument('branches');
  doc.nodes = [
    { id: 'data', type: 'dataset', params: {}, position: [0, 0] },
    { id: 'a', type: 'conv2d', params: { filters: 4, padding: 'same' }, position: [0, 0] },
    { id: 'b', type: 'conv2d', params: { filters: 2, padding: 'same' }, position: [0, 0] },
    { id: 'cat', type: 'concatenate', params: {}, position: [0, 0] },
    { id: 'flat', type: 'flatten', params: {}, position: [0, 0] },
    { id: 'dense', type: 'dense', params: { units: 10 }, position: [0, 0] },
    { id: 'ce', type: 'categorical-cross-entropy', params: {}, position: [0, 0] },
    { id: 'objective', type: 'objective', params: {}, position: [0, 0] },
  ];
  const [first, second] = order === 'ab' ? ['a', 'b'] : ['b', 'a'];
  doc.edges = [
    wire('data', 'image', 'a', 'input'),
    wire('data', 'image', 'b', 'input'),
    wire(first, 'output', 'cat', 'inputs'),
    wire(second, 'output', 'cat', 'inputs'),
    wire('cat', 'output', 'flat', 'input'),
    wire('flat', 'output', 'dense', 'input'),
    wire('dense', 'output', 'ce', 'logits'),
    wire('data', 'label', 'ce', 'labels'),
    wire('ce', 'loss', 'objective', 'losses'),
  ];
  return doc;
}

describe('migration chain', () => {
  it('a version-1 file opens as version 2 with the same nodes, wires and settings', () => {
    const v1 = JSON.parse(readFileSync(new URL('../../presets/beta-vae.json', import.meta.url), 'utf8'));
    v1.version = 1;
    const r = parse(v1);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.doc.version).toBe(GRAPH_VERSION);
    expect(GRAPH_VERSION).toBe(2);
    expect(r.doc.nodes).toEqual(preset('beta-vae').nodes);
    expect(r.doc.edges).toEqual(preset('beta-vae').edges);
    expect(analyze(r.doc).parts.map((p) => p.params)).toEqual([69076, 65089]);
  });
  it('unknown or future versions are refused with the versions it reads', () => {
    for (const version of [0, 3, '2', null]) expect(migrate({ version })).toEqual({ problem: expect.stringMatching(/reads versions 1 to 2/) });
  });
  it('training.custom describes the user’s own images; a custom dataset without it is refused', () => {
    const doc = { ...emptyDocument(), training: { ...emptyDocument().training, dataset: 'custom', custom: { name: 'cats', shape: [32, 32, 3], classNames: ['cat', 'dog'] } } };
    const r = parse(JSON.parse(JSON.stringify(doc)));
    expect(r.ok && r.doc.training.custom).toEqual({ name: 'cats', shape: [32, 32, 3], classNames: ['cat', 'dog'] });
    const bad = parse({ ...doc, training: { dataset: 'custom' } });
    expect(!bad.ok && bad.diagnostics[0].message).toMatch(/open your images again/);
  });
});

describe('wire order', () => {
  it('analyze sees every wire in edge order, and the Dataset’s shape comes from the dataset', () => {
    const ab = analyze(branches('ab'));
    expect(ab.diagnostics).toEqual([]);
    expect(ab.nodes.cat.wires.inputs).toEqual([
      [28, 28, 4],
      [28, 28, 2],
    ]);
    expect(analyze(branches('ba')).nodes.cat.wires.inputs).toEqual([
      [28, 28, 2],
      [28, 28, 4],
    ]);
    expect(ab.nodes.cat.outputs.output).toEqual([28, 28, 6]);
    const rgb = branches('ab');
    rgb.training = { ...rgb.training, dataset: 'custom', custom: { name: 'rgb', shape: [16, 12, 3], classNames: 'abcdefghij'.split('') } };
    expect(analyze(rgb).nodes.data.outputs.image).toEqual([16, 12, 3]);
    expect(analyze(rgb).nodes.cat.outputs.output).toEqual([16, 12, 6]);
  });
  it('is part of the structure that keys saved weights; unrelated edge order is not', () => {
    expect(weightsKey(branches('ab'))).not.toBe(weightsKey(branches('ba')));
    const shuffled = branches('ab');
    shuffled.edges = [...shuffled.edges.slice(4), ...shuffled.edges.slice(0, 4)];
    expect(weightsKey(shuffled)).toBe(weightsKey(branches('ab')));
  });
  it('the compiled Concatenate stacks its wires in that order', () => {
    for (const order of ['ab', 'ba'] as const) {
      const program = compile(branches(order), tf);
      tf.tidy(() => {
        const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 4) as ReturnType<typeof tf.tensor4d>;
        const [a, b, cat] = program.run(program.feeds({ image: x }), [
          { node: 'a', port: 'output' },
          { node: 'b', port: 'output' },
          { node: 'cat', port: 'output' },
        ]);
        const expected = order === 'ab' ? tf.concat([a, b], -1) : tf.concat([b, a], -1);
        expect(tf.max(tf.abs(tf.sub(cat, expected))).dataSync()[0]).toBe(0);
      });
      program.dispose();
    }
  });
});

describe('diagnostics on several wires', () => {
  it('Add with two different shapes names both wires by their nodes and says how to fix it', () => {
    const doc = branches('ab');
    doc.nodes.find((n) => n.id === 'cat')!.type = 'add';
    doc.nodes.find((n) => n.id === 'b')!.label = 'skip';
    const d = analyze(doc).diagnostics.find((x) => x.node === 'cat');
    expect(d?.port).toBe('inputs');
    expect(d?.message).toMatch(/wire 1 \(from a\) is \[28, 28, 4\] but wire 2 \(from skip\) is \[28, 28, 2\]; Add needs equal shapes\. .*4 filters.*Concatenate/);
  });
});

describe('the weights key and your own images', () => {
  it('changes with their image shape (the first layers’ weights depend on it), not with the registered datasets', () => {
    const a = branches('ab');
    const mnist = { ...a, training: { ...a.training, dataset: 'mnist' as const } };
    const rgb = { ...a, training: { ...a.training, dataset: 'custom' as const, custom: { name: 'x', shape: [28, 28, 3], classNames: ['a', 'b'] } } };
    const rgb2 = { ...rgb, training: { ...rgb.training, custom: { ...rgb.training.custom, name: 'y', classNames: ['c', 'd', 'e'] } } };
    expect(weightsKey(mnist)).toBe(weightsKey(a));
    expect(weightsKey(rgb)).not.toBe(weightsKey(a));
    expect(weightsKey(rgb2)).toBe(weightsKey(rgb));
  });
});
