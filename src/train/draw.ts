// Plots drawn on a real 2D canvas: axes, tick labels and legend in a real font (DejaVu Sans, shipped
// in public/fonts), antialiased points. One drawing code for every place a plot is drawn: the
// page's plot worker draws on an OffscreenCanvas, the CLI on @napi-rs/canvas — both hand in a
// context that follows the CanvasRenderingContext2D interface (PlotContext, the part used here).
import type { GreyImage, LatentGridPlot, LatentScatterPlot, Plot, ReconstructionsPlot } from './plot-types';

/** The font the plots are drawn in; the worker and the CLI load it from public/fonts. */
export const PLOT_FONT_FAMILY = 'DejaVu Sans';
export const PLOT_FONT_FILE = 'fonts/DejaVuSans.ttf';

/** The part of CanvasRenderingContext2D the plots use (OffscreenCanvas's and @napi-rs/canvas's contexts have it). */
export interface PlotContext {
  fillStyle: unknown;
  strokeStyle: unknown;
  lineWidth: number;
  font: string;
  textAlign: unknown;
  textBaseline: unknown;
  globalAlpha: number;
  fillRect(x: number, y: number, w: number, h: number): void;
  strokeRect(x: number, y: number, w: number, h: number): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  arc(x: number, y: number, r: number, start: number, end: number): void;
  fill(): void;
  stroke(): void;
  fillText(text: string, x: number, y: number): void;
  measureText(text: string): { width: number };
  save(): void;
  restore(): void;
  translate(x: number, y: number): void;
  rotate(angle: number): void;
  createImageData(w: number, h: number): { data: Uint8ClampedArray };
  putImageData(image: never, x: number, y: number): void;
}

/** Makes a canvas of the given size and returns its 2D context. */
export type MakeContext = (width: number, height: number) => PlotContext;

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
const css = (c: Colour) => `rgb(${c[0]},${c[1]},${c[2]})`;

const BACKGROUND = '#ffffff';
const INK = '#222222';
const GRID_LINE = '#e4e4e4';

