// When the training worker draws the output nodes (and, less often, measures the latent metrics)
// while a run goes on, so that drawing costs training at most `share` of its time: each kind of
// work is done only when, counting its expected cost (its last measured time), all the drawing
// done since the run began stays within `share` of the time since the run began. Between epochs
// that is the only condition; during an epoch, draws are also at least `minGapMs` apart. The end
// of a run, a pause, a stop and a restore always draw (they are "forced"); they happen while no
// training runs, so they do not count against its time, and neither does time spent paused.
// The first draw's cost is unknown until measured, so the first draw (≥ minGapMs in, without the
// metrics) may overshoot the share for a while; the later ones pace themselves to bring it back.
// Pure: no tfjs, no clock.

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
  /** Before the first draw is measured: its cost guessed from the training steps' pace. */
  private priorMs = 0;
  private metricsPriorMs = 0;

  /**
   * Guesses a draw's cost before one is measured, from the pace of training: a draw runs the model
   * forward on `images` images (the scatter's, the grid's, the reconstructions'); a training step
   * costs ~30× more per image than that (forward and backward through encoder and decoder; measured
   * on wasm: 5 ms against 0.15 ms an image). So a slow backend (a software GPU) does not stall on
   * a first draw it cannot afford.
   */
  estimate(stepMs: number, batchSize: number, images: number, metricsImages = 6000): void {
    const perImage = stepMs / Math.max(1, batchSize) / 30;
    this.priorMs = perImage * images;
    this.metricsPriorMs = perImage * metricsImages;
  }

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
    const plots = this.affordable(nowMs, this.plotsCostMs || this.priorMs);
    // Metrics only with plots, and only when both fit (the first time: once the plots have been measured).
    const metrics = plots && (this.measured || this.plotsCostMs > 0) && this.affordable(nowMs, (this.plotsCostMs || this.priorMs) + (this.measured ? this.metricsCostMs : this.metricsPriorMs));
    return { plots, metrics };
  }

  private pausedAt: number | null = null;

  /** Training paused: the time until `resume` is not the run's. */
  pause(nowMs: number): void {
    this.pausedAt ??= nowMs;
  }

  resume(nowMs: number): void {
    if (this.pausedAt === null) return;
    this.startMs += nowMs - this.pausedAt;
    this.lastEndMs += nowMs - this.pausedAt;
    this.pausedAt = null;
  }

  /** Record what a draw cost; `endMs` is when it finished. A forced draw (training not running) updates the costs only. */
  record(endMs: number, plotsMs: number, metricsMs: number | null, forced = false): void {
    if (forced) {
      // Its time is not the run's: move the run's clock past it (a pause already does).
      if (this.pausedAt === null) this.startMs += plotsMs + (metricsMs ?? 0);
    } else this.spentMs += plotsMs + (metricsMs ?? 0);
    this.plotsCostMs = plotsMs;
    if (metricsMs !== null) {
      this.metricsCostMs = metricsMs;
      this.measured = true;
    }
    this.lastEndMs = endMs;
  }

  /** The share of the run's time spent drawing so far (0–1). */
  spentShare(nowMs: number): number {
    const elapsed = (this.pausedAt ?? nowMs) - this.startMs;
    return elapsed > 0 ? this.spentMs / elapsed : 0;
  }

  get spent(): number {
    return this.spentMs;
  }
}
