/**
 * A small HDR-style histogram of non-negative integers (microseconds here): exact below
 * 2,048, then 1,024 linear sub-buckets per power of two (≤ 0.1 % relative error).
 * Histograms merge by adding counts, so percentiles come from the merged raw samples,
 * never from averaging percentiles.
 */
const SUB_BITS = 10;
const SUB = 1 << SUB_BITS; // 1024
const LINEAR = SUB * 2; // values below this are exact
const MAX_EXP = 24; // up to 2^(24+11) µs ≈ 9.5 hours
const SIZE = (MAX_EXP + 2) * SUB;

function indexOf(v: number): number {
  if (v < LINEAR) return v;
  const msb = Math.floor(Math.log2(v));
  const e = Math.min(msb - SUB_BITS, MAX_EXP);
  const sub = Math.min(Math.floor(v / 2 ** e), 2 * SUB - 1);
  return (e + 1) * SUB + (sub - SUB);
}

function valueOf(i: number): number {
  if (i < LINEAR) return i;
  const e = Math.floor(i / SUB) - 1;
  const sub = (i % SUB) + SUB;
  return sub * 2 ** e + 2 ** e / 2; // bucket midpoint
}

export class Histogram {
  private readonly counts = new Float64Array(SIZE);
  count = 0;
  max = 0;

  record(v: number): void {
    const x = v < 0 ? 0 : Math.round(v);
    this.counts[indexOf(x)] = (this.counts[indexOf(x)] ?? 0) + 1;
    this.count++;
    if (x > this.max) this.max = x;
  }

  /** Records a value in milliseconds as microseconds. */
  recordMs(ms: number): void {
    this.record(ms * 1000);
  }

  merge(o: Histogram): this {
    for (let i = 0; i < SIZE; i++) {
      const c = o.counts[i] ?? 0;
      if (c !== 0) this.counts[i] = (this.counts[i] ?? 0) + c;
    }
    this.count += o.count;
    this.max = Math.max(this.max, o.max);
    return this;
  }

  /** The value at quantile q (0..1), in the recorded unit; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(valueOf(i), this.max);
    }
    return this.max;
  }

  /** Sparse [index, count] pairs, to ship between processes or into JSON. */
  toJSON(): { count: number; max: number; buckets: [number, number][] } {
    const buckets: [number, number][] = [];
    for (let i = 0; i < SIZE; i++) {
      const c = this.counts[i] ?? 0;
      if (c !== 0) buckets.push([i, c]);
    }
    return { count: this.count, max: this.max, buckets };
  }

  static fromJSON(j: { count: number; max: number; buckets: [number, number][] }): Histogram {
    const h = new Histogram();
    for (const [i, c] of j.buckets) h.counts[i] = c;
    h.count = j.count;
    h.max = j.max;
    return h;
  }
}
