// What the output nodes show, as the page sees it: the latest plot per output node id and the latent
// metrics of the graph on screen, from the training worker's 'plots' messages (pixels and points
// only; the page never runs tfjs). After a reload or a weights upload it asks the worker to draw
// the saved weights. Hovering a scatter point asks the worker for that one test image.
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { DatasetName } from '../graph/document';
import type { LatentMetrics, Plot } from '../train/plot-types';
import type { Report } from '../worker/protocol';
import { useGraphStore } from './graphStore';
import { useTrainingStore } from './trainingStore';

export interface TestImage {
  index: number;
  label: number;
  /** h·w·c bytes, channels last. */
  pixels: Uint8Array;
  /** [height, width, channels] */
  shape: number[];
}

/** Test images kept for hovering. */
const IMAGE_CACHE = 256;

/** The plots and metrics of one drawing. */
export interface PlotSet {
  byNode: Record<string, Plot>;
  metrics: LatentMetrics | null;
  step: number;
  key: string | null;
  skipped: { nodeId: string; reason: string }[];
}

export const emptyPlotSet = (): PlotSet => ({ byNode: {}, metrics: null, step: 0, key: null, skipped: [] });

/** Folds a 'plots' message into a plot set; metrics are kept from before when this drawing did not measure them. */
export function foldPlots(prev: PlotSet, msg: Extract<Report, { type: 'plots' }>): PlotSet {
  const sameGraph = prev.key === (msg.key ?? null);
  const byNode: Record<string, Plot> = sameGraph ? { ...prev.byNode } : {};
  for (const p of msg.plots) byNode[p.nodeId] = p;
  return { byNode, metrics: msg.metrics ?? (sameGraph ? prev.metrics : null), step: msg.step, key: msg.key ?? null, skipped: msg.skipped ?? [] };
}

export const usePlotsStore = defineStore('plots', () => {
  const training = useTrainingStore();
  const graph = useGraphStore();
  const current = shallowRef<PlotSet>(emptyPlotSet());
  /** How long the last drawing took, and the share of the run spent drawing (0–1), as the worker measured. */
  const plotMs = ref<number | null>(null);
  const plotShare = ref<number | null>(null);
  /** Bumped when a hovered image arrives. */
  const imageRevision = ref(0);
  const images = new Map<string, TestImage>();
  const asked = new Set<string>();

  const dataset = computed<DatasetName>(() => graph.doc.training.dataset);
  /** The plots of the graph on screen (none for another graph's weights). */
  const byNode = computed<Record<string, Plot>>(() => (current.value.key === training.key ? current.value.byNode : {}));
  const metrics = computed(() => (current.value.key === training.key ? current.value.metrics : null));

  training.onMessage((msg) => {
    if (msg.type === 'plots') {
      current.value = foldPlots(current.value, msg);
      plotMs.value = msg.plotMs ?? null;
      plotShare.value = msg.plotShare ?? null;
    } else if (msg.type === 'image') {
      const k = `${msg.dataset}:${msg.index}`;
      asked.delete(k);
      if (images.size >= IMAGE_CACHE) images.delete(images.keys().next().value as string);
      images.set(k, { index: msg.index, label: msg.label, pixels: msg.pixels, shape: msg.shape });
      imageRevision.value++;
    }
  });

  /** A test image if it is here; else asks the worker for it (watch `imageRevision`). */
  function image(index: number, set: DatasetName = dataset.value): TestImage | null {
    const k = `${set}:${index}`;
    const have = images.get(k);
    if (have) return have;
    if (!asked.has(k)) {
      asked.add(k);
      training.requestImage(set, index);
    }
    return null;
  }

  // Saved weights and no plots of them: ask the worker to draw them (after a reload, a load, a graph switch).
  let requestedFor: string | null = null;
  watch(
    () => [training.saved?.key, training.active, training.key] as const,
    ([savedKey, active, key]) => {
      if (active || !savedKey || savedKey !== key || current.value.key === key || requestedFor === `${key}:${training.saved?.savedAt}`) return;
      requestedFor = `${key}:${training.saved?.savedAt}`;
      training.requestPlots();
    },
    { immediate: true },
  );

  // Reset weights: the plots of the forgotten weights go too.
  watch(
    () => training.saved,
    (saved, before) => {
      if (!saved && before && !training.active && current.value.key === before.key) current.value = emptyPlotSet();
    },
  );

  return { current, byNode, metrics, plotMs, plotShare, imageRevision, image };
});
