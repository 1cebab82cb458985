// Plots to RGBA pixels, with no canvas: the CLI writes them as PNG, and the page can put them in an
// ImageData. Axes with tick labels, the scatter's legend, text in a 5×7 bitmap font.
import type { GreyImage, LatentGridPlot, LatentScatterPlot, Plot, ReconstructionsPlot } from './plot-types';
import { ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './render-font';

export type Colour = readonly [number, number, number];

/** Matplotlib's tab10: the class colours, by label. */
export const TAB10: readonly Colour[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

export const classColour = (label: number): Colour => TAB10[label % TAB10.length];

const WHITE: Colour = [255, 255, 255];
const INK: Colour = [34, 34, 34];

export interface RenderOptions {
  /** Each image pixel becomes scale×scale screen pixels (grid and reconstructions; default 2). */
  imageScale?: number;
  /** Each font pixel becomes scale×scale screen pixels (default 2; the font is 5×7). */
  textScale?: number;
  /** The scatter's plotting area, square, in pixels (default 400). */
  size?: number;
  /** The scatter's dot radius in pixels (default 2). */
  pointRadius?: number;
  /** Axes, tick labels, legend and row labels; false for a bare thumbnail (default true). */
  axes?: boolean;
}

/** Where data lands: the plotting area in pixels, and the data range it spans (y up). */
export interface PlotFrame {
  left: number;
  top: number;
  width: number;
  height: number;
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

export interface RenderedPlot {
  width: number;
  height: number;
  /** Row-major RGBA, 4 bytes a pixel, opaque. */
  rgba: Uint8ClampedArray;
  /** The plotting area, mapping data to pixels (scatterPixel): the scatter's axes; the grid's latent coordinates over its tiles. */
  frame?: PlotFrame;
}

/** The pixel (column, row) a data point falls on in a rendered scatter. */
export function scatterPixel(frame: PlotFrame, x: number, y: number): [number, number] {
  return [
    Math.round(frame.left + ((x - frame.xMin) / (frame.xMax - frame.xMin)) * (frame.width - 1)),
    Math.round(frame.top + ((frame.yMax - y) / (frame.yMax - frame.yMin)) * (frame.height - 1)),
  ];
}

/** Width of a line of text in pixels. */
export const textWidth = (text: string, scale = 1): number => (text.length ? (text.length * ADVANCE - 1) * scale : 0);
export const textHeight = (scale = 1): number => GLYPH_HEIGHT * scale;

/** An RGBA image to draw on. */
export class Raster {
  readonly rgba: Uint8ClampedArray;
  constructor(
    readonly width: number,
    readonly height: number,
    background: Colour = WHITE,
  ) {
    this.rgba = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) this.rgba.set([background[0], background[1], background[2], 255], i * 4);
  }

  pixel(x: number, y: number, c: Colour): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 4;
    this.rgba[o] = c[0];
    this.rgba[o + 1] = c[1];
    this.rgba[o + 2] = c[2];
    this.rgba[o + 3] = 255;
  }

  rect(x: number, y: number, w: number, h: number, c: Colour): void {
    for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) this.pixel(i, j, c);
  }

  /** A one-pixel outline just outside the given box. */
  outline(x: number, y: number, w: number, h: number, c: Colour): void {
    this.rect(x - 1, y - 1, w + 2, 1, c);
    this.rect(x - 1, y + h, w + 2, 1, c);
    this.rect(x - 1, y, 1, h, c);
    this.rect(x + w, y, 1, h, c);
  }

  disk(cx: number, cy: number, r: number, c: Colour): void {
    const rr = r * r + r * 0.8;
    const R = Math.ceil(r);
    for (let dy = -R; dy <= R; dy++) for (let dx = -R; dx <= R; dx++) if (dx * dx + dy * dy <= rr) this.pixel(cx + dx, cy + dy, c);
  }

  /** Text with its top-left corner at (x, y); vertical text reads bottom to top, as a y-axis label. */
  text(x: number, y: number, text: string, c: Colour, scale = 1, vertical = false): void {
    const w = textWidth(text, scale);
    for (let k = 0; k < text.length; k++) {
      const cols = glyph(text[k]);
      for (let col = 0; col < GLYPH_WIDTH; col++)
        for (let row = 0; row < GLYPH_HEIGHT; row++) {
          if (!((cols[col] >> row) & 1)) continue;
          const u = (k * ADVANCE + col) * scale;
          const v = row * scale;
          if (vertical) this.rect(x + v, y + w - u - scale, scale, scale, c);
          else this.rect(x + u, y + v, scale, scale, c);
        }
    }
  }

  /** A grey or RGB image, each pixel scale×scale. */
  grey(img: GreyImage, x: number, y: number, scale = 1): void {
    const c = img.channels ?? 1;
    for (let j = 0; j < img.height; j++)
      for (let i = 0; i < img.width; i++) {
        const o = (j * img.width + i) * c;
        const px = img.pixels;
        this.rect(x + i * scale, y + j * scale, scale, scale, c === 3 ? [px[o], px[o + 1], px[o + 2]] : [px[o], px[o], px[o]]);
      }
  }

  result(frame?: PlotFrame): RenderedPlot {
    return frame ? { width: this.width, height: this.height, rgba: this.rgba, frame } : { width: this.width, height: this.height, rgba: this.rgba };
  }
}

