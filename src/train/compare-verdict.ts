// Compare runs' verdict: two graphs, each trained with several seeds; a side wins on a measure
// only when the difference between the two sides' means is larger than the run-to-run spread
// (the wider of the two sides' ranges over their seeds). Otherwise, or before every seed has run,
// it is too early to tell. A measure that varies by factors (the KL: 0.6 to 2.9 over three seeds
// of one graph, 6 to 39 of another) is compared on a log scale: means are geometric, the
// difference and the spread are ratios.

/** Each side is trained this many times, with seeds training.seed, +1, +2. */
export const COMPARE_SEEDS = 3;

export type Scale = 'linear' | 'log';

/** One measure over one side's seeds, in the measure's units (a log-scale mean is the geometric mean). */
export interface SeedSummary {
  n: number;
  mean: number;
  min: number;
  max: number;
  /** How much the same graph varies from seed to seed: max − min, or max ÷ min on a log scale. */
  spread: number;
}

const toScale = (v: number, scale: Scale) => (scale === 'log' ? Math.log(v) : v);
const fromScale = (v: number, scale: Scale) => (scale === 'log' ? Math.exp(v) : v);

export function summarize(values: readonly number[], scale: Scale = 'linear'): SeedSummary | null {
  const v = values.filter((x) => Number.isFinite(x) && (scale === 'linear' || x > 0));
  if (!v.length) return null;
  const min = Math.min(...v);
  const max = Math.max(...v);
  const mean = fromScale(v.reduce((a, b) => a + toScale(b, scale), 0) / v.length, scale);
  return { n: v.length, mean, min, max, spread: scale === 'log' ? max / min : max - min };
}

/** `difference` and `spread` are in the measure's units on a linear scale, ratios (≥ 1) on a log scale. */
export type Verdict =
  | { decided: true; better: 0 | 1; a: SeedSummary; b: SeedSummary; difference: number; spread: number; scale: Scale }
  | { decided: false; why: string; a: SeedSummary | null; b: SeedSummary | null; difference: number | null; spread: number | null; scale: Scale };

/**
 * Which side is better on a measure (`higherIsBetter`: k-NN accuracy; not: KL), from every finished
 * seed's value. A winner needs `seeds` values on each side and |mean A − mean B| > max(spread A, spread B).
 */
export function verdict(a: readonly number[], b: readonly number[], opts: { higherIsBetter: boolean; seeds?: number; scale?: Scale }): Verdict {
  const seeds = opts.seeds ?? COMPARE_SEEDS;
  const scale = opts.scale ?? 'linear';
  const sa = summarize(a, scale);
  const sb = summarize(b, scale);
  const gap = (x: SeedSummary, y: SeedSummary) => (scale === 'log' ? Math.max(x.mean, y.mean) / Math.min(x.mean, y.mean) : Math.abs(x.mean - y.mean));
  if (!sa || !sb || sa.n < seeds || sb.n < seeds) {
    const [na, nb] = [sa?.n ?? 0, sb?.n ?? 0];
    const why = na === nb ? `${na} of ${seeds} seeds done on each side` : `${na} of ${seeds} seeds done on A, ${nb} on B`;
    return { decided: false, why, a: sa, b: sb, difference: sa && sb ? gap(sa, sb) : null, spread: null, scale };
  }
  const difference = gap(sa, sb);
  const spread = Math.max(sa.spread, sb.spread);
  if (difference <= spread) return { decided: false, why: 'the difference is within the run-to-run spread', a: sa, b: sb, difference, spread, scale };
  const aBetter = opts.higherIsBetter ? sa.mean > sb.mean : sa.mean < sb.mean;
  return { decided: true, better: aBetter ? 0 : 1, a: sa, b: sb, difference, spread, scale };
}
