// When the training worker draws the output nodes (and, less often, measures the latent metrics)
// while a run goes on, so that drawing costs training at most `share` of its time: each kind of
// work is done only when, counting its expected cost (its last measured time), all the drawing
// done since the run began stays within `share` of the time since the run began. Between epochs
// that is the only condition; during an epoch, draws are also at least `minGapMs` apart. The end
// of a run, a pause, a stop and a restore always draw (they are "forced"). Pure: no tfjs, no clock.

export interface PlotScheduleOptions {
  /** The most of the run's time drawing may take (default 0.05). */
  share?: number;
  /** The least time between draws within an epoch (default 3,000 ms). */
  minGapMs?: number;
}

export type PlotReason = 'tick' | 'epoch' | 'forced';

export interface PlotPlan {
  plots: boolean;
  metrics: boolean;
}

export class PlotSchedule {
  readonly share: number;
  readonly minGapMs: number;
  private startMs: number;
  private lastEndMs: number;
  /** Time spent drawing since the run began. */
  private spentMs = 0;
  /** The last measured cost of each kind (0 until measured). */
  private plotsCostMs = 0;
  private metricsCostMs = 0;
  /** Whether metrics were ever measured this run. */
  private measured = false;

  constructor(nowMs: number, opts: PlotScheduleOptions = {}) {
    this.share = opts.share ?? 0.05;
    this.minGapMs = opts.minGapMs ?? 3000;
    this.startMs = nowMs;
    this.lastEndMs = nowMs;
  }

  /** Whether spending `costMs` more now keeps drawing within its share of the run. */
  private affordable(nowMs: number, costMs: number): boolean {
    return this.spentMs + costMs <= this.share * (nowMs - this.startMs + costMs);
  }

  /** What to compute now, for this reason. */
  plan(nowMs: number, reason: PlotReason): PlotPlan {
    if (reason === 'forced') return { plots: true, metrics: true };
    if (reason === 'tick' && nowMs - this.lastEndMs < this.minGapMs) return { plots: false, metrics: false };
    const plots = this.affordable(nowMs, this.plotsCostMs);
    // Metrics only with plots, and only when both fit (the first time: once the plots have been measured).
    const metrics = plots && (this.measured || this.plotsCostMs > 0) && this.affordable(nowMs, this.plotsCostMs + this.metricsCostMs);
    return { plots, metrics };
  }

  /** Record what a draw cost; `endMs` is when it finished. */
  record(endMs: number, plotsMs: number, metricsMs: number | null): void {
    this.spentMs += plotsMs + (metricsMs ?? 0);
    this.plotsCostMs = plotsMs;
    if (metricsMs !== null) {
      this.metricsCostMs = metricsMs;
      this.measured = true;
    }
    this.lastEndMs = endMs;
  }

  /** The share of the run's time spent drawing so far (0–1). */
  spentShare(nowMs: number): number {
    const elapsed = nowMs - this.startMs;
    return elapsed > 0 ? this.spentMs / elapsed : 0;
  }

  get spent(): number {
    return this.spentMs;
  }
}
