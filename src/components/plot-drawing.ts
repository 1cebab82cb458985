// The page's side of the plot worker: one worker for every plot on the page, one reply per request.
import type { DrawOptions } from '../train/draw';
import { PLOT_FONT_FILE } from '../train/draw';
import type { Plot } from '../train/plot-types';
import type { DrawReply, DrawRequest } from '../worker/plot-worker';

export type DrawnBitmap = Extract<DrawReply, { ok: true }>;

let worker: Worker | null = null;
let nextId = 1;
const waiting = new Map<number, { ok: (r: DrawnBitmap) => void; fail: (e: Error) => void }>();

function plotWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('../worker/plot-worker.ts', import.meta.url), { type: 'module', name: 'wirelab-plots' });
  w.onmessage = (e: MessageEvent<DrawReply>) => {
    const r = e.data;
    const p = waiting.get(r.id);
    waiting.delete(r.id);
    if (!p) return;
    if (r.ok) p.ok(r);
    else p.fail(new Error(r.message));
  };
  w.onerror = (e) => {
    for (const p of waiting.values()) p.fail(new Error(`The plot worker failed: ${e.message}`));
    waiting.clear();
    worker = null;
  };
  worker = w;
  return w;
}

/** Draws a plot in the plot worker; the bitmap is the caller's to close. */
export function drawInWorker(plot: Plot, options: DrawOptions): Promise<DrawnBitmap> {
  const id = nextId++;
  const fontUrl = new URL(`${import.meta.env.BASE_URL}${PLOT_FONT_FILE}`, location.href).href;
  return new Promise((ok, fail) => {
    waiting.set(id, { ok, fail });
    plotWorker().postMessage({ id, plot, options, fontUrl } satisfies DrawRequest);
  });
}