export function renderPlot(plot: Plot, opts: RenderOptions = {}): RenderedPlot {
  switch (plot.kind) {
    case 'latent-grid':
      return renderGrid(plot, opts);
    case 'latent-scatter':
      return renderScatter(plot, opts);
    case 'reconstructions':
      return renderReconstructions(plot, opts);
  }
}

/** As np.round(v, 1) prints in the tutorial's tick labels: −1.6, −0.2, 0.2, 2.0. */
export const tick1 = (v: number): string => (Math.round(v * 10) / 10).toFixed(1);

function renderGrid(plot: LatentGridPlot, opts: RenderOptions): RenderedPlot {
  const s = opts.imageScale ?? 2;
  const ts = opts.textScale ?? 2;
  const imgW = plot.image.width * s;
  const imgH = plot.image.height * s;
  // The image spans half a step beyond the first and last tile centres.
  const half = (v: number[]) => (v.length > 1 ? Math.abs(v[v.length - 1] - v[0]) / (v.length - 1) / 2 : 1);
  const frameOf = (left: number, top: number): PlotFrame => ({
    left,
    top,
    width: imgW,
    height: imgH,
    xMin: plot.xs[0] - half(plot.xs),
    xMax: plot.xs[plot.n - 1] + half(plot.xs),
    yMin: plot.ys[plot.n - 1] - half(plot.ys),
    yMax: plot.ys[0] + half(plot.ys),
  });
  if (opts.axes === false) {
    const r = new Raster(imgW, imgH);
    r.grey(plot.image, 0, 0, s);
    return r.result(frameOf(0, 0));
  }
  const { pad, gap, tick, charH } = metrics(ts);
  const xl = plot.xs.map(tick1);
  const yl = plot.ys.map(tick1);
  const tileW = imgW / plot.n;
  const tileH = imgH / plot.n;
  const left = pad + charH + gap + Math.max(...yl.map((l) => textWidth(l, ts))) + gap + tick;
  const top = pad + Math.max(0, Math.ceil(charH / 2 - tileH / 2));
  const right = pad + Math.max(0, Math.ceil(textWidth(xl[plot.n - 1], ts) / 2 - tileW / 2));
  const bottom = tick + gap + charH + gap + charH + pad;
  const r = new Raster(left + imgW + right, top + imgH + bottom);
  r.grey(plot.image, left, top, s);
  r.outline(left, top, imgW, imgH, INK);
  // Every tile gets a tick; a label only where it clears the last one drawn (small tiles, many of them).
  let clearX = -Infinity;
  let clearY = -Infinity;
  for (let i = 0; i < plot.n; i++) {
    const cx = Math.round(left + (i + 0.5) * tileW);
    r.rect(cx, top + imgH + 1, Math.max(1, ts >> 1), tick, INK);
    const lx = cx - Math.floor(textWidth(xl[i], ts) / 2);
    if (lx >= clearX) {
      r.text(lx, top + imgH + 1 + tick + gap, xl[i], INK, ts);
      clearX = lx + textWidth(xl[i], ts) + gap;
    }
    const cy = Math.round(top + (i + 0.5) * tileH);
    r.rect(left - 1 - tick, cy, tick, Math.max(1, ts >> 1), INK);
    const ly = cy - Math.floor(charH / 2);
    if (ly >= clearY) {
      r.text(left - 1 - tick - gap - textWidth(yl[i], ts), ly, yl[i], INK, ts);
      clearY = ly + charH + gap;
    }
  }
  const xName = `z[${plot.dimX}]`;
  const yName = `z[${plot.dimY}]`;
  r.text(left + Math.round((imgW - textWidth(xName, ts)) / 2), top + imgH + 1 + tick + gap + charH + gap, xName, INK, ts);
  r.text(pad, top + Math.round((imgH - textWidth(yName, ts)) / 2), yName, INK, ts, true);
  return r.result(frameOf(left, top));
}

function metrics(ts: number) {
  return { pad: 6 * ts, gap: 3 * ts, tick: 3 * ts, charH: textHeight(ts) };
}

/** About `count` round tick values (1, 2 or 5 × 10ᵏ apart) within [min, max]. */
export function niceTicks(min: number, max: number, count = 5): { values: number[]; decimals: number } {
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => st >= raw) ?? 10 * mag;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const values: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) values.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return { values, decimals };
}

