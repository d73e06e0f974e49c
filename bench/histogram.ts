/**
 * Latency histogram with fixed 10 µs buckets up to 10 s (4 MB): constant memory and O(1) recording
 * however many deliveries a run makes, and percentiles exact to the bucket width.
 */
const BUCKETS_PER_MS = 100;
const LAST = 10_000 * BUCKETS_PER_MS;

export class LatencyHistogram {
  readonly #counts = new Uint32Array(LAST + 1);
  #total = 0;
  #sum = 0;
  #max = 0;

  /** Records one latency in milliseconds; longer than 10 s counts as 10 s. */
  record(ms: number): void {
    const bucket = ms <= 0 ? 0 : Math.min(Math.floor(ms * BUCKETS_PER_MS), LAST);
    this.#counts[bucket]!++;
    this.#total++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#total;
  }

  get mean(): number {
    return this.#total === 0 ? 0 : this.#sum / this.#total;
  }

  get max(): number {
    return this.#max;
  }

  /** The latency (ms, upper edge of its bucket) that `fraction` (0..1) of samples do not exceed. */
  percentile(fraction: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil(fraction * this.#total));
    let seen = 0;
    for (let bucket = 0; bucket <= LAST; bucket++) {
      seen += this.#counts[bucket]!;
      if (seen >= rank) return (bucket + 1) / BUCKETS_PER_MS;
    }
    return this.#max;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#total = 0;
    this.#sum = 0;
    this.#max = 0;
  }
}
