// The one-line summary a compact node shows on the canvas, read from each param's own spec.
import { describe, expect, it } from 'vitest';
import { nodeType, nodeTypes } from '../../nodes';
import { defaultParams, paramSummary } from '../../nodes/define';
import { presets } from '../../presets';
import { parse } from '../../src/graph/parse';

const summaryOf = (type: string, params: Record<string, unknown> = {}) => paramSummary(nodeType(type)!, params as never);

describe('paramSummary', () => {
  it("says the β-VAE's layers as the tutorial writes them", () => {
    const r = parse(presets.find((p) => p.file === 'beta-vae')!.doc);
    if (!r.ok) throw new Error('preset');
    const byId = new Map(r.doc.nodes.map((n) => [n.id, paramSummary(nodeType(n.type)!, n.params)]));
    expect(byId.get('conv1')).toBe('32 filters · 3×3 · stride 2 · same · relu');
    expect(byId.get('deconv3')).toBe('1 filter · 3×3 · same · sigmoid');
    expect(byId.get('dec_dense')).toBe('3,136 units · relu');
    expect(byId.get('reshape')).toBe('7×7×64');
    expect(byId.get('beta')).toBe('β 10');
    expect(byId.get('bce')).toBe('mean × pixels');
    expect(byId.get('scatter')).toBe('5,000 images · dims 0, 1');
    expect(byId.get('flatten')).toBe('');
  });

  it('follows the params: defaults left out where Keras leaves them out, changes shown', () => {
    expect(summaryOf('conv2d')).toBe('32 filters · 3×3 · valid · linear');
    expect(summaryOf('conv2d', { strides: 3, useBias: false })).toBe('32 filters · 3×3 · stride 3 · valid · linear · no bias');
    expect(summaryOf('max-pooling2d', { strides: 1 })).toBe('2×2 · stride 1 · valid');
    expect(summaryOf('activation', { activation: 'relu' })).toBe('relu');
    expect(summaryOf('activation', { activation: 'leaky-relu', alpha: 0.2 })).toBe('leaky relu · α 0.2');
    expect(summaryOf('latent-scatter', { projection: 'pca' })).toBe('5,000 images · PCA');
    expect(summaryOf('dropout', { rate: 0.25 })).toBe('rate 0.25');
  });

  it('gives every registered type a short line at its defaults', () => {
    for (const def of nodeTypes) {
      const text = paramSummary(def, defaultParams(def));
      expect(text, def.type).not.toMatch(/undefined|NaN|null|\[object/);
      expect(text.length, def.type).toBeLessThanOrEqual(48);
      if (Object.keys(def.params).length) expect(text, def.type).not.toBe('');
    }
  });
});