/** The data range of the scatter's points, padded by 5 % (±1 about a single value). */
function scatterRange(points: Float32Array): { xMin: number; xMax: number; yMin: number; yMax: number } {
  let [xMin, xMax, yMin, yMax] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < points.length; i += 2) {
    const x = points[i];
    const y = points[i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    xMin = Math.min(xMin, x);
    xMax = Math.max(xMax, x);
    yMin = Math.min(yMin, y);
    yMax = Math.max(yMax, y);
  }
  const padded = (lo: number, hi: number): [number, number] => {
    if (!Number.isFinite(lo)) return [-1, 1];
    if (hi - lo < 1e-9) return [lo - 1, hi + 1];
    const m = (hi - lo) * 0.05;
    return [lo - m, hi + m];
  };
  [xMin, xMax] = padded(xMin, xMax);
  [yMin, yMax] = padded(yMin, yMax);
  return { xMin, xMax, yMin, yMax };
}

function renderScatter(plot: LatentScatterPlot, opts: RenderOptions): RenderedPlot {
  const size = opts.size ?? 400;
  const ts = opts.textScale ?? 2;
  const radius = opts.pointRadius ?? 2;
  const range = scatterRange(plot.points);
  const axes = opts.axes !== false;
  const { pad, gap, tick, charH } = metrics(ts);
  const xt = niceTicks(range.xMin, range.xMax);
  const yt = niceTicks(range.yMin, range.yMax);
  const xl = xt.values.map((v) => v.toFixed(xt.decimals));
  const yl = yt.values.map((v) => v.toFixed(yt.decimals));
  const present = new Set(plot.labels);
  const legend = plot.classNames.map((name, label) => ({ name, label })).filter((e) => present.has(e.label) || plot.labels.length === 0);
  const swatch = charH;
  const left = axes ? pad + charH + gap + Math.max(0, ...yl.map((l) => textWidth(l, ts))) + gap + tick : 0;
  const top = axes ? pad + Math.ceil(charH / 2) : 0;
  const legendW = axes && legend.length ? 4 * gap + swatch + gap + Math.max(...legend.map((e) => textWidth(e.name, ts))) : 0;
  const right = axes ? Math.max(pad + Math.ceil(textWidth(xl.at(-1) ?? '', ts) / 2), legendW + pad) : 0;
  const bottom = axes ? tick + gap + charH + gap + charH + pad : 0;
  const rowH = charH + 2 * gap;
  const height = Math.max(top + size + bottom, axes ? top + legend.length * rowH + pad : 0);
  const r = new Raster(left + size + right, height);
  const frame: PlotFrame = { left, top, width: size, height: size, ...range };
  for (let i = 0; i < plot.labels.length; i++) {
    const x = plot.points[2 * i];
    const y = plot.points[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const [px, py] = scatterPixel(frame, x, y);
    r.disk(px, py, radius, classColour(plot.labels[i]));
  }
  if (!axes) return r.result(frame);
  r.outline(left, top, size, size, INK);
  xt.values.forEach((v, i) => {
    const [px] = scatterPixel(frame, v, 0);
    r.rect(px, top + size + 1, Math.max(1, ts >> 1), tick, INK);
    r.text(px - Math.floor(textWidth(xl[i], ts) / 2), top + size + 1 + tick + gap, xl[i], INK, ts);
  });
  yt.values.forEach((v, i) => {
    const [, py] = scatterPixel(frame, 0, v);
    r.rect(left - 1 - tick, py, tick, Math.max(1, ts >> 1), INK);
    r.text(left - 1 - tick - gap - textWidth(yl[i], ts), py - Math.floor(charH / 2), yl[i], INK, ts);
  });
  r.text(left + Math.round((size - textWidth(plot.axes[0], ts)) / 2), top + size + 1 + tick + gap + charH + gap, plot.axes[0], INK, ts);
  r.text(pad, top + Math.round((size - textWidth(plot.axes[1], ts)) / 2), plot.axes[1], INK, ts, true);
  const lx = left + size + 4 * gap;
  legend.forEach((e, i) => {
    const y = top + i * rowH;
    r.rect(lx, y, swatch, swatch, classColour(e.label));
    r.text(lx + swatch + gap, y, e.name, INK, ts);
  });
  return r.result(frame);
}

function renderReconstructions(plot: ReconstructionsPlot, opts: RenderOptions): RenderedPlot {
  const s = opts.imageScale ?? 2;
  const ts = opts.textScale ?? 2;
  const imgW = plot.image.width * s;
  const imgH = plot.image.height * s;
  if (opts.axes === false) {
    const r = new Raster(imgW, imgH);
    r.grey(plot.image, 0, 0, s);
    return r.result();
  }
  const { pad, gap, charH } = metrics(ts);
  const names = ['original', 'rebuilt'];
  const left = pad + Math.max(...names.map((n) => textWidth(n, ts))) + gap;
  const r = new Raster(left + imgW + pad, pad + imgH + pad);
  r.grey(plot.image, left, pad, s);
  r.outline(left, pad, imgW, imgH, INK);
  names.forEach((n, i) => r.text(pad, pad + Math.round(((i + 0.5) * imgH) / 2 - charH / 2), n, INK, ts));
  return r.result();
}
