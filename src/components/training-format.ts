// Small formatters for the training panel's readouts.
import type { AdapterInfo } from '../worker/protocol';

/** Bytes in binary units: one formatter for the panel's readout and the summary's estimate. */
export { formatBytes } from '../graph/memory';

/** Seconds as m:ss, or h:mm:ss past an hour. */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function adapterLabel(a: AdapterInfo): string {
  const name = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ') || 'unnamed adapter';
  return a.isFallbackAdapter ? `${name} — fallback adapter (software)` : name;
}
