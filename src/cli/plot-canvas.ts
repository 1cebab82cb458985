// Plots on @napi-rs/canvas (Skia, prebuilt from the npm registry) for the CLI and the Node tests:
// the same drawing code as the page's plot worker (src/train/draw.ts), with the font the project ships.
import { fileURLToPath } from 'node:url';
import { createCanvas, GlobalFonts, type Canvas } from '@napi-rs/canvas';
import { drawPlot, PLOT_FONT_FAMILY, PLOT_FONT_FILE, type DrawnPlot, type DrawOptions } from '../train/draw';
import type { Plot } from '../train/plot-types';

let fontLoaded = false;
/** Registers public/fonts/DejaVuSans.ttf under the plots' family name (once); the machine's fonts are not used. */
export function loadPlotFont(): void {
  if (fontLoaded) return;
  const path = fileURLToPath(new URL(`../../public/${PLOT_FONT_FILE}`, import.meta.url));
  if (!GlobalFonts.registerFromPath(path, PLOT_FONT_FAMILY)) throw new Error(`Cannot load the plot font ${path}.`);
  fontLoaded = true;
}

/** A plot drawn on a Skia canvas (read its pixels with getContext('2d').getImageData). */
export function drawPlotCanvas(plot: Plot, opts: DrawOptions = {}): { canvas: Canvas; drawn: DrawnPlot } {
  loadPlotFont();
  let canvas: Canvas | null = null;
  const drawn = drawPlot(
    (w, h) => {
      canvas = createCanvas(w, h);
      return canvas.getContext('2d');
    },
    plot,
    opts,
  );
  return { canvas: canvas!, drawn };
}

/** A plot as a PNG file's bytes. */
export async function plotPng(plot: Plot, opts: DrawOptions = {}): Promise<Buffer> {
  return drawPlotCanvas(plot, opts).canvas.encode('png');
}
