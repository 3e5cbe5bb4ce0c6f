/**
 * How long the SQLite store's acknowledgements wait on the disk, kept as counts only (no
 * content, no ids: C10): each batch's wait from its COMMIT to the end of the flush that
 * covers it (a flush already running included), and each time the checkpoint thread held
 * the writes to start the WAL over. A delivery can be no faster than the flush under it,
 * so these tell how much of a delivery's latency is the disk's (the benchmark prints them
 * beside its percentiles).
 */
export interface DiskWaitSummary {
  /** Batches flushed since the last reset, and the percentiles of their wait, ms. */
  readonly flushes: number;
  readonly flushP50: number;
  readonly flushP99: number;
  readonly flushMax: number;
  /** Holds of the writes by the checkpoint thread, and their total, ms. */
  readonly holds: number;
  readonly heldMs: number;
}

/** Bucket k holds waits in [1.1^(k-1), 1.1^k) microseconds: 10 % resolution from 1 µs to over 10 minutes. */
const BUCKETS = 220;
const bucketOf = (ms: number): number => Math.min(BUCKETS - 1, Math.max(0, Math.ceil(Math.log(Math.max(ms * 1000, 1)) / Math.log(1.1))));
const upperMs = (k: number): number => 1.1 ** k / 1000;

export class DiskWaits {
  private counts = new Uint32Array(BUCKETS);
  private n = 0;
  private max = 0;
  private holds = 0;
  private heldMs = 0;

  flushed(ms: number): void {
    this.counts[bucketOf(ms)] = (this.counts[bucketOf(ms)] ?? 0) + 1;
    this.n += 1;
    if (ms > this.max) this.max = ms;
  }

  held(ms: number): void {
    this.holds += 1;
    this.heldMs += ms;
  }

  /** The upper edge of the bucket holding the q-th quantile (0 when nothing was recorded). */
  private quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.ceil(q * this.n);
    let seen = 0;
    for (let k = 0; k < BUCKETS; k++) {
      seen += this.counts[k] ?? 0;
      if (seen >= rank) return Math.min(upperMs(k), this.max);
    }
    return this.max;
  }

  summary(): DiskWaitSummary {
    return { flushes: this.n, flushP50: this.quantile(0.5), flushP99: this.quantile(0.99), flushMax: this.max, holds: this.holds, heldMs: this.heldMs };
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.max = 0;
    this.holds = 0;
    this.heldMs = 0;
  }
}
