// The teaching text follows the node's own params and input shapes (not a generic signature), and
// the KL's remark about its reduction is true of the loss the node computes.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import katex from 'katex';
import '@tensorflow/tfjs-backend-cpu';
import { nodeType, nodeTypes } from '../../nodes';
import { defaultParams, docText, paramProblem, type NodeDefinition } from '../../nodes/define';
import { klNode } from '../../nodes/kl';
import { reshapeNode, resolveTarget } from '../../nodes/reshape';
import { analyze, resolveParams } from '../../src/graph/analyze';
import { reduce } from '../../src/graph/events';
import type { GraphDocument } from '../../src/graph/document';
import { buildContext, inferContext, preset } from '../helpers';

/** The Keras text of a node of a document, as the inspector shows it. */
function kerasOf(doc: GraphDocument, id: string): string {
  const n = doc.nodes.find((x) => x.id === id)!;
  const def = nodeType(n.type)!;
  return docText(def.doc.keras, resolveParams(def, n.params), analyze(doc).nodes[id].inputs);
}

describe('the Keras equivalent is written from the node’s params', () => {
  const doc = preset('beta-vae');
  it('conv1 is the tutorial’s stride-2, same, relu layer', () => {
    expect(kerasOf(doc, 'conv1')).toBe('layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")');
  });
  it('every layer of the preset matches the tutorial’s line', () => {
    expect(kerasOf(doc, 'dense')).toBe('layers.Dense(16, activation="relu")');
    expect(kerasOf(doc, 'reshape')).toBe('layers.Reshape((7, 7, 64))');
    const tut = doc.nodes.filter((n) => n.type === 'conv2d-transpose').map((n) => kerasOf(doc, n.id));
    expect(tut).toContain('layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu")');
    expect(tut).toContain('layers.Conv2DTranspose(1, 3, padding="same", activation="sigmoid")');
    expect(kerasOf(doc, 'bce')).toContain('*= 28 * 28');
  });
  it('follows an edit of β and of a layer', () => {
    const betaId = doc.nodes.find((n) => n.type === 'beta-scale')!.id;
    expect(kerasOf(doc, betaId)).toContain('beta = 10');
    const edited = reduce(doc, { type: 'setParam', id: betaId, name: 'beta', value: 2.5 });
    expect(kerasOf(edited, betaId)).toContain('beta = 2.5');
    const conv = reduce(doc, { type: 'setParam', id: 'conv1', name: 'strides', value: 1 });
    expect(kerasOf(conv, 'conv1')).toBe('layers.Conv2D(32, 3, padding="same", activation="relu")');
  });
});

