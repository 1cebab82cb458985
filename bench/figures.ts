// A bench figure: the median, min and max of some runs. Shared by `npm run bench` (run.ts) and the
// GPU machine's bundled bench (gpu-device/main.ts), which cannot import run.ts (it runs on import).

export interface Figure {
  section: string;
  name: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  runs: number[];
  note?: string;
}

export type Summarise = (section: string, name: string, unit: string, runs: number[], note?: string) => Figure;

export const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3));

/** A summarise that appends each figure to `figures` and prints it. */
export function summariseInto(figures: Figure[]): Summarise {
  return (section, name, unit, runs, note) => {
    const sorted = [...runs].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    const f: Figure = { section, name, unit, median, min: sorted[0], max: sorted.at(-1)!, runs, ...(note ? { note } : {}) };
    figures.push(f);
    console.error(`  ${name}: ${fmt(median)} ${unit} (min ${fmt(f.min)}, max ${fmt(f.max)})`);
    return f;
  };
}
