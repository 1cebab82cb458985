// Compare runs' verdict: two graphs, each trained with several seeds; a side wins on a measure
// only when the difference between the two sides' means is larger than the run-to-run spread
// (the wider of the two sides' ranges over their seeds). Otherwise, or before every seed has run,
// it is too early to tell.

/** Each side is trained this many times, with seeds training.seed, +1, +2. */
export const COMPARE_SEEDS = 3;

/** One measure over one side's seeds. */
export interface SeedSummary {
  n: number;
  mean: number;
  min: number;
  max: number;
  /** max − min: how much the same graph varies from seed to seed. */
  spread: number;
}

export function summarize(values: readonly number[]): SeedSummary | null {
  const v = values.filter((x) => Number.isFinite(x));
  if (!v.length) return null;
  const min = Math.min(...v);
  const max = Math.max(...v);
  return { n: v.length, mean: v.reduce((a, b) => a + b, 0) / v.length, min, max, spread: max - min };
}

export type Verdict =
  | { decided: true; better: 0 | 1; a: SeedSummary; b: SeedSummary; difference: number; spread: number }
  | { decided: false; why: string; a: SeedSummary | null; b: SeedSummary | null; difference: number | null; spread: number | null };

/**
 * Which side is better on a measure (`higherIsBetter`: k-NN accuracy; not: KL), from every finished
 * seed's value. A winner needs `seeds` values on each side and |mean A − mean B| > max(spread A, spread B).
 */
export function verdict(a: readonly number[], b: readonly number[], opts: { higherIsBetter: boolean; seeds?: number }): Verdict {
  const seeds = opts.seeds ?? COMPARE_SEEDS;
  const sa = summarize(a);
  const sb = summarize(b);
  if (!sa || !sb || sa.n < seeds || sb.n < seeds) {
    const done = Math.min(sa?.n ?? 0, sb?.n ?? 0);
    return { decided: false, why: `${done} of ${seeds} seeds done on both sides`, a: sa, b: sb, difference: sa && sb ? Math.abs(sa.mean - sb.mean) : null, spread: null };
  }
  const difference = Math.abs(sa.mean - sb.mean);
  const spread = Math.max(sa.spread, sb.spread);
  if (difference <= spread) return { decided: false, why: 'the difference is within the run-to-run spread', a: sa, b: sb, difference, spread };
  const aBetter = opts.higherIsBetter ? sa.mean > sb.mean : sa.mean < sb.mean;
  return { decided: true, better: aBetter ? 0 : 1, a: sa, b: sb, difference, spread };
}
