/** Small statistics for `guard report`: nearest-rank percentiles, a bucketed histogram, a sparkline. Pure. */

export const PERCENTILES = [50, 75, 90, 95, 99] as const;

/**
 * Nearest-rank percentile: the smallest value with at least p % of the data
 * at or below it. Always one of the observed values, so answers are exact.
 */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** `{ p50, p75, p90, p95, p99 }` of the values (which need not be sorted); empty for no data. */
export function percentiles(values: readonly number[]): Record<string, number> {
  const sorted = [...values].sort((a, b) => a - b);
  const out: Record<string, number> = {};
  if (sorted.length === 0) return out;
  for (const p of PERCENTILES) out[`p${p}`] = percentile(sorted, p)!;
  return out;
}

export interface Bucket {
  /** Inclusive lower bound (ms). */
  from_ms: number;
  /** Exclusive upper bound (ms); null for the last, open bucket. */
  to_ms: number | null;
  count: number;
}

const MINUTE = 60_000;
/** Idle-gap buckets, roughly logarithmic, on the boundaries people set limits at. */
export const GAP_BOUNDS = [1, 5, 15, 30, 60, 120, 240, 480, 1440].map((m) => m * MINUTE);

export function histogram(values: readonly number[], bounds: readonly number[] = GAP_BOUNDS): Bucket[] {
  const edges = [0, ...bounds];
  const buckets: Bucket[] = edges.map((from, i) => ({ from_ms: from, to_ms: edges[i + 1] ?? null, count: 0 }));
  for (const value of values) {
    let i = edges.length - 1;
    while (i > 0 && value < edges[i]!) i--;
    buckets[i]!.count++;
  }
  return buckets;
}

const BLOCKS = '▁▂▃▄▅▆▇█';

/** One block character per value, scaled to the largest; a zero shows as a space so quiet days stand out. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values.map((v) => (v <= 0 || max === 0 ? ' ' : BLOCKS[Math.min(BLOCKS.length - 1, Math.floor((v / max) * (BLOCKS.length - 1)))])).join('');
}

/** A horizontal bar of at most `width` cells for `value` out of `max`; any non-zero value gets at least one cell. */
export function bar(value: number, max: number, width: number): string {
  if (value <= 0 || max <= 0) return '';
  return '█'.repeat(Math.max(1, Math.round((value / max) * width)));
}

/** Rounds for display and JSON: two decimals are plenty for per-day rates. */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** "1 person", "12 people". */
export function peopleCount(n: number): string {
  return `${n} ${n === 1 ? 'person' : 'people'}`;
}