describe('every node type', () => {
  for (const def of nodeTypes as NodeDefinition[])
    it(`${def.type}: every param has its help, every text renders with the defaults`, () => {
      for (const [name, spec] of Object.entries(def.params)) {
        expect(spec.help.length, name).toBeGreaterThan(10);
        expect(paramProblem(name, spec, spec.default), name).toBeNull();
      }
      const p = defaultParams(def);
      expect(docText(def.doc.keras, p)).not.toMatch(/undefined|NaN|\[object/);
      expect(docText(def.doc.formula, p)).not.toMatch(/undefined|NaN|\[object/);
      // The formula is valid TeX for KaTeX, for the preset's inputs and for none.
      const doc = preset('beta-vae');
      const n = doc.nodes.find((x) => x.type === def.type);
      const inputs = n ? analyze(doc).nodes[n.id].inputs : {};
      for (const tex of [docText(def.doc.formula, p), docText(def.doc.formula, n ? resolveParams(def, n.params) : p, inputs)])
        expect(() => katex.renderToString(tex, { throwOnError: true, displayMode: true })).not.toThrow();
    });
});

describe('the KL formula and its reduction', () => {
  const mean = { reduction: 'mean' as const };
  const sum = { reduction: 'sum-latent' as const };
  it('shows the whole KL and the reduction chosen', () => {
    expect(docText(klNode.doc.formula, mean, { mean: [2], logVar: [2] })).toMatch(/\\sum_\{j=1\}\^\{2\}.*\\frac\{1\}\{B \\cdot 2\}/s);
    expect(docText(klNode.doc.formula, sum, { mean: [2], logVar: [2] })).toMatch(/\\frac1B \\sum_\{b=1\}\^\{B\} \\mathrm\{KL\}_b/);
    expect(docText(klNode.doc.keras, mean)).toContain('tf.reduce_mean(kl_loss)');
    expect(docText(klNode.doc.keras, sum)).toContain('axis=1');
  });
  it('says that 8 latent dims quarter the KL’s weight against 2, and the loss agrees', () => {
    expect(klNode.doc.remark!(mean, { mean: [8] })).toMatch(/d = 8.*÷ 8.*quarters/s);
    expect(klNode.doc.remark!(sum, { mean: [8] })).not.toMatch(/quarters/);
    // The same per-dimension KL (μ = 1, log σ² = 0: ½ per dim) over 2 and over 8 dims.
    const loss = (d: number, reduction: 'mean' | 'sum-latent') =>
      tf.tidy(() => {
        const built = klNode.build(buildContext('kl', { mean: [d], logVar: [d] }), { reduction });
        return built.apply({ mean: [tf.ones([4, d])], logVar: [tf.zeros([4, d])] }, { training: true }).loss.arraySync() as number;
      });
    expect(loss(2, 'sum-latent')).toBeCloseTo(1, 6);
    expect(loss(8, 'sum-latent')).toBeCloseTo(4, 6);
    // The whole KL grew 4×, the mean-reduced loss did not: a quarter of the weight per unit of KL.
    expect(loss(2, 'mean')).toBeCloseTo(0.5, 6);
    expect(loss(8, 'mean')).toBeCloseTo(0.5, 6);
    expect(loss(8, 'mean') / loss(8, 'sum-latent') / (loss(2, 'mean') / loss(2, 'sum-latent'))).toBeCloseTo(0.25, 6);
  });
});

describe('Reshape takes Keras’s -1', () => {
  it('infers the one free dimension, as tf.layers.reshape does', () => {
    const r = reshapeNode.inferShape({ input: [3136] }, { targetShape: [7, 7, -1] }, inferContext({ input: [3136] }));
    expect(r.ok && r.outputs.output).toEqual([7, 7, 64]);
    const keras = tf.tidy(() => (tf.layers.reshape({ targetShape: [7, 7, -1] }).apply(tf.zeros([2, 3136])) as tf.Tensor).shape);
    expect(keras).toEqual([2, 7, 7, 64]);
    expect(resolveTarget([7, 7, 64], [-1])).toEqual([3136]);
  });
  it('an invalid target says what is wrong', () => {
    expect(resolveTarget([3136], [-1, 5])).toMatch(/3,136 elements, which 5 .* does not divide/);
    expect(resolveTarget([3136], [7, 7, 65])).toMatch(/needs 3,185 elements/);
    const spec = reshapeNode.params.targetShape;
    expect(paramProblem('targetShape', spec, [-1, 7, -1])).toMatch(/only one −1/);
    expect(paramProblem('targetShape', spec, [7, 0, 64])).toMatch(/positive whole numbers/);
    expect(paramProblem('targetShape', spec, [7, Number.NaN])).toMatch(/positive whole numbers/);
    expect(paramProblem('targetShape', spec, [7, 7, -1])).toBeNull();
  });
  it('builds and runs with the -1 resolved', () => {
    const built = reshapeNode.build(buildContext('r', { input: [3136] }), { targetShape: [7, -1, 64] });
    const y = tf.tidy(() => built.apply({ input: [tf.zeros([3, 3136])] }, { training: false }).output.shape);
    expect(y).toEqual([3, 7, 7, 64]);
  });
});
