// Plots of colour images: the reconstructions of an RGB dataset keep their three channels, and the
// renderer draws them in colour.
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile';
import { emptyDocument } from '../../src/graph/document';
import type { ImageSet } from '../../src/train/data';
import { computePlots } from '../../src/train/plots';
import { drawPlotCanvas } from '../../src/cli/plot-canvas';
import { tf } from '../helpers';

describe('colour images', () => {
  it('reconstructions of 8×6 RGB images are RGB, and render in colour', async () => {
    const doc = emptyDocument('rgb');
    doc.training = { ...doc.training, dataset: 'custom', custom: { name: 'rgb', shape: [8, 6, 3], classNames: ['a', 'b'] } };
    const n = (id: string, type: string, params = {}) => ({ id, type, params, position: [0, 0] as [number, number] });
    doc.nodes = [n('data', 'dataset'), n('conv', 'conv2d', { filters: 3, padding: 'same', activation: 'sigmoid' }), n('bce', 'bce'), n('objective', 'objective'), n('recon', 'reconstructions', { count: 2 })];
    const w = (a: string, ap: string, b: string, bp: string) => ({ from: { node: a, port: ap }, to: { node: b, port: bp } });
    doc.edges = [w('data', 'image', 'conv', 'input'), w('data', 'image', 'bce', 'target'), w('conv', 'output', 'bce', 'prediction'), w('bce', 'loss', 'objective', 'losses'), w('data', 'image', 'recon', 'original'), w('conv', 'output', 'recon', 'reconstruction')];
    // Pure red and pure blue images.
    const pixels = new Uint8Array(4 * 8 * 6 * 3);
    for (let i = 0; i < 4 * 48; i++) pixels[i * 3 + (Math.floor(i / 48) % 2 ? 2 : 0)] = 255;
    const set: ImageSet = { pixels, labels: Uint8Array.from([0, 1, 0, 1]), count: 4, shape: [8, 6, 3] };
    const program = compile(doc, tf);
    const { plots, skipped } = await computePlots(tf, program, doc, { train: set, test: set, classNames: ['a', 'b'] });
    expect(skipped).toEqual([]);
    const recon = plots[0];
    expect(recon.kind).toBe('reconstructions');
    if (recon.kind !== 'reconstructions') return;
    expect([recon.image.width, recon.image.height, recon.image.channels]).toEqual([12, 16, 3]);
    // Top row: the originals, red then blue.
    expect(Array.from(recon.image.pixels.subarray(0, 3))).toEqual([255, 0, 0]);
    expect(Array.from(recon.image.pixels.subarray(6 * 3, 6 * 3 + 3))).toEqual([0, 0, 255]);
    const { canvas } = drawPlotCanvas(recon, { imageScale: 1 });
    const rgba = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let red = 0;
    let blue = 0;
    for (let i = 0; i < rgba.length; i += 4) {
      if (rgba[i] === 255 && rgba[i + 1] === 0 && rgba[i + 2] === 0) red++;
      if (rgba[i] === 0 && rgba[i + 1] === 0 && rgba[i + 2] === 255) blue++;
    }
    expect(red).toBeGreaterThanOrEqual(48);
    expect(blue).toBeGreaterThanOrEqual(48);
    program.dispose();
  });
});
