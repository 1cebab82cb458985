import { describe, expect, it } from 'vitest';
import { presets } from '../../presets';
import { analyze } from '../../src/graph/analyze';
import type { GraphDocument } from '../../src/graph/document';
import { arrange, frameRect, type Rect } from '../../src/graph/layout';
import { parse } from '../../src/graph/parse';

function preset(file: string): GraphDocument {
  const r = parse(presets.find((p) => p.file === file)!.doc);
  if (!r.ok) throw new Error(file);
  return r.doc;
}
const size = (id: string) => ({ width: 180, height: id.startsWith('conv') || id.startsWith('deconv') ? 244 : 130 });
const overlap = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('arrange', () => {
  const doc = preset('beta-vae');
  const width = 900;
  const at = arrange(doc, analyze(doc).order, size, { width });
  const rect = (id: string): Rect => ({ x: at[id][0], y: at[id][1], ...size(id) });

  it('places every node, none over another, within the width', () => {
    expect(Object.keys(at).sort()).toEqual(doc.nodes.map((n) => n.id).sort());
    const ids = doc.nodes.map((n) => n.id);
    for (const a of ids) for (const b of ids) if (a < b) expect(overlap(rect(a), rect(b)), `${a} / ${b}`).toBe(false);
    for (const id of ids) expect(rect(id).x + 180).toBeLessThanOrEqual(width);
  });

  it('lays a frame out left to right, wrapping into bands, and frames do not overlap', () => {
    // conv1 feeds conv2: conv2 is right of conv1 on the same band.
    expect(at.conv2[0]).toBeGreaterThan(at.conv1[0]);
    // The encoder wraps: dense starts a band below conv1.
    expect(at.dense[1]).toBeGreaterThan(at.conv1[1] + 244);
    const frames = doc.frames!.map((f) => frameRect(f, (id) => (at[id] ? rect(id) : undefined))!);
    for (let i = 0; i < frames.length; i++) for (let j = i + 1; j < frames.length; j++) expect(overlap(frames[i], frames[j])).toBe(false);
    // In the order data flows: the encoder above the decoder.
    expect(frames[0].y + frames[0].height).toBeLessThanOrEqual(frames[1].y);
  });

  it('shares columns evenly among bands: 4 + 3, not 6 + 1', () => {
    // The encoder's seven layers (z_mean and z_log_var share one) at a width that holds six.
    const narrow = arrange(doc, analyze(doc).order, () => ({ width: 136, height: 90 }), { width: 6 * 136 + 5 * 26 + 2 * 16 + 10 });
    const bandTwo = narrow.data[1] + 90 + 36;
    for (const id of ['data', 'conv1', 'conv2', 'flatten']) expect(narrow[id][1], id).toBeLessThan(bandTwo);
    for (const id of ['dense', 'z_mean', 'z_log_var', 'sampling']) expect(narrow[id][1], id).toBeGreaterThanOrEqual(bandTwo);
    expect(narrow.conv2[0]).toBeGreaterThan(narrow.conv1[0]);
    expect(narrow.sampling[0]).toBeGreaterThan(narrow.z_mean[0]);
  });

  it('given the view, picks the width that shows the whole graph at the largest zoom', () => {
    // Compact nodes, as the editor measures them at 1280×800; the canvas less its margins.
    const compact = (id: string) => ({ width: id.startsWith('deconv') ? 153 : 136, height: id.startsWith('conv') || id.startsWith('deconv') ? 105 : 90 });
    const view = { width: 880, height: 594 };
    const p = arrange(doc, analyze(doc).order, compact, { width: view.width / 0.75, view });
    const rects = doc.nodes.map((n) => ({ x: p[n.id][0], y: p[n.id][1], ...compact(n.id) }));
    const frames = doc.frames!.map((f) => frameRect(f, (id) => rects.find((_, i) => doc.nodes[i].id === id))!);
    const x1 = Math.max(...[...rects, ...frames].map((r) => r.x + r.width));
    const y1 = Math.max(...[...rects, ...frames].map((r) => r.y + r.height));
    const zoom = Math.min(view.width / x1, view.height / y1);
    // Legible: 15 px titles at ≥ 11 px.
    expect(zoom).toBeGreaterThanOrEqual(0.75);
    // The encoder reads left to right in one row; the decoder is a row below it.
    const chain = ['data', 'conv1', 'conv2', 'flatten', 'dense', 'z_mean', 'sampling'];
    for (let i = 1; i < chain.length; i++) expect(p[chain[i]][0]).toBeGreaterThan(p[chain[i - 1]][0]);
    expect(p.dec_dense[1]).toBeGreaterThan(frames[0].y + frames[0].height);
    // Without the view, the same width gives the same or a less fitting layout.
    const plain = arrange(doc, analyze(doc).order, compact, { width: view.width / 0.75 });
    expect(Object.keys(plain).sort()).toEqual(Object.keys(p).sort());
  });

  it('handles a graph without frames, with a cycle, and notes', () => {
    const d: GraphDocument = {
      ...preset('autoencoder'),
      frames: undefined,
      notes: [{ id: 'note1', text: 'hi', position: [0, 0] }],
    };
    d.edges = [...d.edges, { from: { node: 'conv2', port: 'output' }, to: { node: 'conv1', port: 'input' } }];
    const p = arrange(d, analyze(d).order, size, { width: 1200 });
    expect(Object.keys(p)).toHaveLength(d.nodes.length + 1);
    for (const v of Object.values(p)) expect(v.every(Number.isFinite)).toBe(true);
  });
});
