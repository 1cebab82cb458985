// The plots on a real 2D canvas (@napi-rs/canvas here, OffscreenCanvas in the page's plot worker:
// the same src/train/draw.ts): real pixels — text in the shipped font, antialiased points, image
// tiles at their scale, shared axes.
import { describe, expect, it } from 'vitest';
import { drawPlotCanvas } from '../../src/cli/plot-canvas';
import { classColour, scatterLimits, scatterPixel, TAB10, unionLimits, type DrawOptions } from '../../src/train/draw';
import type { LatentGridPlot, LatentScatterPlot, Plot } from '../../src/train/plot-types';

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** A drawn plot's pixels, and a reader of one pixel's RGB. */
function pixels(plot: Plot, opts: DrawOptions = {}) {
  const { canvas, drawn } = drawPlotCanvas(plot, opts);
  const rgba = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  expect([canvas.width, canvas.height]).toEqual([drawn.width, drawn.height]);
  const at = (x: number, y: number) => {
    const o = (Math.floor(y) * canvas.width + Math.floor(x)) * 4;
    return [rgba[o], rgba[o + 1], rgba[o + 2]];
  };
  return { drawn, at, width: canvas.width, height: canvas.height };
}

const isWhite = (c: number[]) => c.every((v) => v === 255);

function scatter(points: number[], labels: number[]): LatentScatterPlot {
  return {
    kind: 'latent-scatter',
    nodeId: 's',
    points: Float32Array.from(points),
    labels: Uint8Array.from(labels),
    imageIndex: Uint32Array.from(labels.map((_, i) => i)),
    classNames: CLASSES,
    axes: ['z[0]', 'z[1]'],
    projection: 'dims',
    latentDims: 2,
  };
}

/** A ring of ten classes, radius r. */
function ring(r: number): LatentScatterPlot {
  const pts: number[] = [];
  const labels: number[] = [];
  for (let l = 0; l < 10; l++) {
    pts.push(Math.cos(l) * r * (1 + l / 10), Math.sin(l) * r * (1 + l / 10));
    labels.push(l);
  }
  return scatter(pts, labels);
}

describe('the scatter', () => {
  it('draws each point as an antialiased disk in its class’s colour', () => {
    const plot = ring(3);
    const { drawn, at } = pixels(plot, { size: 200, pointRadius: 3 });
    for (let l = 0; l < 10; l++) {
      const [x, y] = scatterPixel(drawn.frame!, plot.points[2 * l], plot.points[2 * l + 1]);
      expect(at(x, y), `class ${l}`).toEqual([...classColour(l)]);
      // The disk's rim blends into the background: shades between white and the colour.
      const rim = [at(x + 3, y), at(x - 3, y), at(x, y + 3), at(x, y - 3), at(x + 2.5, y + 2.5)];
      const blended = rim.filter((c) => !isWhite(c) && c.join() !== classColour(l).join());
      expect(blended.length, `class ${l} rim`).toBeGreaterThan(0);
    }
  });

  it('writes tick labels, axis names and the legend in a real (antialiased) font', () => {
    const { drawn, at, width, height } = pixels(ring(2), { size: 240 });
    const f = drawn.frame!;
    // Below the plot: tick labels and the x axis name; grey levels show antialiased glyphs.
    const greys = new Set<number>();
    let ink = 0;
    for (let y = f.top + f.height + 2; y < height; y++)
      for (let x = 0; x < width; x++) {
        const c = at(x, y);
        if (c[0] === c[1] && c[1] === c[2] && c[0] < 250) {
          ink++;
          greys.add(c[0]);
        }
      }
    expect(ink).toBeGreaterThan(150);
    expect(greys.size).toBeGreaterThan(20);
    // Legend: right of the plot, a solid swatch of every class colour.
    const count = (c: readonly number[]) => {
      let n = 0;
      for (let y = 0; y < height; y++) for (let x = f.left + f.width + 2; x < width; x++) if (at(x, y).join() === c.join()) n++;
      return n;
    };
    TAB10.forEach((c) => expect(count(c)).toBeGreaterThanOrEqual(64));
  });

  it('two scatters given shared limits get the same axes, and the narrow one looks narrow', () => {
    const wide = ring(20); // μ of a β = 0 run: ten times wider
    const narrow = ring(2);
    const limits = unionLimits([scatterLimits(wide.points), scatterLimits(narrow.points)]);
    const a = pixels(wide, { size: 300, limits });
    const b = pixels(narrow, { size: 300, limits });
    expect(b.drawn.frame).toEqual(a.drawn.frame);
    expect([b.width, b.height]).toEqual([a.width, a.height]);
    /** Width of the box the coloured points cover, in pixels. */
    const spread = (p: ReturnType<typeof pixels>) => {
      const f = p.drawn.frame!;
      let [lo, hi] = [Infinity, -Infinity];
      for (let y = f.top + 2; y < f.top + f.height - 2; y++)
        for (let x = f.left + 2; x < f.left + f.width - 2; x++) {
          const c = p.at(x, y);
          if (Math.max(...c) - Math.min(...c) > 60) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
        }
      return hi - lo;
    };
    expect(spread(a) / spread(b)).toBeGreaterThan(6);
    // Without shared limits each would fill its own plot.
    expect(spread(pixels(narrow, { size: 300 })) / spread(b)).toBeGreaterThan(6);
  });
});

describe('images', () => {
  const grid = (channels: number): LatentGridPlot => ({
    kind: 'latent-grid',
    nodeId: 'g',
    n: 2,
    xs: [-1, 1],
    ys: [1, -1],
    dimX: 0,
    dimY: 1,
    image: { width: 4, height: 4, channels, pixels: new Uint8ClampedArray(16 * channels).map((_, i) => (channels === 1 ? i * 16 : i % 3 === 0 ? 200 : 10)) },
  });

  it('draws the grid’s tiles at their scale, with its frame mapping latent coordinates to tiles', () => {
    const plot = grid(1);
    const { drawn, at, width } = pixels(plot, { imageScale: 3 });
    const f = drawn.frame!;
    expect([f.width, f.height]).toEqual([12, 12]);
    for (let k = 0; k < 16; k++) expect(at(f.left + (k % 4) * 3 + 1, f.top + Math.floor(k / 4) * 3 + 1)).toEqual([k * 16, k * 16, k * 16]);
    for (const [i, j] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
      const [px, py] = scatterPixel(f, plot.xs[j], plot.ys[i]);
      expect(Math.floor((px - f.left) / 6)).toBe(j);
      expect(Math.floor((py - f.top) / 6)).toBe(i);
    }
    // Tick labels and the axis name left of the image.
    let ink = 0;
    for (let y = 0; y < drawn.height; y++) for (let x = 0; x < f.left - 4; x++) if (at(x, y)[0] < 128) ink++;
    expect(ink).toBeGreaterThan(30);
    expect(width).toBeGreaterThan(f.left + 12);
  });

  it('takes images of any channel count: RGB tiles keep their colour', () => {
    const { drawn, at } = pixels(grid(3), { imageScale: 3, axes: false });
    expect(drawn.width).toBe(12);
    expect(at(1, 1)).toEqual([200, 10, 10]);
  });
});
