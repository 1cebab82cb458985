// The plot worker: draws plots (points and pixels from the training worker, no tfjs here) on an
// OffscreenCanvas with src/train/draw.ts — the code the CLI draws its PNGs with — in the font the
// project ships, and hands back an ImageBitmap. The page only puts the bitmap on screen.
/// <reference lib="webworker" />
import { drawPlot, PLOT_FONT_FAMILY, type DrawnPlot, type DrawOptions } from '../train/draw';
import type { Plot } from '../train/plot-types';

export interface DrawRequest {
  id: number;
  plot: Plot;
  options: DrawOptions;
  /** Where public/fonts/DejaVuSans.ttf is served. */
  fontUrl: string;
}
export type DrawReply = { id: number; ok: true; bitmap: ImageBitmap; drawn: DrawnPlot } | { id: number; ok: false; message: string };

const scope = self as unknown as DedicatedWorkerGlobalScope;
let font: Promise<void> | null = null;

function loadFont(url: string): Promise<void> {
  font ??= (async () => {
    const face = new FontFace(PLOT_FONT_FAMILY, await (await fetch(url)).arrayBuffer());
    await face.load();
    scope.fonts.add(face);
  })();
  return font;
}

scope.onmessage = async (e: MessageEvent<DrawRequest>) => {
  const { id, plot, options, fontUrl } = e.data;
  try {
    await loadFont(fontUrl);
    let canvas: OffscreenCanvas | null = null;
    const drawn = drawPlot(
      (w, h) => {
        canvas = new OffscreenCanvas(w, h);
        // A software canvas: plots are small, and the GPU process may be busy training (WebGPU).
        return canvas.getContext('2d', { willReadFrequently: true })!;
      },
      plot,
      options,
    );
    const bitmap = (canvas as OffscreenCanvas | null)!.transferToImageBitmap();
    scope.postMessage({ id, ok: true, bitmap, drawn } satisfies DrawReply, [bitmap]);
  } catch (err) {
    scope.postMessage({ id, ok: false, message: (err as Error).message } satisfies DrawReply);
  }
};
