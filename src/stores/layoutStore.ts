// How the window is laid out, kept across reloads: panel sizes and which are open, the bottom
// panel's tab, and the canvas's zoom and pan. Not part of the graph document.
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';

export const LAYOUT_KEY = 'wirelab.layout';

export type PanelTab = 'training' | 'plots' | 'compare';

export interface Panels {
  /** Widths of the side panels and height of the bottom one, in CSS pixels. */
  palette: number;
  inspector: number;
  bottom: number;
  paletteOpen: boolean;
  inspectorOpen: boolean;
  bottomOpen: boolean;
}

export interface ViewTransform {
  x: number;
  y: number;
  k: number;
}

/**
 * Defaults for 1280×800: a narrow palette, a slim inspector and bottom panel, so the canvas keeps most
 * of the window (912×626 px, 56 %) and a whole preset fits it legibly.
 */
export const DEFAULT_PANELS: Panels = { palette: 116, inspector: 240, bottom: 124, paletteOpen: true, inspectorOpen: true, bottomOpen: true };
export const PANEL_LIMITS = { palette: [96, 360], inspector: [200, 640], bottom: [96, 1200] } as const;

function storage(): Storage | null {
  try {
    return typeof globalThis.localStorage === 'undefined' ? null : globalThis.localStorage;
  } catch {
    return null;
  }
}

const clamp = (v: unknown, [lo, hi]: readonly [number, number], d: number) => (typeof v === 'number' && Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : d);

function load(): { panels: Panels; tab: PanelTab; view: ViewTransform | null } {
  let saved: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(storage()?.getItem(LAYOUT_KEY) ?? '{}');
    if (v && typeof v === 'object') saved = v as Record<string, unknown>;
  } catch {
    // A broken entry: start from the defaults.
  }
  const p = (saved.panels ?? {}) as Partial<Record<keyof Panels, unknown>>;
  const panels: Panels = {
    palette: clamp(p.palette, PANEL_LIMITS.palette, DEFAULT_PANELS.palette),
    inspector: clamp(p.inspector, PANEL_LIMITS.inspector, DEFAULT_PANELS.inspector),
    bottom: clamp(p.bottom, PANEL_LIMITS.bottom, DEFAULT_PANELS.bottom),
    paletteOpen: typeof p.paletteOpen === 'boolean' ? p.paletteOpen : true,
    inspectorOpen: typeof p.inspectorOpen === 'boolean' ? p.inspectorOpen : true,
    bottomOpen: typeof p.bottomOpen === 'boolean' ? p.bottomOpen : true,
  };
  const tab: PanelTab = saved.tab === 'plots' || saved.tab === 'compare' ? saved.tab : 'training';
  const v = saved.view as Partial<ViewTransform> | undefined;
  const view =
    v && [v.x, v.y, v.k].every((n) => typeof n === 'number' && Number.isFinite(n)) && v.k! > 0 ? { x: v.x!, y: v.y!, k: v.k! } : null;
  return { panels, tab, view };
}

export const useLayoutStore = defineStore('layout', () => {
  const initial = load();
  const panels = ref<Panels>(initial.panels);
  const tab = ref<PanelTab>(initial.tab);
  /** The canvas's last zoom and pan; null until the canvas has been shown once. */
  const view = ref<ViewTransform | null>(initial.view);
  /** The keyboard shortcuts overlay (?); not kept. */
  const helpOpen = ref(false);

  let timer: ReturnType<typeof setTimeout> | null = null;
  const save = () => {
    // Zooming and resizing fire many changes a second; write once they settle.
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      try {
        storage()?.setItem(LAYOUT_KEY, JSON.stringify({ panels: panels.value, tab: tab.value, view: view.value }));
      } catch {
        // Storage blocked: the layout is simply not kept.
      }
    }, 150);
  };
  watch([panels, tab, view], save, { deep: true });

  function resize(panel: 'palette' | 'inspector' | 'bottom', px: number) {
    panels.value = { ...panels.value, [panel]: clamp(px, PANEL_LIMITS[panel], DEFAULT_PANELS[panel]) };
  }
  function toggle(panel: 'palette' | 'inspector' | 'bottom') {
    const key = `${panel}Open` as const;
    panels.value = { ...panels.value, [key]: !panels.value[key] };
  }
  function setView(t: ViewTransform) {
    view.value = { x: Math.round(t.x * 10) / 10, y: Math.round(t.y * 10) / 10, k: Math.round(t.k * 10000) / 10000 };
  }

  return { panels, tab, view, helpOpen, resize, toggle, setView };
});