/** The data range of a scatter's axes. */
export interface Limits {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/** Where data lands: the plotting area in pixels, and the data range it spans (y up). */
export interface PlotFrame extends Limits {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface DrawOptions {
  /** Each image pixel becomes scale×scale canvas pixels (grid and reconstructions; default 2). */
  imageScale?: number;
  /** The scatter's plotting area, square, in pixels (default 400). */
  size?: number;
  /** The scatter's dot radius in pixels (default 2.2). */
  pointRadius?: number;
  /** Axes, tick labels, legend and row labels; false for a bare thumbnail (default true). */
  axes?: boolean;
  /** The scatter's axes; by default its own points' range. Compare runs passes both runs' range, so both share axes. */
  limits?: Limits;
  /** Text size in pixels (default 13). */
  fontSize?: number;
}

export interface DrawnPlot {
  width: number;
  height: number;
  /** The plotting area, mapping data to pixels (scatterPixel): the scatter's axes; the grid's latent coordinates over its tiles. */
  frame?: PlotFrame;
}

/** The pixel (column, row) a data point falls on in a drawn scatter. */
export function scatterPixel(frame: PlotFrame, x: number, y: number): [number, number] {
  return [
    frame.left + ((x - frame.xMin) / (frame.xMax - frame.xMin)) * frame.width,
    frame.top + ((frame.yMax - y) / (frame.yMax - frame.yMin)) * frame.height,
  ];
}

/** As np.round(v, 1) prints in the tutorial's tick labels: −1.6, −0.2, 0.2, 2.0 (with a true minus sign). */
export const tick1 = (v: number): string => minus((Math.round(v * 10) / 10).toFixed(1));
const minus = (s: string) => s.replace(/^-/, '−');

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

/** The data range of a scatter's points, padded by 5 % (±1 about a single value). */
export function scatterLimits(points: Float32Array): Limits {
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

/** The smallest range holding all of them: the shared axes of two scatters. */
export const unionLimits = (all: Limits[]): Limits => ({
  xMin: Math.min(...all.map((l) => l.xMin)),
  xMax: Math.max(...all.map((l) => l.xMax)),
  yMin: Math.min(...all.map((l) => l.yMin)),
  yMax: Math.max(...all.map((l) => l.yMax)),
});

/** An image (grey, RGB or RGBA, by its channel count) as RGBA, each pixel scale×scale. */
export function imageRgba(img: GreyImage, scale: number): Uint8ClampedArray {
  const c = img.channels ?? 1;
  const w = img.width * scale;
  const out = new Uint8ClampedArray(w * img.height * scale * 4);
  for (let y = 0; y < img.height * scale; y++)
    for (let x = 0; x < w; x++) {
      const i = (Math.floor(y / scale) * img.width + Math.floor(x / scale)) * c;
      const o = (y * w + x) * 4;
      const r = img.pixels[i];
      out[o] = r;
      out[o + 1] = c >= 3 ? img.pixels[i + 1] : r;
      out[o + 2] = c >= 3 ? img.pixels[i + 2] : r;
      out[o + 3] = 255;
    }
  return out;
}

function putImage(ctx: PlotContext, img: GreyImage, x: number, y: number, scale: number): void {
  const data = ctx.createImageData(img.width * scale, img.height * scale);
  data.data.set(imageRgba(img, scale));
  ctx.putImageData(data as never, Math.round(x), Math.round(y));
}

/** Text metrics for a font size: line height and the gaps around labels. */
function sizes(fontSize: number) {
  return { fontSize, lineH: Math.ceil(fontSize * 1.25), pad: Math.round(fontSize * 0.8), gap: Math.round(fontSize * 0.4), tick: Math.round(fontSize * 0.4) };
}
const fontOf = (px: number) => `${px}px "${PLOT_FONT_FAMILY}", sans-serif`;

/** Draw a plot: sizes it, makes its canvas with `make`, and draws it. */
export function drawPlot(make: MakeContext, plot: Plot, opts: DrawOptions = {}): DrawnPlot {
  switch (plot.kind) {
    case 'latent-grid':
      return drawGrid(make, plot, opts);
    case 'latent-scatter':
      return drawScatter(make, plot, opts);
    case 'reconstructions':
      return drawReconstructions(make, plot, opts);
  }
}

/** A measuring context, for sizing a plot before its canvas exists. */
function measurer(make: MakeContext, fontSize: number): (text: string) => number {
  const ctx = make(1, 1);
  ctx.font = fontOf(fontSize);
  return (text) => Math.ceil(ctx.measureText(text).width);
}

function begin(make: MakeContext, width: number, height: number, fontSize: number): PlotContext {
  const ctx = make(Math.ceil(width), Math.ceil(height));
  ctx.fillStyle = BACKGROUND;
  ctx.fillRect(0, 0, Math.ceil(width), Math.ceil(height));
  ctx.font = fontOf(fontSize);
  ctx.fillStyle = INK;
  ctx.strokeStyle = INK;
  ctx.textBaseline = 'middle';
  ctx.lineWidth = 1;
  return ctx;
}

function text(ctx: PlotContext, s: string, x: number, y: number, align: 'left' | 'center' | 'right' = 'left'): void {
  ctx.textAlign = align;
  ctx.fillText(s, x, y);
}

/** A y-axis title, reading bottom to top, centred on (x, y). */
function verticalText(ctx: PlotContext, s: string, x: number, y: number): void {
  ctx.save();
  ctx.translate(x, y);
  ctx.rotate(-Math.PI / 2);
  text(ctx, s, 0, 0, 'center');
  ctx.restore();
}

function line(ctx: PlotContext, x0: number, y0: number, x1: number, y1: number): void {
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
}

function drawScatter(make: MakeContext, plot: LatentScatterPlot, opts: DrawOptions): DrawnPlot {
  const size = opts.size ?? 400;
  const radius = opts.pointRadius ?? 2.2;
  const limits = opts.limits ?? scatterLimits(plot.points);
  const axes = opts.axes !== false;
  const s = sizes(opts.fontSize ?? 13);
  const measure = axes ? measurer(make, s.fontSize) : () => 0;
  const width = (t: string) => measure(t);
  const xt = niceTicks(limits.xMin, limits.xMax);
  const yt = niceTicks(limits.yMin, limits.yMax);
  const xl = xt.values.map((v) => minus(v.toFixed(xt.decimals)));
  const yl = yt.values.map((v) => minus(v.toFixed(yt.decimals)));
  const present = new Set(plot.labels);
  const legend = plot.classNames.map((name, label) => ({ name, label })).filter((e) => present.has(e.label) || plot.labels.length === 0);
  const swatch = Math.round(s.fontSize * 0.8);
  const left = axes ? s.pad + s.lineH + s.gap + Math.max(0, ...yl.map(width)) + s.gap + s.tick : 0;
  const top = axes ? s.pad + s.lineH / 2 : 0;
  const legendW = axes && legend.length ? 3 * s.gap + swatch + s.gap + Math.max(...legend.map((e) => width(e.name))) + s.pad : 0;
  const right = axes ? Math.max(s.pad + width(xl.at(-1) ?? '') / 2, legendW) : 0;
  const bottom = axes ? s.tick + s.gap + s.lineH + s.gap + s.lineH + s.pad : 0;
  const rowH = s.lineH + s.gap;
  const W = left + size + right;
  const H = Math.max(top + size + bottom, axes ? top + legend.length * rowH + s.pad : 0);
  const ctx = begin(make, W, H, s.fontSize);
  const frame: PlotFrame = { left, top, width: size, height: size, ...limits };
  if (axes) {
    // Light grid lines at the ticks: two scatters with shared axes read against the same lines.
    ctx.strokeStyle = GRID_LINE;
    for (const v of xt.values) {
      const [px] = scatterPixel(frame, v, 0);
      line(ctx, Math.round(px) + 0.5, top, Math.round(px) + 0.5, top + size);
    }
    for (const v of yt.values) {
      const [, py] = scatterPixel(frame, 0, v);
      line(ctx, left, Math.round(py) + 0.5, left + size, Math.round(py) + 0.5);
    }
  }
  for (let i = 0; i < plot.labels.length; i++) {
    const x = plot.points[2 * i];
    const y = plot.points[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const [px, py] = scatterPixel(frame, x, y);
    if (px < left - radius || px > left + size + radius || py < top - radius || py > top + size + radius) continue;
    ctx.fillStyle = css(classColour(plot.labels[i]));
    ctx.beginPath();
    ctx.arc(px, py, radius, 0, 2 * Math.PI);
    ctx.fill();
  }
  if (!axes) return { width: Math.ceil(W), height: Math.ceil(H), frame };
  ctx.strokeStyle = INK;
  ctx.fillStyle = INK;
  ctx.strokeRect(left - 0.5, top - 0.5, size + 1, size + 1);
  xt.values.forEach((v, i) => {
    const [px] = scatterPixel(frame, v, 0);
    line(ctx, Math.round(px) + 0.5, top + size, Math.round(px) + 0.5, top + size + s.tick);
    text(ctx, xl[i], px, top + size + s.tick + s.gap + s.lineH / 2, 'center');
  });
  yt.values.forEach((v, i) => {
    const [, py] = scatterPixel(frame, 0, v);
    line(ctx, left - s.tick, Math.round(py) + 0.5, left, Math.round(py) + 0.5);
    text(ctx, yl[i], left - s.tick - s.gap, py, 'right');
  });
  text(ctx, plot.axes[0], left + size / 2, top + size + s.tick + s.gap + s.lineH + s.gap + s.lineH / 2, 'center');
  verticalText(ctx, plot.axes[1], s.pad + s.lineH / 2, top + size / 2);
  const lx = left + size + 3 * s.gap;
  legend.forEach((e, i) => {
    const y = top + i * rowH;
    ctx.fillStyle = css(classColour(e.label));
    ctx.fillRect(lx, y - swatch / 2, swatch, swatch);
    ctx.fillStyle = INK;
    text(ctx, e.name, lx + swatch + s.gap, y);
  });
  return { width: Math.ceil(W), height: Math.ceil(H), frame };
}

function drawGrid(make: MakeContext, plot: LatentGridPlot, opts: DrawOptions): DrawnPlot {
  const scale = opts.imageScale ?? 2;
  const s = sizes(opts.fontSize ?? 13);
  const imgW = plot.image.width * scale;
  const imgH = plot.image.height * scale;
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
    const ctx = begin(make, imgW, imgH, s.fontSize);
    putImage(ctx, plot.image, 0, 0, scale);
    return { width: imgW, height: imgH, frame: frameOf(0, 0) };
  }
  const measure = measurer(make, s.fontSize);
  const xl = plot.xs.map(tick1);
  const yl = plot.ys.map(tick1);
  const tileW = imgW / plot.n;
  const tileH = imgH / plot.n;
  const left = Math.ceil(s.pad + s.lineH + s.gap + Math.max(...yl.map(measure)) + s.gap + s.tick);
  const top = s.pad;
  const right = Math.ceil(s.pad + measure(xl[plot.n - 1]) / 2);
  const bottom = s.tick + s.gap + s.lineH + s.gap + s.lineH + s.pad;
  const ctx = begin(make, left + imgW + right, top + imgH + bottom, s.fontSize);
  putImage(ctx, plot.image, left, top, scale);
  ctx.strokeRect(left - 0.5, top - 0.5, imgW + 1, imgH + 1);
  // Every tile gets a tick; a label only where it clears the last one drawn (small tiles, many of them).
  let clearX = -Infinity;
  let clearY = -Infinity;
  for (let i = 0; i < plot.n; i++) {
    const cx = Math.round(left + (i + 0.5) * tileW) + 0.5;
    line(ctx, cx, top + imgH, cx, top + imgH + s.tick);
    const w = measure(xl[i]);
    if (cx - w / 2 >= clearX) {
      text(ctx, xl[i], cx, top + imgH + s.tick + s.gap + s.lineH / 2, 'center');
      clearX = cx + w / 2 + s.gap;
    }
    const cy = Math.round(top + (i + 0.5) * tileH) + 0.5;
    line(ctx, left - s.tick, cy, left, cy);
    if (cy - s.lineH / 2 >= clearY) {
      text(ctx, yl[i], left - s.tick - s.gap, cy, 'right');
      clearY = cy + s.lineH / 2;
    }
  }
  text(ctx, `z[${plot.dimX}]`, left + imgW / 2, top + imgH + s.tick + s.gap + s.lineH + s.gap + s.lineH / 2, 'center');
  verticalText(ctx, `z[${plot.dimY}]`, s.pad + s.lineH / 2, top + imgH / 2);
  return { width: left + imgW + right, height: top + imgH + bottom, frame: frameOf(left, top) };
}

function drawReconstructions(make: MakeContext, plot: ReconstructionsPlot, opts: DrawOptions): DrawnPlot {
  const scale = opts.imageScale ?? 2;
  const s = sizes(opts.fontSize ?? 13);
  const imgW = plot.image.width * scale;
  const imgH = plot.image.height * scale;
  if (opts.axes === false) {
    const ctx = begin(make, imgW, imgH, s.fontSize);
    putImage(ctx, plot.image, 0, 0, scale);
    return { width: imgW, height: imgH };
  }
  const measure = measurer(make, s.fontSize);
  const names = ['original', 'rebuilt'];
  const left = s.pad + Math.max(...names.map(measure)) + s.gap;
  const ctx = begin(make, left + imgW + s.pad, s.pad + imgH + s.pad, s.fontSize);
  putImage(ctx, plot.image, left, s.pad, scale);
  ctx.strokeRect(left - 0.5, s.pad - 0.5, imgW + 1, imgH + 1);
  names.forEach((n, i) => text(ctx, n, s.pad, s.pad + ((i + 0.5) * imgH) / 2));
  return { width: left + imgW + s.pad, height: s.pad + imgH + s.pad };
}
